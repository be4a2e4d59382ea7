package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
)

// Incident states.
const (
	IncidentOpen     = "open"
	IncidentResolved = "resolved"
)

// MaxIncidents bounds the incidents one listing returns.
const MaxIncidents = 1000

// Incident is a sender-side problem seen on one route of one channel (see
// lifecycle.IncidentKey): how often, from when to when, and the latest
// event and rule that said so.
type Incident struct {
	ID          int64            `json:"id"`
	Channel     channels.Channel `json:"channel"`
	Route       string           `json:"route"`
	Reason      string           `json:"reason"`
	State       string           `json:"state"`
	Count       int64            `json:"count"`
	FirstSeen   time.Time        `json:"first_seen"`
	LastSeen    time.Time        `json:"last_seen"`
	LastEventID string           `json:"last_event_id"`
	LastRule    string           `json:"last_rule"`
	OpenedAt    time.Time        `json:"opened_at"`
	ResolvedAt  *time.Time       `json:"resolved_at,omitempty"`
}

// IncidentQuery selects incidents; zero fields do not filter, and Limit
// defaults to (and is capped at) MaxIncidents.
type IncidentQuery struct {
	Channel channels.Channel
	State   string
	Limit   int
}

type incidentRow struct {
	ID          int64        `db:"id"`
	Channel     string       `db:"channel"`
	Route       string       `db:"route"`
	Reason      string       `db:"reason"`
	State       string       `db:"state"`
	Count       int64        `db:"count"`
	FirstSeen   time.Time    `db:"first_seen"`
	LastSeen    time.Time    `db:"last_seen"`
	LastEventID string       `db:"last_event_id"`
	LastRule    string       `db:"last_rule"`
	OpenedAt    time.Time    `db:"opened_at"`
	ResolvedAt  sql.NullTime `db:"resolved_at"`
}

// Incidents lists incidents, the most recently seen first.
func (s *Store) Incidents(ctx context.Context, q IncidentQuery) ([]Incident, error) {
	if q.Limit <= 0 || q.Limit > MaxIncidents {
		q.Limit = MaxIncidents
	}
	sqlText, err := s.query(qIncidents)
	if err != nil {
		return nil, err
	}
	var rows []incidentRow
	if err := s.db.SelectContext(ctx, &rows, sqlText, string(q.Channel), q.State, q.Limit, channels.Tenant(ctx)); err != nil {
		return nil, fmt.Errorf("incidents: %w", err)
	}
	out := make([]Incident, len(rows))
	for i, r := range rows {
		out[i] = Incident{ID: r.ID, Channel: channels.Channel(r.Channel), Route: r.Route, Reason: r.Reason,
			State: r.State, Count: r.Count, FirstSeen: r.FirstSeen.UTC(), LastSeen: r.LastSeen.UTC(),
			LastEventID: shownID(r.LastEventID), LastRule: r.LastRule, OpenedAt: r.OpenedAt.UTC(), ResolvedAt: ptime(r.ResolvedAt)}
	}
	return out, nil
}

// ResolveIncidents resolves up to limit open incidents that had no new
// sender-side verdict for quiet before now, and reports how many.
func (s *Store) ResolveIncidents(ctx context.Context, now time.Time, quiet time.Duration, limit int) (int64, error) {
	q, err := s.query(qResolveIncidents)
	if err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, q, now.Add(-quiet), now, limit)
	if err != nil {
		return 0, fmt.Errorf("resolve incidents: %w", err)
	}
	return res.RowsAffected()
}

// writeIncidents adds a plan's incidents, in the apply transaction.
func (s *Store) writeIncidents(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan) error {
	if len(p.Incidents) == 0 {
		return nil
	}
	cols := make([][]string, 9)
	for _, in := range p.Incidents {
		row := []string{in.Tenant, string(in.Channel), in.Route, in.Reason, strconv.FormatInt(in.Count, 10),
			ts(in.FirstSeen), ts(in.LastSeen), in.EventID, in.Rule}
		for i, x := range row {
			cols[i] = append(cols[i], x)
		}
	}
	return s.exec(ctx, tx, qUpsertIncidents, arrays(cols)...)
}
