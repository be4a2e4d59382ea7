package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// dedupeDays is how far into a month an event is also looked for in the
// month before (insert-events, 0011_events_by_month.sql): a receipt whose
// occurred_at is its time of receipt and that a provider re-delivers
// across the turn of a month is still one event. Providers re-deliver for
// hours to three days.
const dedupeDays = 7

// monthOf is the partition key of an event that occurred at t: the first
// day of t's month in UTC (PostgreSQL's date_trunc('month', t AT TIME ZONE
// 'UTC')).
func monthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// monthSet collects the distinct months a statement may look in, so that
// the planner prunes every other partition (the parameter is a constant
// of the statement's custom plan).
type monthSet []time.Time

func (m *monthSet) add(t time.Time) {
	if !slices.ContainsFunc(*m, t.Equal) {
		*m = append(*m, t)
	}
}

// array is the set as a date[] parameter.
func (m monthSet) array() any {
	out := make([]string, len(m))
	for i, t := range m {
		out[i] = t.Format(time.DateOnly)
	}
	return pq.Array(out)
}

// Partition is one partition of the events table.
type Partition struct {
	Name string
	// From and To bound the months it holds, [From, To), as UTC dates;
	// both are zero for the DEFAULT partition, which holds every month
	// that has no partition of its own.
	From, To time.Time
}

// EventPartitions lists the partitions of the events table, in month
// order, the DEFAULT partition last.
func (s *Store) EventPartitions(ctx context.Context) ([]Partition, error) {
	q, err := s.query(qEventPartitions)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Name string       `db:"name"`
		Lo   sql.NullTime `db:"lo"`
		Hi   sql.NullTime `db:"hi"`
	}
	if err := s.db.SelectContext(ctx, &rows, q); err != nil {
		return nil, fmt.Errorf("list event partitions: %w", err)
	}
	out := make([]Partition, len(rows))
	for i, r := range rows {
		out[i] = Partition{Name: r.Name, From: r.Lo.Time, To: r.Hi.Time}
	}
	return out, nil
}

// EnsurePartitions creates the monthly partitions of events for now's
// month and the ahead months after it that have none, and returns the
// names it created. Rows the DEFAULT partition holds for such a month
// move into the new partition in the same transaction. It is idempotent,
// and safe to run from several schedulers at once.
func (s *Store) EnsurePartitions(ctx context.Context, now time.Time, ahead int) ([]string, error) {
	from := monthOf(now)
	to := from.AddDate(0, ahead, 0)
	var created []string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		created = created[:0]
		if err := s.exec(ctx, tx, qPartitionLockTimeout); err != nil {
			return err
		}
		return s.selectNamed(ctx, tx, &created, qEnsureEventPartitions, from.Format(time.DateOnly), to.Format(time.DateOnly))
	})
	if err != nil {
		return nil, fmt.Errorf("create event partitions %s to %s: %w", from.Format("2006-01"), to.Format("2006-01"), err)
	}
	return created, nil
}

// DropExpiredPartitions is the retention of the monthly partitions: it
// detaches and drops every partition whose months ended at or before
// cutoff, in one transaction, and returns their names. A partition that
// still holds events not applied yet is kept (and listed in kept) until
// a later call finds it applied. The call takes an exclusive lock on
// events only when there is a partition to drop, and fails rather than
// wait more than a few seconds for it.
func (s *Store) DropExpiredPartitions(ctx context.Context, cutoff time.Time) (dropped, kept []string, err error) {
	var rows []struct {
		Name    string `db:"part_name"`
		Dropped bool   `db:"was_dropped"`
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		rows = rows[:0]
		if err := s.exec(ctx, tx, qPartitionLockTimeout); err != nil {
			return err
		}
		return s.selectNamed(ctx, tx, &rows, qDropEventPartitions, cutoff)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("retention: drop event partitions: %w", err)
	}
	for _, r := range rows {
		if r.Dropped {
			dropped = append(dropped, r.Name)
		} else {
			kept = append(kept, r.Name)
		}
	}
	return dropped, kept, nil
}

// DeleteOlderThan deletes up to limit applied events of the DEFAULT
// partition whose month ended at or before cutoff (the monthly partitions
// go whole, DropExpiredPartitions); it returns how many it deleted.
// Rejected payloads have their own retention (DeleteRejected).
func (s *Store) DeleteOlderThan(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	q, err := s.query(qDeleteOldEvents)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := s.db.GetContext(ctx, &n, q, cutoff, limit); err != nil {
		return 0, fmt.Errorf("retention: %w", err)
	}
	return n, nil
}

// DeleteRejected deletes up to limit rejected payloads that were received
// before cutoff (a zero cutoff: none for their age) or that are not among
// the newest keep (keep <= 0: none for their number), oldest first, and
// returns how many it deleted: what rejected_events keeps is a bounded,
// expiring sample of what was refused, whoever sends it.
func (s *Store) DeleteRejected(ctx context.Context, cutoff time.Time, keep, limit int) (int64, error) {
	q, err := s.query(qDeleteRejected)
	if err != nil {
		return 0, err
	}
	var before any
	if !cutoff.IsZero() {
		before = cutoff
	}
	res, err := s.db.ExecContext(ctx, q, before, keep, limit)
	if err != nil {
		return 0, fmt.Errorf("rejected retention: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
