package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
)

// createMessages inserts the plan's new deliveries (those b did not lock)
// whole, and records them in b.created: one write each, where a
// placeholder row, its lock and an update (never HOT: status and send
// time are in partial indexes) were three. The insert is in key order, as
// every lock. A key another apply created since b was locked waits for
// that apply to end and is not inserted: it is locked into b's snapshot
// instead (lockCreatedMeanwhile), and createMessages reports that the
// batch must be decided again, on the stored delivery.
func (s *Store) createMessages(ctx context.Context, tx *sqlx.Tx, b *batch, p lifecycle.Plan) (again bool, err error) {
	var fresh []lifecycle.Message
	for _, m := range p.Messages {
		if _, ok := b.snap.Messages[m.Key()]; !ok {
			fresh = append(fresh, m)
		}
	}
	if len(fresh) == 0 {
		return false, nil
	}
	var rows []messageKeyRow
	if err := s.selectNamed(ctx, tx, &rows, qInsertMessages, messageArgs(fresh)...); err != nil {
		return false, err
	}
	inserted := make(map[lifecycle.MessageKey]bool, len(rows))
	for _, r := range rows {
		inserted[r.key()] = true
	}
	var meanwhile []lifecycle.MessageKey
	for _, m := range fresh {
		if inserted[m.Key()] {
			b.created[m.Key()] = m
		} else {
			meanwhile = append(meanwhile, m.Key())
		}
	}
	if len(meanwhile) == 0 {
		return false, nil
	}
	return true, s.lockCreatedMeanwhile(ctx, tx, b, meanwhile)
}

// lockCreatedMeanwhile locks into b's snapshot the deliveries of keys,
// which another apply created and committed since b was locked. This lock
// comes after b's recipient locks, out of the apply's lock order, so it
// does not wait: a delivery a third apply holds (one that may be waiting
// for b) makes the attempt start over instead.
func (s *Store) lockCreatedMeanwhile(ctx context.Context, tx *sqlx.Tx, b *batch, keys []lifecycle.MessageKey) error {
	var rows []messageRow
	err := s.selectNamed(ctx, tx, &rows, qLockMessagesNowait, deliveryArrays(keys)...)
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
		return fmt.Errorf("%d messages created meanwhile are locked by another apply: %w", len(keys), errStaleSnapshot)
	}
	if err != nil {
		return err
	}
	if len(rows) != len(keys) {
		return fmt.Errorf("%d of %d messages created meanwhile are gone: %w", len(keys)-len(rows), len(keys), errStaleSnapshot)
	}
	for _, r := range rows {
		m := r.message()
		b.snap.Messages[m.Key()] = m
	}
	return nil
}

// writePlan writes the plan decided on the locked batch b, whose new
// deliveries createMessages has written: a fixed number of statements
// whatever the batch size, the rate buckets last so their hot rows stay
// locked only until the commit.
func (s *Store) writePlan(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan, b batch) error {
	if err := s.writeVerdicts(ctx, tx, p, b); err != nil {
		return err
	}
	if err := s.writeMessages(ctx, tx, p, b.created); err != nil {
		return err
	}
	if err := s.recampaignNotable(ctx, tx, p, b.snap.Messages); err != nil {
		return err
	}
	for _, step := range []func(context.Context, *sqlx.Tx, lifecycle.Plan) error{
		s.writeRecipients, s.writeAudit, s.writeConsents, s.writeIncidents, s.writeBuckets,
	} {
		if err := step(ctx, tx, p); err != nil {
			return err
		}
	}
	return nil
}

// writeVerdicts marks the applied events applied, each under its key (id
// and month): the months come from the locked rows, as the plan knows
// events by id only. Two locked rows with one id (the same id stored in
// two months, 0011_events_by_month.sql) both get its verdict. A notable
// verdict (routineVerdict) also gets its row in the activity log's index,
// with its campaign resolved (notableCampaign), in the same statement.
func (s *Store) writeVerdicts(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan, b batch) error {
	byID := make(map[string][]time.Time, len(b.rows))
	var months monthSet
	for _, r := range b.rows {
		byID[r.ID] = append(byID[r.ID], r.Month)
		months.add(r.Month)
	}
	events := make(map[string]channels.Event, len(b.snap.Events))
	for _, e := range b.snap.Events {
		events[e.Key()] = e
	}
	planned := make(map[lifecycle.MessageKey]lifecycle.Message, len(p.Messages))
	for _, m := range p.Messages {
		planned[m.Key()] = m
	}
	cols := make([][]string, 7)
	var notable []bool
	for _, a := range p.Applied {
		v := a.Verdict
		campaign, note := "", !routineVerdict(v.Outcome, v.Reason)
		if note {
			campaign = notableCampaign(events[a.EventID], planned, b)
		}
		for _, m := range byID[a.EventID] {
			for i, x := range []string{a.EventID, m.Format(time.DateOnly), string(v.Outcome), string(v.Reason), v.Rule, v.Evidence, campaign} {
				cols[i] = append(cols[i], x)
			}
			notable = append(notable, note)
		}
		delete(byID, a.EventID)
	}
	args := append(arrays(cols[:6]), months.array(), pq.Array(cols[6]), pq.Array(notable))
	return s.exec(ctx, tx, qMarkApplied, args...)
}

// routineReasons are the reasons of a message's routine progress: what
// the rules give a send, a gateway's acknowledgement and a delivery
// (configs/rules), with outcome pending or delivered. Every other verdict
// is notable and gets a row in notable_events (0023_notable_events.sql),
// which the activity log reads when it filters on a notable reason or
// outcome (Activity). A reason added here keeps the log right (its events
// are then read from events); one removed needs its past events
// backfilled into notable_events.
var routineReasons = map[channels.Reason]bool{
	"sent": true, "accepted": true, "accepted_by_smsc": true, "queued": true, "scheduled": true,
	"enroute": true, "buffered": true, "sent_to_carrier": true, "delivered_to_carrier": true, channels.ReasonDelivered: true,
}

