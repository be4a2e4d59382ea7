package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rebond/rebond/channels"
)

// InsertEvents stores events in the inbox (the events table, not yet
// applied), ignoring ids it already has, and returns the ids of the batch
// that are still waiting to be applied, in arrival order. It is the
// bridge's idempotent "store before ack" step: calling it again with the
// same events changes nothing. Ids here are event keys (channels.Event.Key),
// unique across tenants. An event is stored in the partition of its
// occurred_at's month, and one in the first days of a month whose id is
// stored in the month before is that event re-delivered: it is dropped,
// and not listed (0011_events_by_month.sql).
func (s *Store) InsertEvents(ctx context.Context, events []channels.Event) ([]string, error) {
	if len(events) == 0 {
		return nil, nil
	}
	cols := make([][]string, 9)
	ids := make([]string, 0, len(events))
	// months are the batch's; before, the months where a re-delivery
	// across the turn of a month is looked for (insert-events).
	var months, before monthSet
	for _, e := range events {
		payload, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode event %s: %w", e.ID, err)
		}
		// PostgreSQL keeps microseconds: round here, so that the month
		// computed below is the one the database computes.
		at := e.OccurredAt.UTC().Round(time.Microsecond)
		row := []string{e.Key(), string(e.Channel), string(e.Type), e.MessageID, e.Recipient, e.Campaign,
			at.Format(time.RFC3339Nano), string(payload), e.TenantName()}
		for i, v := range row {
			cols[i] = append(cols[i], v)
		}
		ids = append(ids, e.Key())
		months.add(monthOf(at))
		if at.Day() <= dedupeDays {
			before.add(monthOf(at).AddDate(0, -1, 0))
		}
	}
	var pending []string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var queued []string
		if err := s.selectNamed(ctx, tx, &queued, qInsertEvents, append(arrays(cols), dedupeDays, before.array())...); err != nil {
			return err
		}
		if len(queued) == len(ids) {
			// Every event was new (the common case): no second look-up
			// of the batch's ids, each an index probe, is needed.
			pending = ids
			return nil
		}
		var stale []string // already stored: still pending, or applied?
		isQueued := make(map[string]bool, len(queued))
		for _, id := range queued {
			isQueued[id] = true
		}
		for _, id := range ids {
			if !isQueued[id] {
				stale = append(stale, id)
			}
		}
		var waiting []string
		if err := s.selectNamed(ctx, tx, &waiting, qUnappliedOf, pq.Array(stale), months.array()); err != nil {
			return err
		}
		for _, id := range waiting {
			isQueued[id] = true
		}
		pending = make([]string, 0, len(ids)) // never ids' array: an earlier attempt may have returned it
		for _, id := range ids {
			if isQueued[id] {
				pending = append(pending, id)
				isQueued[id] = false // an id twice in a batch is listed once
			}
		}
		return nil
	})
	if err != nil {
		if isDataError(err) {
			return nil, fmt.Errorf("insert %d events: %w: %v", len(events), ErrBadData, err)
		}
		return nil, fmt.Errorf("insert %d events: %w", len(events), err)
	}
	return pending, nil
}

// ErrBadData marks an insert PostgreSQL refused for the data itself (SQL
// state class 22: a byte it cannot store, a value out of range): retrying
// the same rows can never succeed, so the caller must find and set aside
// the bad one instead of retrying the batch.
var ErrBadData = errors.New("data the database cannot store")

func isDataError(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code.Class() == "22"
}

// InsertRejected keeps a payload that could not be decoded into an event,
// with the reason, so nothing a producer published is silently lost.
func (s *Store) InsertRejected(ctx context.Context, source, reason string, payload []byte) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		return s.exec(ctx, tx, qInsertRejected, source, reason, payload)
	})
}

// InsertRejectedOnce is InsertRejected for a spooled payload: ref is its
// spool id, and a payload already kept under the same source and ref (a
// redelivery after a crash before its ack) is not kept again.
func (s *Store) InsertRejectedOnce(ctx context.Context, source, ref, reason string, payload []byte) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		return s.exec(ctx, tx, qInsertRejectedOnce, source, reason, payload, ref)
	})
}

// UnappliedBefore returns up to limit ids of inbox rows received before t
// and never applied: the reconciler re-enqueues them.
func (s *Store) UnappliedBefore(ctx context.Context, t time.Time, limit int) ([]string, error) {
	sql, err := s.query(qUnappliedBefore)
	if err != nil {
		return nil, err
	}
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, sql, t, limit); err != nil {
		return nil, fmt.Errorf("scan unapplied events: %w", err)
	}
	return ids, nil
}

// arrays wraps column slices for unnest($n::type[]) parameters.
func arrays[T any](cols [][]T) []any {
	args := make([]any, len(cols))
	for i, c := range cols {
		args[i] = pq.Array(c)
	}
	return args
}

// selectNamed runs the named query on q (the pool or a transaction) into
// dest, its errors prefixed with the query's name.
func (s *Store) selectNamed(ctx context.Context, q sqlx.QueryerContext, dest any, name queryName, args ...any) error {
	sql, err := s.query(name)
	if err != nil {
		return err
	}
	if err := sqlx.SelectContext(ctx, q, dest, sql, args...); err != nil {
		return fmt.Errorf("%s: %w", name.name, err)
	}
	return nil
}

// ts formats an optional time for a NULLIF(x, ”)::timestamptz parameter.
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// CountEvents reports how many stored events are applied and how many are
// still waiting in the inbox (for tests, benchmarks and operators).
func (s *Store) CountEvents(ctx context.Context) (applied, pending int64, err error) {
	q, err := s.query(qCountEvents)
	if err != nil {
		return 0, 0, err
	}
	var row struct {
		Applied int64 `db:"applied"`
		Pending int64 `db:"pending"`
	}
	if err := s.db.GetContext(ctx, &row, q); err != nil {
		return 0, 0, fmt.Errorf("count events: %w", err)
	}
	return row.Applied, row.Pending, nil
}

// MessageRecipient returns the recipient of the tenant's message on the
// channel, ErrNotFound when no message of that id names one yet.
func (s *Store) MessageRecipient(ctx context.Context, tenant string, ch channels.Channel, messageID string) (string, error) {
	q, err := s.query(qMessageRecipient)
	if err != nil {
		return "", err
	}
	var rcpt string
	switch err := s.db.GetContext(ctx, &rcpt, q, tenant, string(ch), messageID); {
	case errors.Is(err, sql.ErrNoRows):
		return "", ErrNotFound
	case err != nil:
		return "", fmt.Errorf("message recipient: %w", err)
	}
	return rcpt, nil
}

// CountRejected counts the payloads kept in rejected_events from source
// ("smtp" for mail that reported nothing, a NATS subject for undecodable
// events).
func (s *Store) CountRejected(ctx context.Context, source string) (int64, error) {
	q, err := s.query(qCountRejected)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := s.db.GetContext(ctx, &n, q, source); err != nil {
		return 0, fmt.Errorf("count rejected: %w", err)
	}
	return n, nil
}
