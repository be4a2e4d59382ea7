package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
)

// ErrTooMany is returned when a request would read more rows than it
// allows; the caller should narrow it.
var ErrTooMany = errors.New("too many rows")

// ReplayQuery selects the stored events a backtest replays.
type ReplayQuery struct {
	Channel  channels.Channel
	From, To time.Time // occurred_at in [From, To)
	// Max bounds the events of the window (default 100000); a window with
	// more is refused with ErrTooMany.
	Max int
}

// StoredEvent is an event as stored, with the verdict it got (zero while
// it waits in the inbox).
type StoredEvent struct {
	Event   channels.Event
	Verdict channels.Verdict
	// InWindow is false for a "sent" event outside the window, read
	// because a failure of the window names its message.
	InWindow bool
}

// Replay is what a backtest reads, as of one instant.
type Replay struct {
	// Events are in inbox order (seq).
	Events []StoredEvent
	// Allowed are the recipients of the events that are allowlisted.
	Allowed map[lifecycle.RecipientKey]bool
	// Overrides are the operator rules.
	Overrides []RuleOverride
}

type replayRow struct {
	ID       string `db:"id"`
	Payload  []byte `db:"payload"`
	InWindow bool   `db:"in_window"`
	Outcome  string `db:"outcome"`
	Reason   string `db:"reason"`
	Rule     string `db:"rule"`
	Evidence string `db:"evidence"`
}

// ReplayEvents reads the events of q's window, the "sent" events of the
// messages they name, the allowlisted recipients among them and the
// operator rules, in one read-only REPEATABLE READ transaction: it can
// change nothing, and everything it returns is of the same instant.
func (s *Store) ReplayEvents(ctx context.Context, q ReplayQuery) (Replay, error) {
	if err := validChannel(q.Channel); err != nil {
		return Replay{}, err
	}
	if q.Max <= 0 {
		q.Max = 100000
	}
	var out Replay
	err := s.readTx(ctx, func(tx *sqlx.Tx) error {
		var rows []replayRow
		if err := s.selectNamed(ctx, tx, &rows, "replay-events", string(q.Channel), q.From, q.To, q.Max+1, Tenant(ctx)); err != nil {
			return err
		}
		var err error
		if out.Events, err = decodeReplay(rows, q.Max); err != nil {
			return err
		}
		if out.Allowed, err = s.allowedIn(ctx, tx, out.Events); err != nil {
			return err
		}
		var rr []ruleRow
		if err := s.selectNamed(ctx, tx, &rr, "rule-overrides", Tenant(ctx)); err != nil {
			return err
		}
		out.Overrides, err = decodeRules(rr)
		return err
	})
	if err != nil {
		return Replay{}, fmt.Errorf("replay %s events: %w", q.Channel, err)
	}
	return out, nil
}

func decodeReplay(rows []replayRow, max int) ([]StoredEvent, error) {
	out := make([]StoredEvent, 0, len(rows))
	n := 0
	for _, r := range rows {
		se := StoredEvent{InWindow: r.InWindow, Verdict: channels.Verdict{
			Outcome: channels.Outcome(r.Outcome), Reason: channels.Reason(r.Reason), Rule: r.Rule, Evidence: r.Evidence}}
		if err := json.Unmarshal(r.Payload, &se.Event); err != nil {
			return nil, fmt.Errorf("decode stored event %s: %w", r.ID, err)
		}
		if r.InWindow {
			n++
		}
		out = append(out, se)
	}
	if n > max {
		return nil, fmt.Errorf("the window holds more than %d events: %w", max, ErrTooMany)
	}
	return out, nil
}

// allowedIn returns which recipients of events are allowlisted.
func (s *Store) allowedIn(ctx context.Context, tx *sqlx.Tx, events []StoredEvent) (map[lifecycle.RecipientKey]bool, error) {
	keys := make([][]string, 3)
	seen := make(map[lifecycle.RecipientKey]bool)
	for _, se := range events {
		k := lifecycle.RecipientKey{Tenant: se.Event.TenantName(), Channel: se.Event.Channel, Address: se.Event.Recipient}
		if !seen[k] {
			seen[k] = true
			keys[0] = append(keys[0], k.Tenant)
			keys[1] = append(keys[1], string(k.Channel))
			keys[2] = append(keys[2], k.Address)
		}
	}
	var allow []struct {
		Tenant  string `db:"tenant"`
		Channel string `db:"channel"`
		Address string `db:"address"`
	}
	if err := s.selectNamed(ctx, tx, &allow, "allowed-recipients", arrays(keys)...); err != nil {
		return nil, err
	}
	out := make(map[lifecycle.RecipientKey]bool, len(allow))
	for _, a := range allow {
		out[lifecycle.RecipientKey{Tenant: a.Tenant, Channel: channels.Channel(a.Channel), Address: a.Address}] = true
	}
	return out, nil
}

// readTx runs fn in a read-only REPEATABLE READ transaction, always rolled
// back: PostgreSQL refuses any write in it (SQLSTATE 25006).
func (s *Store) readTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return fmt.Errorf("begin read-only: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	return fn(tx)
}