// routineVerdict reports whether a verdict is routine progress, with no
// row in notable_events.
func routineVerdict(o channels.Outcome, r channels.Reason) bool {
	return (o == channels.OutcomePending || o == channels.OutcomeDelivered) && routineReasons[r]
}

// notableCampaign is the campaign an applied event counts under in the
// activity log: its own, else its delivery's as the plan leaves it, as
// locked, or as created (a bounce or a receipt often names only its
// message).
func notableCampaign(e channels.Event, planned map[lifecycle.MessageKey]lifecycle.Message, b batch) string {
	if e.Campaign != "" || e.MessageID == "" {
		return e.Campaign
	}
	k := deliveryKey(e)
	if m, ok := planned[k]; ok {
		return m.Campaign
	}
	if m, ok := b.snap.Messages[k]; ok {
		return m.Campaign
	}
	return b.created[k].Campaign
}

// writeMessages updates the plan's deliveries, but for those
// createMessages created with the same state (all of them, as a new
// delivery's state depends on its own events only; a difference would be
// written).
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
	return s.exec(ctx, tx, qUpdateMessages, messageArgs(update)...)
}

// recampaignNotable moves the notable_events rows that took their
// campaign from a stored delivery whose campaign the plan changes (a send
// naming its campaign after a failure of its message was applied) to the
// new campaign, as the activity statement's message join would see it.
func (s *Store) recampaignNotable(ctx context.Context, tx *sqlx.Tx, p lifecycle.Plan, stored map[lifecycle.MessageKey]lifecycle.Message) error {
	cols := make([][]string, 5)
	for _, m := range p.Messages {
		was, ok := stored[m.Key()]
		if !ok || was.Campaign == m.Campaign {
			continue
		}
		for i, x := range []string{m.Tenant, string(m.Channel), m.MessageID, was.Campaign, m.Campaign} {
			cols[i] = append(cols[i], x)
		}
	}
	if len(cols[0]) == 0 {
		return nil
	}
	return s.exec(ctx, tx, qRecampaignNotable, arrays(cols)...)
}

// sameMessage compares two message states (times by instant).
func sameMessage(a, b lifecycle.Message) bool {
	return a.Tenant == b.Tenant && a.Channel == b.Channel && a.MessageID == b.MessageID && a.Recipient == b.Recipient &&
		a.Campaign == b.Campaign && a.Domain == b.Domain && a.SentAt.Equal(b.SentAt) && a.Status == b.Status &&
		a.Complained == b.Complained && a.Reason == b.Reason && a.EventID == b.EventID &&
		a.RetryAttempt == b.RetryAttempt && a.RetryDueAt.Equal(b.RetryDueAt) && a.RetryReason == b.RetryReason &&
		a.Route == b.Route && a.Unsubscribed == b.Unsubscribed
}

// messageArgs are the array parameters of update-messages and
// insert-messages, in their unnest column order.
func messageArgs(ms []lifecycle.Message) []any {
	text := make([][]string, 13)
	var complained, unsubscribed []bool
	var attempts []int64
	for _, m := range ms {
		row := []string{m.Tenant, string(m.Channel), m.MessageID, m.Recipient, m.Campaign, m.Domain, ts(m.SentAt),
			string(m.Status), m.Reason, m.EventID, ts(m.RetryDueAt), m.RetryReason, m.Route}
		for i, x := range row {
			text[i] = append(text[i], x)
		}
		complained = append(complained, m.Complained)
		unsubscribed = append(unsubscribed, m.Unsubscribed)
		attempts = append(attempts, int64(m.RetryAttempt))
	}
	return []any{pq.Array(text[0]), pq.Array(text[1]), pq.Array(text[2]), pq.Array(text[3]), pq.Array(text[4]),
		pq.Array(text[5]), pq.Array(text[6]), pq.Array(text[7]), pq.Array(complained), pq.Array(text[8]), pq.Array(text[9]),
		pq.Array(attempts), pq.Array(text[10]), pq.Array(text[11]), pq.Array(text[12]), pq.Array(unsubscribed)}
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
	cols := make([][]string, 11)
	for _, a := range p.Audit {
		row := []string{a.Tenant, string(a.Channel), a.Address, ts(a.At), string(a.From), string(a.To), a.Reason, a.Actor, a.EventID, a.Rule, a.Scope}
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
	keys := make([][]string, 6)
	nums := make([][]string, 7)
	for k, c := range p.Buckets {
		for i, x := range []string{k.Tenant, string(k.Channel), k.Campaign, k.Domain, k.Route, ts(k.Hour)} {
			keys[i] = append(keys[i], x)
		}
		for i, n := range []int64{c.Sent, c.Delivered, c.Soft, c.Hard, c.Complaints, c.Unverified, c.Unsubscribed} {
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

// BackfillNotable writes the notable_events rows missing for the events
// applied since an hour before migration 0023, and returns how many it
// wrote: during a rolling update across that migration, an older build's
// apply marks events without them, and the activity log's verdict filters
// would never show those events. Idempotent; it reads every partition of
// events once.
func (s *Store) BackfillNotable(ctx context.Context) (int64, error) {
	q, err := s.query(qBackfillNotable)
	if err != nil {
		return 0, err
	}
	reasons := make([]string, 0, len(routineReasons))
	for r := range routineReasons {
		reasons = append(reasons, string(r))
	}
	res, err := s.db.ExecContext(ctx, q, pq.Array(reasons))
	if err != nil {
		return 0, fmt.Errorf("backfill notable events: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
