package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/store"
)

// statusClassifier decides by enhanced status only: enough to drive the
// store through every kind of change.
type statusClassifier struct{}

func (statusClassifier) Classify(e channels.Event) channels.Verdict {
	switch {
	case e.Type == channels.Sent:
		return channels.Verdict{Outcome: channels.OutcomePending, Reason: "sent", Rule: "t.sent@1"}
	case e.Type == channels.Delivered:
		return channels.Verdict{Outcome: channels.OutcomeDelivered, Reason: "delivered", Rule: "t.delivered@1"}
	case e.SMTP != nil && e.SMTP.Status == "5.1.1":
		return channels.Verdict{Outcome: channels.OutcomeHard, Reason: "user_unknown", Rule: "t.511@1", Evidence: "status=5.1.1"}
	case e.SMTP != nil && e.SMTP.Status == "4.2.2":
		return channels.Verdict{Outcome: channels.OutcomeSoft, Reason: "mailbox_full", Rule: "t.422@1", Evidence: "status=4.2.2"}
	}
	return channels.Verdict{Outcome: channels.OutcomeSoft, Reason: "undefined", Rule: "t.fallback@1"}
}

var testPolicy = lifecycle.Policy{
	SoftThreshold: 2, SuspendFor: 24 * time.Hour,
	Channels: map[channels.Channel]lifecycle.ChannelPolicy{
		channels.Email: {Retry: []time.Duration{time.Hour}, Reasons: map[string]lifecycle.ReasonPolicy{
			"mailbox_full": {QuarantineFor: 720 * time.Hour}}},
	},
}

func decide(snap lifecycle.Snapshot) lifecycle.Plan {
	return lifecycle.Decide(testPolicy, statusClassifier{}, snap)
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{URL: testsvc.Postgres(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

var t0 = time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC)

func event(typ channels.Type, msg, rcpt, status string, at time.Time) channels.Event {
	e := channels.Event{Channel: channels.Email, Type: typ, MessageID: msg, Recipient: rcpt, Campaign: "c1", OccurredAt: at}
	if status != "" {
		e.SMTP = &channels.SMTPReply{Status: status}
	}
	if err := e.Normalize(); err != nil {
		panic(err)
	}
	return e
}

func insertApply(t *testing.T, s *store.Store, evs ...channels.Event) lifecycle.Plan {
	t.Helper()
	return applyWith(t, s, decide, evs...)
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	applied, err := s.Migrate(context.Background())
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate: applied %v, err %v", applied, err)
	}
}

func TestInsertEventsIdempotent(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	e := event(channels.Sent, "m1", "a@example.com", "", t0)
	for range 2 {
		ids, err := s.InsertEvents(ctx, []channels.Event{e, e})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{e.ID}, ids); diff != "" {
			t.Fatalf("pending ids (-want +got):\n%s", diff)
		}
	}
	if _, err := s.Apply(ctx, []string{e.ID}, decide); err != nil {
		t.Fatal(err)
	}
	ids, err := s.InsertEvents(ctx, []channels.Event{e})
	if err != nil || len(ids) != 0 {
		t.Fatalf("applied event re-inserted: pending %v, err %v", ids, err)
	}

	// A mixed batch: a new event, one stored and still pending, one
	// applied (e): the pending ids come in batch order, the applied one
	// not at all.
	waiting := event(channels.Sent, "m2", "b@example.com", "", t0)
	if _, err := s.InsertEvents(ctx, []channels.Event{waiting}); err != nil {
		t.Fatal(err)
	}
	fresh := event(channels.Sent, "m3", "c@example.com", "", t0)
	ids, err = s.InsertEvents(ctx, []channels.Event{fresh, e, waiting, fresh})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{fresh.ID, waiting.ID}, ids); diff != "" {
		t.Errorf("pending ids of a mixed batch (-want +got):\n%s", diff)
	}
}

