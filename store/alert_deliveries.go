package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/rebond/rebond/channels"
)

// Statuses of an alert delivery: pending until sent, or failed once its
// retries are spent.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

// AlertNoticeCandidate is the latest change of an alert key not yet
// announced, with what its people were last told: Told is the state of the
// key's last announced change, "" if none was.
type AlertNoticeCandidate struct {
	Change channels.AlertChange
	Told   string
}

// AlertDestination names where a notice goes: the destination's name in
// the configuration and its kind (webhook, slack, email).
type AlertDestination struct {
	Name string
	Kind string
}

// AlertDelivery is one row of the delivery log: one notice of one change
// to one destination, and how its attempts went.
type AlertDelivery struct {
	ID            int64                `json:"id"`
	Tenant        string               `json:"tenant"`
	Destination   string               `json:"destination"`
	Kind          string               `json:"kind"`
	Notice        string               `json:"notice"`
	Status        string               `json:"status"`
	Attempts      int                  `json:"attempts"`
	LastError     string               `json:"last_error,omitempty"`
	CreatedAt     time.Time            `json:"created_at"`
	LastAttemptAt *time.Time           `json:"last_attempt_at,omitempty"`
	SentAt        *time.Time           `json:"sent_at,omitempty"`
	Change        channels.AlertChange `json:"alert"`
}

type candidateRow struct {
	alertRow
	Told string `db:"told_state"`
}

type deliveryRow struct {
	ID            int64        `db:"id"`
	Tenant        string       `db:"tenant"`
	ChangeID      int64        `db:"change_id"`
	Destination   string       `db:"destination"`
	Kind          string       `db:"kind"`
	Notice        string       `db:"notice"`
	Status        string       `db:"status"`
	Attempts      int          `db:"attempts"`
	LastError     string       `db:"last_error"`
	CreatedAt     time.Time    `db:"created_at"`
	LastAttemptAt sql.NullTime `db:"last_attempt_at"`
	SentAt        sql.NullTime `db:"sent_at"`
	alertColumns
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

func (r deliveryRow) delivery() AlertDelivery {
	c := alertRow{ID: r.ChangeID, Tenant: r.Tenant, alertColumns: r.alertColumns}.change()
	return AlertDelivery{ID: r.ID, Tenant: r.Tenant, Destination: r.Destination, Kind: r.Kind, Notice: r.Notice,
		Status: r.Status, Attempts: r.Attempts, LastError: r.LastError, CreatedAt: r.CreatedAt.UTC(),
		LastAttemptAt: nullTime(r.LastAttemptAt), SentAt: nullTime(r.SentAt), Change: c}
}

// AlertNoticeCandidates returns, for ctx's tenant, every alert key whose
// latest change is not yet announced and has something to announce,
// oldest change first.
func (s *Store) AlertNoticeCandidates(ctx context.Context) ([]AlertNoticeCandidate, error) {
	q, err := s.query(qAlertNoticeCandidates)
	if err != nil {
		return nil, err
	}
	var rows []candidateRow
	if err := s.db.SelectContext(ctx, &rows, q, channels.Tenant(ctx)); err != nil {
		return nil, fmt.Errorf("alert notice candidates: %w", err)
	}
	out := make([]AlertNoticeCandidate, len(rows))
	for i, r := range rows {
		out[i] = AlertNoticeCandidate{Change: r.change(), Told: r.Told}
	}
	return out, nil
}

// RecordAlertNotice marks change announced at now and logs one pending
// delivery of notice per destination, in one transaction, and returns the
// new deliveries' ids. A change already announced (another scheduler
// replica was first) returns none, so each notice is queued once.
func (s *Store) RecordAlertNotice(ctx context.Context, change channels.AlertChange, notice string,
	dests []AlertDestination, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		ids = ids[:0]
		mark, err := s.query(qMarkAlertNotified)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, mark, change.ID, now).Scan(&id); errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return fmt.Errorf("mark alert %d notified: %w", change.ID, err)
		}
		ins, err := s.query(qInsertAlertDelivery)
		if err != nil {
			return err
		}
		for _, d := range dests {
			err := tx.QueryRowContext(ctx, ins, change.Tenant, change.ID, d.Name, d.Kind, notice, now).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("log alert %d delivery to %s: %w", change.ID, d.Name, err)
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// PendingAlertDeliveries returns the ids of up to limit deliveries not yet
// sent nor failed, of every tenant, oldest first.
func (s *Store) PendingAlertDeliveries(ctx context.Context, limit int) ([]int64, error) {
	q, err := s.query(qPendingAlertDeliveries)
	if err != nil {
		return nil, err
	}
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, q, limit); err != nil {
		return nil, fmt.Errorf("pending alert deliveries: %w", err)
	}
	return ids, nil
}

// AlertDelivery returns delivery id with its change, or ErrNotFound.
func (s *Store) AlertDelivery(ctx context.Context, id int64) (AlertDelivery, error) {
	q, err := s.query(qAlertDelivery)
	if err != nil {
		return AlertDelivery{}, err
	}
	var r deliveryRow
	if err := s.db.GetContext(ctx, &r, q, id); errors.Is(err, sql.ErrNoRows) {
		return AlertDelivery{}, ErrNotFound
	} else if err != nil {
		return AlertDelivery{}, fmt.Errorf("alert delivery %d: %w", id, err)
	}
	return r.delivery(), nil
}

// RecordAlertAttempt logs one attempt of a pending delivery at t: status
// is what it is after it (DeliverySent, DeliveryPending to retry,
// DeliveryFailed for good) and errText why it failed. It returns false
// when the delivery was no longer pending (nothing recorded).
func (s *Store) RecordAlertAttempt(ctx context.Context, id int64, t time.Time, status, errText string) (bool, error) {
	q, err := s.query(qRecordAlertAttempt)
	if err != nil {
		return false, err
	}
	res, err := s.db.ExecContext(ctx, q, id, t, status, errText)
	if err != nil {
		return false, fmt.Errorf("record alert delivery %d attempt: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecentAlertDeliveries returns the last limit deliveries of ctx's
// tenant, newest first.
func (s *Store) RecentAlertDeliveries(ctx context.Context, limit int) ([]AlertDelivery, error) {
	q, err := s.query(qRecentAlertDeliveries)
	if err != nil {
		return nil, err
	}
	var rows []deliveryRow
	if err := s.db.SelectContext(ctx, &rows, q, limit, channels.Tenant(ctx)); err != nil {
		return nil, fmt.Errorf("recent alert deliveries: %w", err)
	}
	out := make([]AlertDelivery, len(rows))
	for i, r := range rows {
		out[i] = r.delivery()
	}
	return out, nil
}
