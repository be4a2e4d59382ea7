package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
)

// RetryDue names a retry notice whose time has come.
type RetryDue struct {
	Tenant    string           `db:"tenant"`
	Channel   channels.Channel `db:"channel"`
	MessageID string           `db:"message_id"`
	Recipient string           `db:"recipient"`
	Attempt   int              `db:"attempt"`
	DueAt     time.Time        `db:"retry_due_at"`
}

// RetryState is a message's state as a retry sees it, read under lock.
type RetryState struct {
	Status         lifecycle.Status `db:"status"`
	Recipient      string           `db:"recipient"`
	Campaign       string           `db:"campaign"`
	Done           int              `db:"retry_attempt"`
	DueAt          sql.NullTime     `db:"retry_due_at"`
	Reason         string           `db:"retry_reason"`
	RecipientState channels.State   `db:"recipient_state"`
}

// DueRetries lists up to limit retries due at now, oldest first; the
// scheduler uses it to re-enqueue retries whose task was lost.
func (s *Store) DueRetries(ctx context.Context, now time.Time, limit int) ([]RetryDue, error) {
	q, err := s.query(qDueRetries)
	if err != nil {
		return nil, err
	}
	var out []RetryDue
	if err := s.db.SelectContext(ctx, &out, q, now, limit); err != nil {
		return nil, fmt.Errorf("due retries: %w", err)
	}
	return out, nil
}

// ErrStaleRetry means the retry was already handled or is no longer
// scheduled (delivered, failed hard, or a newer attempt).
var ErrStaleRetry = errors.New("retry no longer scheduled")

// ClaimRetry runs retry number attempt of a delivery (a message to
// recipient; "" names the message's first, for tasks queued before
// deliveries had recipients) in one transaction: it locks the delivery,
// hands its state to fn, and records the attempt with the
// next due time fn returns (zero: no further retry). fn publishes the notice
// (or decides not to); if fn fails nothing is recorded and the retry can run
// again. ErrStaleRetry when the attempt is not the one scheduled. The
// message is the one of ctx's tenant (channels.WithTenant).
func (s *Store) ClaimRetry(ctx context.Context, ch channels.Channel, messageID, recipient string, attempt int, fn func(RetryState) (time.Time, error)) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		q, err := s.query(qLockRetry)
		if err != nil {
			return err
		}
		var st RetryState
		err = tx.GetContext(ctx, &st, q, string(ch), messageID, channels.Tenant(ctx), recipient)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (st.Done != attempt-1 || !st.DueAt.Valid)) {
			return ErrStaleRetry
		}
		if err != nil {
			return fmt.Errorf("lock retry: %w", err)
		}
		next, err := fn(st)
		if err != nil {
			return err
		}
		var due any
		if !next.IsZero() {
			due = next
		}
		return s.exec(ctx, tx, qSetRetry, string(ch), messageID, attempt, due, channels.Tenant(ctx), st.Recipient)
	})
}

// SilentMessage is a sent message that has had no final outcome.
type SilentMessage struct {
	Tenant    string           `db:"tenant"`
	Channel   channels.Channel `db:"channel"`
	MessageID string           `db:"message_id"`
	Recipient string           `db:"recipient"`
	Campaign  string           `db:"campaign"`
	SentAt    time.Time        `db:"sent_at"`
}

// SilentMessages lists messages of ch sent before cutoff that are still
// pending (no delivery, no failure), oldest first.
func (s *Store) SilentMessages(ctx context.Context, ch channels.Channel, cutoff time.Time, limit int) ([]SilentMessage, error) {
	q, err := s.query(qSilentMessages)
	if err != nil {
		return nil, err
	}
	var out []SilentMessage
	if err := s.db.SelectContext(ctx, &out, q, ch, cutoff, limit); err != nil {
		return nil, fmt.Errorf("silent messages: %w", err)
	}
	return out, nil
}