func TestApplyRatesAndExclusions(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	var evs []channels.Event
	for i := range 10 {
		evs = append(evs, event(channels.Sent, fmt.Sprintf("m%d", i), fmt.Sprintf("u%d@example.com", i), "", t0))
	}
	evs = append(evs,
		event(channels.Failed, "m0", "u0@example.com", "5.1.1", t0.Add(time.Minute)),
		event(channels.Failed, "m1", "u1@example.com", "4.2.2", t0.Add(time.Minute)),
		event(channels.Failed, "m2", "u2@example.com", "4.2.2", t0.Add(time.Minute)),
		event(channels.Delivered, "m2", "u2@example.com", "", t0.Add(2*time.Minute)),
	)
	plan := insertApply(t, s, evs...)
	if len(plan.Applied) != len(evs) {
		t.Fatalf("applied %d of %d", len(plan.Applied), len(evs))
	}
	rows, err := s.Rates(ctx, store.RatesQuery{Channel: channels.Email})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.RateRow{{Channel: "email", Campaign: "c1", Sent: 10, Delivered: 1, Soft: 1, Hard: 1, Pending: 7,
		SoftRate: 0.1, HardRate: 0.1, SoftRateCI: channels.Wilson(1, 10), HardRateCI: channels.Wilson(1, 10), ComplaintRateCI: channels.Wilson(0, 10),
		UnsubscribeRateCI: channels.Wilson(0, 10)}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rates (-want +got):\n%s", diff)
	}
	byDay, err := s.Rates(ctx, store.RatesQuery{GroupBy: []string{"domain", "day"}})
	if err != nil || len(byDay) != 1 || byDay[0].Domain != "example.com" || byDay[0].Bucket == nil ||
		!byDay[0].Bucket.Equal(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("rates by domain and day = %+v, %v", byDay, err)
	}
	if _, err := s.Rates(ctx, store.RatesQuery{GroupBy: []string{"planet"}}); err == nil {
		t.Error("unknown group_by accepted")
	}

	if err := s.AddListEntry(ctx, store.ListEntry{Channel: channels.Email, List: "deny", Kind: "domain", Value: "denied.example", Reason: "legal"}); err != nil {
		t.Fatal(err)
	}
	ex, err := s.Exclusions(ctx, channels.Email, []string{"u0@example.com", "u1@example.com", "x@denied.example"}, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, x := range ex {
		got = append(got, fmt.Sprintf("%s %v %s %s", x.Recipient, x.Excluded, x.State, x.Reason))
	}
	wantEx := []string{"u0@example.com true quarantined user_unknown", "u1@example.com false active ", "x@denied.example true denylisted legal"}
	if diff := cmp.Diff(wantEx, got); diff != "" {
		t.Errorf("exclusions (-want +got):\n%s", diff)
	}

	v, err := s.Recipient(ctx, channels.Email, "u0@example.com")
	if err != nil || v.State != "quarantined" || len(v.History) != 1 || v.History[0].Rule != "t.511@1" {
		t.Errorf("recipient view = %+v, %v", v, err)
	}
	if _, err := s.Recipient(ctx, channels.Email, "nobody@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown recipient: err = %v, want ErrNotFound", err)
	}
}

