package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

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
	// Timeout is the statement timeout of the reads (0: the session's);
	// past it the read fails with ErrTimeout.
	Timeout time.Duration
}

// ErrTimeout is returned when PostgreSQL cancelled a read at its
// statement timeout (SQLSTATE 57014).
var ErrTimeout = errors.New("statement timeout")

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
		if q.Timeout > 0 {
			if err := s.exec(ctx, tx, qSetStatementTimeout, strconv.FormatInt(q.Timeout.Milliseconds(), 10)); err != nil {
				return err
			}
		}
		var err error
		if out.Events, err = s.streamReplay(ctx, tx, q); err != nil {
			return err
		}
		if out.Allowed, err = s.allowedIn(ctx, tx, out.Events); err != nil {
			return err
		}
		var rr []ruleRow
		if err := s.selectNamed(ctx, tx, &rr, qRuleOverrides, channels.Tenant(ctx)); err != nil {
			return err
		}
		out.Overrides, err = decodeRules(rr)
		return err
	})
	if isCanceled(err) {
		return Replay{}, fmt.Errorf("replay %s events: %w after %s", q.Channel, ErrTimeout, q.Timeout)
	}
	if err != nil {
		return Replay{}, fmt.Errorf("replay %s events: %w", q.Channel, err)
	}
	return out, nil
}

// streamReplay reads the replay's rows one at a time, decoding each as it
// comes, so the rows' bytes and the decoded events are never all held
// twice; the events come without their raw source (the query leaves it
// out), which no rule reads and which can be most of an event's size.
func (s *Store) streamReplay(ctx context.Context, tx *sqlx.Tx, q ReplayQuery) ([]StoredEvent, error) {
	sql, err := s.query(qReplayEvents)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryxContext(ctx, sql, string(q.Channel), q.From, q.To, q.Max+1, channels.Tenant(ctx))
	if err != nil {
		return nil, fmt.Errorf("replay-events: %w", err)
	}
	defer rows.Close()
	var out []StoredEvent
	n := 0
	for rows.Next() {
		var r replayRow
		if err := rows.StructScan(&r); err != nil {
			return nil, fmt.Errorf("replay-events: %w", err)
		}
		se, err := r.decode()
		if err != nil {
			return nil, err
		}
		if r.InWindow {
			if n++; n > q.Max {
				return nil, fmt.Errorf("the window holds more than %d events: %w", q.Max, ErrTooMany)
			}
		}
		out = append(out, se)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("replay-events: %w", err)
	}
	return out, nil
}

// decode reads a stored row.
func (r replayRow) decode() (StoredEvent, error) {
	se := StoredEvent{InWindow: r.InWindow, Verdict: channels.Verdict{
		Outcome: channels.Outcome(r.Outcome), Reason: channels.Reason(r.Reason), Rule: r.Rule, Evidence: r.Evidence}}
	if err := json.Unmarshal(r.Payload, &se.Event); err != nil {
		return StoredEvent{}, fmt.Errorf("decode stored event %s: %w", r.ID, err)
	}
	return se, nil
}

// decodeReplay reads stored rows (the replay's pages).
func decodeReplay(rows []replayRow) ([]StoredEvent, error) {
	out := make([]StoredEvent, 0, len(rows))
	for _, r := range rows {
		se, err := r.decode()
		if err != nil {
			return nil, err
		}
		out = append(out, se)
	}
	return out, nil
}

// isCanceled says whether PostgreSQL cancelled a statement (SQLSTATE
// 57014: statement timeout or a cancel request).
func isCanceled(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == "57014"
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
	return s.allowedRecipients(ctx, tx, keys)
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
