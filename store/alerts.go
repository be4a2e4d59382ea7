package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rebond/rebond/channels"
)

type alertRow struct {
	ID     int64  `db:"id"`
	Tenant string `db:"tenant"`
	alertColumns
	PublishedAt sql.NullTime `db:"published_at"`
}

// alertColumns are an alert change's own columns in alert_changes, which
// the delivery log reads with each delivery (deliveryRow).
type alertColumns struct {
	Channel   string    `db:"channel"`
	Campaign  string    `db:"campaign"`
	Provider  string    `db:"provider"`
	Metric    string    `db:"metric"`
	From      string    `db:"from_state"`
	To        string    `db:"to_state"`
	At        time.Time `db:"at"`
	Sent      int64     `db:"sent"`
	Hits      int64     `db:"hits"`
	Rate      float64   `db:"rate"`
	Low       float64   `db:"rate_low"`
	High      float64   `db:"rate_high"`
	Threshold float64   `db:"threshold"`
}

func (r alertRow) change() channels.AlertChange {
	c := channels.AlertChange{ID: r.ID, Tenant: r.Tenant, AlertKey: channels.AlertKey{Channel: channels.Channel(r.Channel), Campaign: r.Campaign,
		Provider: r.Provider, Metric: r.Metric}, From: r.From, To: r.To, At: r.At.UTC(), Sent: r.Sent, Hits: r.Hits,
		Rate: r.Rate, CI: channels.Interval{Low: r.Low, High: r.High}, Threshold: r.Threshold}
	if r.PublishedAt.Valid {
		t := r.PublishedAt.Time.UTC()
		c.PublishedAt = &t
	}
	return c
}

// RecordAlerts records changes in one transaction and returns those it
// recorded, with their ids. A change whose alert is no longer in its From
// state (another scheduler replica recorded it first) is skipped, so
// replicas evaluating at once record each change once. The changes are
// ctx's tenant's (channels.WithTenant).
func (s *Store) RecordAlerts(ctx context.Context, changes []channels.AlertChange) ([]channels.AlertChange, error) {
	if len(changes) == 0 {
		return nil, nil
	}
	var out []channels.AlertChange
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		out = out[:0]
		if err := s.exec(ctx, tx, qAlertsLock); err != nil {
			return err
		}
		q, err := s.query(qInsertAlertChange)
		if err != nil {
			return err
		}
		for _, c := range changes {
			c.Tenant = channels.Tenant(ctx)
			err := tx.QueryRowContext(ctx, q, string(c.Channel), c.Campaign, c.Provider, c.Metric, c.From, c.To, c.At,
				c.Sent, c.Hits, c.Rate, c.CI.Low, c.CI.High, c.Threshold, c.Tenant).Scan(&c.ID)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return fmt.Errorf("record alert %s/%s/%s/%s %s->%s: %w", c.Channel, c.Campaign, c.Provider, c.Metric, c.From, c.To, err)
			}
			c.At = c.At.UTC()
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ActiveAlerts returns the latest change of every alert not in state ok,
// ordered by channel, campaign, provider and metric, of ctx's tenant.
func (s *Store) ActiveAlerts(ctx context.Context) ([]channels.AlertChange, error) {
	return s.alerts(ctx, qActiveAlerts, channels.Tenant(ctx))
}

// RecentAlerts returns the last limit changes of ctx's tenant, newest
// first.
func (s *Store) RecentAlerts(ctx context.Context, limit int) ([]channels.AlertChange, error) {
	return s.alerts(ctx, qRecentAlerts, limit, channels.Tenant(ctx))
}

// AlertTenants lists the tenants that sent messages since from: the ones
// the alert evaluator has rates to look at.
func (s *Store) AlertTenants(ctx context.Context, from time.Time) ([]string, error) {
	q, err := s.query(qAlertTenants)
	if err != nil {
		return nil, err
	}
	var out []string
	if err := s.db.SelectContext(ctx, &out, q, from); err != nil {
		return nil, fmt.Errorf("alert tenants: %w", err)
	}
	return out, nil
}

// UnpublishedAlerts returns up to limit changes not yet published on NATS,
// oldest first, of every tenant (each change names its own).
func (s *Store) UnpublishedAlerts(ctx context.Context, limit int) ([]channels.AlertChange, error) {
	return s.alerts(ctx, qUnpublishedAlerts, limit)
}

func (s *Store) alerts(ctx context.Context, name queryName, args ...any) ([]channels.AlertChange, error) {
	q, err := s.query(name)
	if err != nil {
		return nil, err
	}
	var rows []alertRow
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := make([]channels.AlertChange, len(rows))
	for i, r := range rows {
		out[i] = r.change()
	}
	return out, nil
}

// MarkAlertsPublished records that the changes with these ids went out on
// NATS at t.
func (s *Store) MarkAlertsPublished(ctx context.Context, ids []int64, t time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	q, err := s.query(qMarkAlertsPublished)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, q, pq.Array(ids), t); err != nil {
		return fmt.Errorf("mark alerts published: %w", err)
	}
	return nil
}
