package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rebond/rebond/channels"
)

// historyLimit bounds the transitions a recipient view returns.
const historyLimit = 100

type exclusionRow struct {
	Ord        int            `db:"ord"`
	Shared     bool           `db:"shared"`
	Address    string         `db:"address"`
	State      channels.State `db:"state"`
	Reason     string         `db:"reason"`
	Since      sql.NullTime   `db:"since"`
	Until      sql.NullTime   `db:"until"`
	EventID    string         `db:"event_id"`
	DenyKind   sql.NullString `db:"deny_kind"`
	DenyValue  sql.NullString `db:"deny_value"`
	DenyReason sql.NullString `db:"deny_reason"`
	DenySince  sql.NullTime   `db:"deny_since"`
	DenyUntil  sql.NullTime   `db:"deny_until"`
	AllowKind  sql.NullString `db:"allow_kind"`
	AllowValue sql.NullString `db:"allow_value"`
}

// exclusion is the answer a row gives: a deny entry wins over any state,
// and an allow entry lets a quarantined or suspended recipient be sent to
// (the state, its term and its audit stay as they are: the entry only
// overrides the answer while it lasts). Those are the states rebond
// derives from delivery outcomes, which an allow entry keeps it from
// entering; it overrides no other exclusion.
func (r exclusionRow) exclusion() Exclusion {
	if r.DenyValue.Valid {
		reason := r.DenyReason.String
		if reason == "" {
			reason = string(channels.ReasonDenylisted)
		}
		return Exclusion{Recipient: r.Address, Excluded: true, State: channels.StateDenylisted, Reason: reason,
			Since: ptime(r.DenySince), Until: ptime(r.DenyUntil),
			ListEntry: &ListRef{List: "deny", Kind: r.DenyKind.String, Value: r.DenyValue.String}}
	}
	x := Exclusion{Recipient: r.Address, State: r.State, Reason: r.Reason, EventID: shownID(r.EventID),
		Since: ptime(r.Since), Until: ptime(r.Until), Excluded: r.State != channels.StateActive, Shared: r.Shared}
	if r.AllowValue.Valid && (x.State == channels.StateQuarantined || x.State == channels.StateSuspended) {
		x.Excluded = false
		x.ListEntry = &ListRef{List: "allow", Kind: r.AllowKind.String, Value: r.AllowValue.String}
	}
	return x
}

// Exclusions answers "may I send to these recipients?" for normalized,
// distinct recipients of one channel, in the order given (see exclusion
// for how lists and states combine); a timed state that ended at now
// reads as active.
func (s *Store) Exclusions(ctx context.Context, ch channels.Channel, recipients []string, now time.Time) ([]Exclusion, error) {
	if err := validChannel(ch); err != nil {
		return nil, err
	}
	q, err := s.query(qExclusions)
	if err != nil {
		return nil, err
	}
	var rows []exclusionRow
	if err := s.db.SelectContext(ctx, &rows, q, string(ch), pq.Array(recipients), now, channels.Tenant(ctx), s.shareUserUnknown); err != nil {
		return nil, fmt.Errorf("exclusions: %w", err)
	}
	out := make([]Exclusion, len(recipients))
	for i, a := range recipients {
		out[i] = Exclusion{Recipient: a, State: channels.StateActive}
	}
	for _, r := range rows {
		if r.Ord < 1 || r.Ord > len(out) {
			return nil, fmt.Errorf("exclusions: row for position %d of %d", r.Ord, len(out))
		}
		out[r.Ord-1] = r.exclusion()
	}
	return out, nil
}

// Recipient returns a recipient's state and history; ErrNotFound when
// rebond never changed it.
func (s *Store) Recipient(ctx context.Context, ch channels.Channel, address string) (RecipientView, error) {
	v := RecipientView{Channel: ch, Address: address, History: []Transition{}, Consents: []ConsentView{}}
	q, err := s.query(qRecipient)
	if err != nil {
		return v, err
	}
	var r recipientRow
	err = s.db.GetContext(ctx, &r, q, string(ch), address, channels.Tenant(ctx))
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("recipient: %w", err)
	}
	v.State, v.Reason, v.SoftCount, v.Since, v.Until = channels.State(r.State), r.Reason, r.SoftCount, ptime(r.Since), ptime(r.Until)
	v.QuarantineCount = r.QuarantineCount
	if q, err = s.query(qRecipientHistory); err != nil {
		return v, err
	}
	var hist []struct {
		At      time.Time      `db:"at"`
		From    channels.State `db:"from_state"`
		To      channels.State `db:"to_state"`
		Reason  string         `db:"reason"`
		Actor   string         `db:"actor"`
		EventID string         `db:"event_id"`
		Rule    string         `db:"rule"`
		Scope   string         `db:"scope"`
	}
	if err := s.db.SelectContext(ctx, &hist, q, string(ch), address, historyLimit, channels.Tenant(ctx)); err != nil {
		return v, fmt.Errorf("recipient history: %w", err)
	}
	for _, h := range hist {
		h.EventID = shownID(h.EventID)
		v.History = append(v.History, Transition(h))
	}
	if v.Consents, err = s.recipientConsents(ctx, ch, address); err != nil {
		return v, err
	}
	return v, nil
}

// ListEntry is a deny or allow list entry.
type ListEntry struct {
	Channel   channels.Channel `json:"channel"`
	List      string           `json:"list"` // "deny" or "allow"
	Kind      string           `json:"kind"` // "exact", "domain" or "prefix"
	Value     string           `json:"value"`
	Reason    string           `json:"reason,omitempty"`
	ExpiresAt time.Time        `json:"expires_at,omitzero"` // zero: never
	CreatedAt time.Time        `json:"created_at,omitzero"` // set by the store
}

// AddListEntry adds or updates a deny/allow list entry.
func (s *Store) AddListEntry(ctx context.Context, e ListEntry) error {
	var exp any
	if !e.ExpiresAt.IsZero() {
		exp = e.ExpiresAt
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		return s.exec(ctx, tx, qAddListEntry, string(e.Channel), e.List, e.Kind, e.Value, e.Reason, exp, channels.Tenant(ctx))
	})
}

// ReleaseExpired returns up to limit recipients whose timed quarantine or
// suspension ended at now to active, with an audit row each, and reports
// how many it released.
func (s *Store) ReleaseExpired(ctx context.Context, now time.Time, limit int) (int64, error) {
	q, err := s.query(qReleaseExpired)
	if err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, q, now, limit)
	if err != nil {
		return 0, fmt.Errorf("release expired: %w", err)
	}
	return res.RowsAffected()
}

func ptime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