// TestApplyConcurrentOverlap applies overlapping batches from several
// goroutines, as duplicated tasks and the reconciler do: each event must
// count exactly once.
func TestApplyConcurrentOverlap(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	var evs []channels.Event
	for i := range 200 {
		evs = append(evs, event(channels.Sent, fmt.Sprintf("m%d", i), fmt.Sprintf("u%d@example.com", i%50), "", t0))
		evs = append(evs, event(channels.Failed, fmt.Sprintf("m%d", i), fmt.Sprintf("u%d@example.com", i%50), "4.2.2", t0.Add(time.Minute)))
	}
	ids, err := s.InsertEvents(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := w * 7 % 50; start < len(ids); start += 50 {
				if _, err := s.Apply(ctx, ids[start:min(start+120, len(ids))], decide); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, ids, decide); err != nil { // whatever was skipped as locked
		t.Fatal(err)
	}
	rows, err := s.Rates(ctx, store.RatesQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Sent != 200 || rows[0].Soft != 200 {
		t.Fatalf("rates = %+v, want sent=200 soft=200", rows)
	}
	ex, err := s.Exclusions(ctx, channels.Email, []string{"u0@example.com"}, t0)
	if err != nil || !ex[0].Excluded || ex[0].Reason != "mailbox_full" {
		t.Fatalf("4 soft messages with threshold 2 should quarantine: %+v, %v", ex, err)
	}
}

func TestRetryClaimAndRelease(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	plan := insertApply(t, s,
		event(channels.Sent, "m1", "a@example.com", "", t0),
		event(channels.Failed, "m1", "a@example.com", "4.2.2", t0.Add(time.Minute)))
	if len(plan.Retries) != 1 || plan.Retries[0].Attempt != 1 || !plan.Retries[0].DueAt.Equal(t0.Add(61*time.Minute)) {
		t.Fatalf("retries = %+v", plan.Retries)
	}
	due, err := s.DueRetries(ctx, t0.Add(2*time.Hour), 10)
	if err != nil || len(due) != 1 || due[0].Attempt != 1 {
		t.Fatalf("due retries = %+v, %v", due, err)
	}
	calls := 0
	claim := func(st store.RetryState) (time.Time, error) {
		calls++
		if st.Status != lifecycle.StatusSoft || st.Recipient != "a@example.com" || st.Reason != "mailbox_full" {
			t.Errorf("retry state = %+v", st)
		}
		return time.Time{}, nil
	}
	if err := s.ClaimRetry(ctx, channels.Email, "m1", "a@example.com", 1, claim); err != nil {
		t.Fatal(err)
	}
	// A task queued before deliveries names no recipient: the message's
	// only delivery, whose attempt 1 is done.
	if err := s.ClaimRetry(ctx, channels.Email, "m1", "", 1, claim); !errors.Is(err, store.ErrStaleRetry) {
		t.Fatalf("second claim: err = %v, want ErrStaleRetry", err)
	}
	if calls != 1 {
		t.Fatalf("claim callback ran %d times, want 1", calls)
	}

	// Two soft messages reach the threshold: mailbox_full quarantines for 30 days.
	insertApply(t, s, event(channels.Failed, "m2", "a@example.com", "4.2.2", t0.Add(2*time.Minute)))
	ex, _ := s.Exclusions(ctx, channels.Email, []string{"a@example.com"}, t0.Add(time.Hour))
	if !ex[0].Excluded || ex[0].Until == nil || !ex[0].Until.Equal(t0.Add(2*time.Minute+720*time.Hour)) {
		t.Fatalf("exclusion = %+v", ex[0])
	}
	n, err := s.ReleaseExpired(ctx, t0.Add(721*time.Hour), 100)
	if err != nil || n != 1 {
		t.Fatalf("released %d, %v", n, err)
	}
	v, _ := s.Recipient(ctx, channels.Email, "a@example.com")
	// History: the release, the quarantine, and the soft failure counted
	// before it (active to active).
	if v.State != "active" || v.SoftCount != 0 || len(v.History) != 3 || v.History[0].Actor != "rebond:release" ||
		v.History[2].From != "active" || v.History[2].To != "active" {
		t.Fatalf("after release: %+v", v)
	}
}

func TestInsertRejected(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	if err := s.InsertRejected(context.Background(), "rebond.events.sms", "bad json", []byte("{")); err != nil {
		t.Fatal(err)
	}
}

// TestInsertRejectedOnce: a spooled payload redelivered after a crash is
// kept once per source and ref; another ref, or source, is another row.
func TestInsertRejectedOnce(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	for _, r := range []struct{ source, ref string }{{"smtp", "a"}, {"smtp", "a"}, {"smtp", "b"}, {"other", "a"}} {
		if err := s.InsertRejectedOnce(ctx, r.source, r.ref, "not a bounce", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.InsertRejected(ctx, "smtp", "not a bounce", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountRejected(ctx, "smtp"); err != nil || n != 3 {
		t.Fatalf("smtp rejected: %d, %v; want 3 (a once, b, one without ref)", n, err)
	}
}

// TestMessageRecipient: a message's recipient is found by its id (the
// join of a receipt that names no number), per tenant and channel.
func TestMessageRecipient(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	insertApply(t, s, event(channels.Sent, "mr-1", "ann@example.com", "", t0),
		event(channels.Sent, "mr-3", "bob@example.com", "", t0), event(channels.Sent, "mr-3", "cy@example.com", "", t0))
	if got, err := s.MessageRecipient(ctx, channels.DefaultTenant, channels.Email, "mr-1"); err != nil || got != "ann@example.com" {
		t.Errorf("known message: %q, %v", got, err)
	}
	for _, q := range []struct {
		tenant string
		ch     channels.Channel
		id     string
	}{{channels.DefaultTenant, channels.Email, "mr-2"}, {channels.DefaultTenant, channels.SMS, "mr-1"}, {"other", channels.Email, "mr-1"},
		{channels.DefaultTenant, channels.Email, "mr-3"}} { // mr-3 has two deliveries: whose is the receipt?
		if got, err := s.MessageRecipient(ctx, q.tenant, q.ch, q.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%v: %q, %v; want ErrNotFound", q, got, err)
		}
	}
}

// TestRateRollupsAgree: the daily roll-ups, written by the same apply,
// answer exactly what the hourly buckets answer, for every grouping that
// can use them.
func TestRateRollupsAgree(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	var evs []channels.Event
	for i := range 40 {
		at := t0.Add(time.Duration(i*7) * time.Hour) // over 12 days, at odd hours
		msg, rcpt := fmt.Sprintf("r%d", i), fmt.Sprintf("u%d@d%d.example", i, i%3)
		evs = append(evs, event(channels.Sent, msg, rcpt, "", at))
		switch i % 4 {
		case 0:
			evs = append(evs, event(channels.Failed, msg, rcpt, "5.1.1", at.Add(time.Minute)))
		case 1:
			evs = append(evs, event(channels.Failed, msg, rcpt, "4.2.2", at.Add(30*time.Hour))) // a late one
		case 2:
			evs = append(evs, event(channels.Delivered, msg, rcpt, "", at.Add(time.Minute)))
		}
	}
	insertApply(t, s, evs...)
	// A To that is not a midnight forces the hourly buckets.
	hourly := time.Date(2099, 1, 1, 1, 0, 0, 0, time.UTC)
	for _, groups := range [][]string{nil, {"campaign"}, {"domain"}, {"day"}, {"domain", "day"}} {
		daily, err := s.Rates(ctx, store.RatesQuery{GroupBy: groups, From: t0.Truncate(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		fromHours, err := s.Rates(ctx, store.RatesQuery{GroupBy: groups, From: t0.Truncate(24 * time.Hour), To: hourly})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(fromHours, daily); diff != "" || len(daily) == 0 {
			t.Errorf("group_by %v: roll-up differs from the hourly buckets (-hourly +daily):\n%s", groups, diff)
		}
	}
}

func TestInsertEventsBadData(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	bad := event(channels.Sent, "m1", "a@example.com", "", t0)
	bad.Campaign = "spr\x00ing" // what Normalize refuses; the store must say why it cannot
	if _, err := s.InsertEvents(context.Background(), []channels.Event{bad}); !errors.Is(err, store.ErrBadData) {
		t.Fatalf("err = %v, want ErrBadData", err)
	}
	good := event(channels.Sent, "m2", "b@example.com", "", t0)
	if ids, err := s.InsertEvents(context.Background(), []channels.Event{good}); err != nil || len(ids) != 1 {
		t.Fatalf("a good event after a refused batch: %v %v", ids, err)
	}
}

// TestRetention: retention drops the partition of a month once the month
// ended more than the retention ago and every event of it is applied; an
// unapplied event keeps its whole month, and rates survive the events.
func TestRetention(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	// t0's month gets a partition of its own whatever today's date is.
	if _, err := s.EnsurePartitions(ctx, t0, 0); err != nil {
		t.Fatal(err)
	}
	insertApply(t, s, event(channels.Sent, "m1", "a@example.com", "", t0), event(channels.Failed, "m1", "a@example.com", "5.1.1", t0))
	m2 := event(channels.Sent, "m2", "b@example.com", "", t0)
	if _, err := s.InsertEvents(ctx, []channels.Event{m2}); err != nil {
		t.Fatal(err)
	}
	end := time.Date(t0.Year(), t0.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	retain := func(cutoff time.Time) (dropped, kept []string) {
		t.Helper()
		dropped, kept, err := s.DropExpiredPartitions(ctx, cutoff)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.DeleteOlderThan(ctx, cutoff, 100); err != nil || n != 0 {
			t.Fatalf("DEFAULT partition deletions: %d, %v; want none", n, err)
		}
		return dropped, kept
	}
	month := "events_" + t0.Format("2006_01")
	if dropped, kept := retain(end.Add(-time.Hour)); len(dropped)+len(kept) != 0 {
		t.Fatalf("the month has not ended: dropped %v, kept %v", dropped, kept)
	}
	if dropped, kept := retain(end.Add(time.Hour)); len(dropped) != 0 || !slices.Equal(kept, []string{month}) {
		t.Fatalf("dropped %v, kept %v; want %s kept for its unapplied event", dropped, kept, month)
	}
	if applied, pending, _ := s.CountEvents(ctx); applied != 2 || pending != 1 {
		t.Errorf("after retention: %d applied, %d pending; the month of an unapplied event must stay whole", applied, pending)
	}
	if _, err := s.Apply(ctx, []string{m2.ID}, decide); err != nil {
		t.Fatal(err)
	}
	if dropped, kept := retain(end.Add(time.Hour)); !slices.Equal(dropped, []string{month}) || len(kept) != 0 {
		t.Fatalf("dropped %v, kept %v; want %s dropped", dropped, kept, month)
	}
	if applied, pending, _ := s.CountEvents(ctx); applied != 0 || pending != 0 {
		t.Errorf("after retention: %d applied, %d pending; want none", applied, pending)
	}
	rows, err := s.Rates(ctx, store.RatesQuery{})
	if err != nil || len(rows) != 1 || rows[0].Sent != 2 || rows[0].Hard != 1 {
		t.Errorf("rates must survive the events' retention: %+v %v", rows, err)
	}
}

func TestRatesByReason(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	var evs []channels.Event
	for i, outcome := range []string{"5.1.1", "5.1.1", "4.2.2", "delivered", "delivered", "delivered", "pending"} {
		msg, rcpt := fmt.Sprintf("r%d", i), fmt.Sprintf("u%d@example.com", i)
		evs = append(evs, event(channels.Sent, msg, rcpt, "", t0))
		switch outcome {
		case "delivered":
			evs = append(evs, event(channels.Delivered, msg, rcpt, "", t0.Add(time.Minute)))
		case "pending":
		default:
			evs = append(evs, event(channels.Failed, msg, rcpt, outcome, t0.Add(time.Minute)))
		}
	}
	insertApply(t, s, evs...)
	rows, err := s.Rates(ctx, store.RatesQuery{GroupBy: []string{"reason"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s sent=%d delivered=%d soft=%d hard=%d pending=%d", r.Reason, r.Sent, r.Delivered, r.Soft, r.Hard, r.Pending))
	}
	want := []string{
		"delivered sent=7 delivered=3 soft=0 hard=0 pending=0",
		"mailbox_full sent=7 delivered=0 soft=1 hard=0 pending=0",
		"pending sent=7 delivered=0 soft=0 hard=0 pending=1",
		"user_unknown sent=7 delivered=0 soft=0 hard=2 pending=0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("by reason (-want +got):\n%s", diff)
	}
	if rows[3].HardRate != 2.0/7 || rows[3].HardRateCI != channels.Wilson(2, 7) {
		t.Errorf("a reason's rate is its share of what was sent: %+v", rows[3])
	}
	groups, err := s.Rates(ctx, store.RatesQuery{GroupBy: []string{"reason_group", "day"}})
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, r := range groups {
		got = append(got, fmt.Sprintf("%s %s sent=%d soft=%d hard=%d", r.Bucket.Format("01-02"), r.ReasonGroup, r.Sent, r.Soft, r.Hard))
	}
	want = []string{"11-02 delivered sent=7 soft=0 hard=0", "11-02 mailbox full sent=7 soft=1 hard=0",
		"11-02 pending sent=7 soft=0 hard=0", "11-02 unknown user sent=7 soft=0 hard=2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("by reason group and day (-want +got):\n%s", diff)
	}
	if _, err := s.Rates(ctx, store.RatesQuery{GroupBy: []string{"reason", "provider"}}); err == nil {
		t.Error("reason with an unknown group must be refused")
	}
}
