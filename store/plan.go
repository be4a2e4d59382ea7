package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rebond/rebond/channels/lifecycle"
)

// writePlan writes the plan decided on the locked batch b: a fixed number
// of statements whatever the batch size. The new deliveries first, as one
// created meanwhile makes the attempt start over (insertMessages); the
// rate buckets last, so their hot rows stay locked only until the commit.
func (s *Store) writePlan(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan, b batch) error {
	created, changed := splitMessages(p.Messages, b.snap.Messages)
	if err := s.insertMessages(ctx, tx, created); err != nil {
		return err
	}
	if err := s.writeVerdicts(ctx, tx, p, b.rows); err != nil {
		return err
	}
	if err := s.updateMessages(ctx, tx, changed); err != nil {
		return err
	}
	for _, step := range []func(context.Context, *sqlx.Tx, lifecycle.Plan) error{
		s.writeRecipients, s.writeAudit, s.writeIncidents, s.writeBuckets,
	} {
		if err := step(ctx, tx, p); err != nil {
			return err
		}
	}
	return nil
}

// splitMessages parts the plan's deliveries into the new ones and those
// the batch locked.
func splitMessages(ms []lifecycle.Message, locked map[lifecycle.MessageKey]lifecycle.Message) (created, changed []lifecycle.Message) {
	for _, m := range ms {
		if _, ok := locked[m.Key()]; ok {
			changed = append(changed, m)
		} else {
			created = append(created, m)
		}
	}
	return created, changed
}

// insertMessages creates the new deliveries with the state the plan gives
// them: one write each, where a placeholder row, its lock and an update
// (never HOT: status and send time are in partial indexes) were three. The
// insert is in key order, as every lock. A key another apply created since
// the batch was locked waits for that apply to end and is not inserted:
// the plan decided it as new, so the attempt starts over, where it is a
// stored delivery, locked.
func (s *Store) insertMessages(ctx context.Context, tx *sqlx.Tx, ms []lifecycle.Message) error {
	if len(ms) == 0 {
		return nil
	}
	var inserted []messageKeyRow
	if err := s.selectNamed(ctx, tx, &inserted, qInsertMessages, messageArgs(ms)...); err != nil {
		return err
	}
	if n := len(ms) - len(inserted); n > 0 {
		return fmt.Errorf("%d new messages were created by a concurrent apply: %w", n, errStaleSnapshot)
	}
	return nil
}

// writeVerdicts marks the applied events applied, each under its key (id
// and month): the months come from the locked rows, as the plan knows
// events by id only. Two locked rows with one id (the same id stored in
// two months, 0011_events_by_month.sql) both get its verdict.
func (s *Store) writeVerdicts(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan, locked []eventRow) error {
	byID := make(map[string][]time.Time, len(locked))
	var months monthSet
	for _, r := range locked {
		byID[r.ID] = append(byID[r.ID], r.Month)
		months.add(r.Month)
	}
	cols := make([][]string, 6)
	for _, a := range p.Applied {
		v := a.Verdict
		for _, m := range byID[a.EventID] {
			for i, x := range []string{a.EventID, m.Format(time.DateOnly), string(v.Outcome), string(v.Reason), v.Rule, v.Evidence} {
				cols[i] = append(cols[i], x)
			}
		}
		delete(byID, a.EventID)
	}
	return s.exec(ctx, tx, qMarkApplied, append(arrays(cols), months.array())...)
}

// updateMessages writes the new state of locked deliveries.
func (s *Store) updateMessages(ctx context.Context, tx *sqlx.Tx, ms []lifecycle.Message) error {
	if len(ms) == 0 {
		return nil
	}
	return s.exec(ctx, tx, qUpdateMessages, messageArgs(ms)...)
}

// messageArgs are the array parameters of update-messages and
// insert-messages, in their unnest column order.
func messageArgs(ms []lifecycle.Message) []any {
	text := make([][]string, 12)
	var complained []bool
	var attempts []int64
	for _, m := range ms {
		row := []string{m.Tenant, string(m.Channel), m.MessageID, m.Recipient, m.Campaign, m.Domain, ts(m.SentAt),
			string(m.Status), m.Reason, m.EventID, ts(m.RetryDueAt), m.RetryReason}
		for i, x := range row {
			text[i] = append(text[i], x)
		}
		complained = append(complained, m.Complained)
		attempts = append(attempts, int64(m.RetryAttempt))
	}
	return []any{pq.Array(text[0]), pq.Array(text[1]), pq.Array(text[2]), pq.Array(text[3]), pq.Array(text[4]),
		pq.Array(text[5]), pq.Array(text[6]), pq.Array(text[7]), pq.Array(complained), pq.Array(text[8]), pq.Array(text[9]),
		pq.Array(attempts), pq.Array(text[10]), pq.Array(text[11])}
}

// writeRecipients updates the changed recipients, every one of them locked
// by lockRecipients (Apply checks that first).
func (s *Store) writeRecipients(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan) error {
	if len(p.Recipients) == 0 {
		return nil
	}
	return s.exec(ctx, tx, qUpdateRecipients, recipientArgs(p.Recipients)...)
}

// recipientArgs are the array parameters of update-recipients.
func recipientArgs(rs []lifecycle.Recipient) []any {
	text := make([][]string, 10)
	var counts, quarantines []int64
	for _, r := range rs {
		row := []string{r.Tenant, string(r.Channel), r.Address, r.State, r.Reason, ts(r.Since), ts(r.Until), r.EventID, r.Rule,
			ts(r.QuarantinedAt)}
		for i, x := range row {
			text[i] = append(text[i], x)
		}
		counts = append(counts, int64(r.SoftCount))
		quarantines = append(quarantines, int64(r.QuarantineCount))
	}
	return []any{pq.Array(text[0]), pq.Array(text[1]), pq.Array(text[2]), pq.Array(text[3]), pq.Array(text[4]), pq.Array(counts),
		pq.Array(text[5]), pq.Array(text[6]), pq.Array(text[7]), pq.Array(text[8]),
		pq.Array(quarantines), pq.Array(text[9])}
}

func (s *Store) writeAudit(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan) error {
	if len(p.Audit) == 0 {
		return nil
	}
	cols := make([][]string, 10)
	for _, a := range p.Audit {
		row := []string{a.Tenant, string(a.Channel), a.Address, ts(a.At), a.From, a.To, a.Reason, a.Actor, a.EventID, a.Rule}
		for i, x := range row {
			cols[i] = append(cols[i], x)
		}
	}
	return s.exec(ctx, tx, qInsertAudit, arrays(cols)...)
}

func (s *Store) writeBuckets(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan) error {
	if len(p.Buckets) == 0 {
		return nil
	}
	keys := make([][]string, 5)
	nums := make([][]string, 6)
	for k, c := range p.Buckets {
		for i, x := range []string{k.Tenant, string(k.Channel), k.Campaign, k.Domain, ts(k.Hour)} {
			keys[i] = append(keys[i], x)
		}
		for i, n := range []int64{c.Sent, c.Delivered, c.Soft, c.Hard, c.Complaints, c.Unverified} {
			nums[i] = append(nums[i], strconv.FormatInt(n, 10))
		}
	}
	args := append(arrays(keys), arrays(nums)...)
	for _, q := range []queryName{qAddBuckets, qAddRateDays, qAddRateCampaignDays} {
		if err := s.exec(ctx, tx, q, args...); err != nil {
			return err
		}
	}
	return nil
}
