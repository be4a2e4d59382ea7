package store

import (
	"context"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rebond/rebond/channels/lifecycle"
)

// writePlan writes a decided plan for the locked events: a fixed number
// of statements whatever the batch size, the rate buckets last so their
// hot rows stay locked only until the commit.
func (s *Store) writePlan(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan, locked []eventRow, created map[lifecycle.MessageKey]lifecycle.Message) error {
	if err := s.writeVerdicts(ctx, tx, p, locked); err != nil {
		return err
	}
	writeMessages := func(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan) error {
		return s.writeMessages(ctx, tx, p, created)
	}
	steps := []func(context.Context, *sqlx.Tx, lifecycle.Plan) error{
		writeMessages, s.writeRecipients, s.writeAudit, s.writeIncidents, s.writeBuckets,
	}
	for _, step := range steps {
		if err := step(ctx, tx, p); err != nil {
			return err
		}
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
	return s.exec(ctx, tx, "mark-applied", append(arrays(cols), months.array())...)
}

// writeMessages updates the plan's messages, but for those lockMessages
// created with the same state (all of them, as a new message's state
// depends on its own events only; a difference would be written).
func (s *Store) writeMessages(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan, created map[lifecycle.MessageKey]lifecycle.Message) error {
	var update []lifecycle.Message
	for _, m := range p.Messages {
		c, ok := created[m.Key()]
		if !ok || !sameMessage(c, m) {
			update = append(update, m)
		}
	}
	if len(update) == 0 {
		return nil
	}
	return s.exec(ctx, tx, "update-messages", messageArgs(update)...)
}

// sameMessage compares two message states (times by instant).
func sameMessage(a, b lifecycle.Message) bool {
	return a.Tenant == b.Tenant && a.Channel == b.Channel && a.MessageID == b.MessageID && a.Recipient == b.Recipient &&
		a.Campaign == b.Campaign && a.Domain == b.Domain && a.SentAt.Equal(b.SentAt) && a.Status == b.Status &&
		a.Complained == b.Complained && a.Reason == b.Reason && a.EventID == b.EventID &&
		a.RetryAttempt == b.RetryAttempt && a.RetryDueAt.Equal(b.RetryDueAt) && a.RetryReason == b.RetryReason &&
		a.Route == b.Route
}

// messageArgs are the array parameters of update-messages and
// insert-messages, in their unnest column order.
func messageArgs(ms []lifecycle.Message) []any {
	text := make([][]string, 13)
	var complained []bool
	var attempts []int64
	for _, m := range ms {
		row := []string{m.Tenant, string(m.Channel), m.MessageID, m.Recipient, m.Campaign, m.Domain, ts(m.SentAt),
			string(m.Status), m.Reason, m.EventID, ts(m.RetryDueAt), m.RetryReason, m.Route}
		for i, x := range row {
			text[i] = append(text[i], x)
		}
		complained = append(complained, m.Complained)
		attempts = append(attempts, int64(m.RetryAttempt))
	}
	return []any{pq.Array(text[0]), pq.Array(text[1]), pq.Array(text[2]), pq.Array(text[3]), pq.Array(text[4]),
		pq.Array(text[5]), pq.Array(text[6]), pq.Array(text[7]), pq.Array(complained), pq.Array(text[8]), pq.Array(text[9]),
		pq.Array(attempts), pq.Array(text[10]), pq.Array(text[11]), pq.Array(text[12])}
}

// writeRecipients updates the changed recipients, every one of them locked
// by lockRecipients (Apply checks that first).
func (s *Store) writeRecipients(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan) error {
	if len(p.Recipients) == 0 {
		return nil
	}
	return s.exec(ctx, tx, "update-recipients", recipientArgs(p.Recipients)...)
}

// recipientArgs are the array parameters of update-recipients.
func recipientArgs(rs []lifecycle.Recipient) []any {
	text := make([][]string, 10)
	var counts, quarantines []int64
	for _, r := range rs {
		row := []string{r.Tenant, string(r.Channel), r.Address, string(r.State), r.Reason, ts(r.Since), ts(r.Until), r.EventID, r.Rule,
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
		row := []string{a.Tenant, string(a.Channel), a.Address, ts(a.At), string(a.From), string(a.To), a.Reason, a.Actor, a.EventID, a.Rule}
		for i, x := range row {
			cols[i] = append(cols[i], x)
		}
	}
	return s.exec(ctx, tx, "insert-audit", arrays(cols)...)
}

func (s *Store) writeBuckets(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan) error {
	if len(p.Buckets) == 0 {
		return nil
	}
	keys := make([][]string, 6)
	nums := make([][]string, 6)
	for k, c := range p.Buckets {
		for i, x := range []string{k.Tenant, string(k.Channel), k.Campaign, k.Domain, k.Route, ts(k.Hour)} {
			keys[i] = append(keys[i], x)
		}
		for i, n := range []int64{c.Sent, c.Delivered, c.Soft, c.Hard, c.Complaints, c.Unverified} {
			nums[i] = append(nums[i], strconv.FormatInt(n, 10))
		}
	}
	args := append(arrays(keys), arrays(nums)...)
	for _, q := range []string{"add-buckets", "add-rate-days", "add-rate-campaign-days"} {
		if err := s.exec(ctx, tx, q, args...); err != nil {
			return err
		}
	}
	return nil
}
