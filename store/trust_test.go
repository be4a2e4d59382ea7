package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/store"
)

// TestApplyUnverified: an unverified bounce stores its verdict and counts
// as unverified, but quarantines no one and creates no recipient row,
// unless it joins a send to its recipient, stored before or in the same
// batch.
func TestApplyUnverified(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	unverified := func(msg, rcpt string, at time.Time) channels.Event {
		e := event(channels.Failed, msg, rcpt, "5.1.1", at)
		e.Unverified, e.Campaign = true, ""
		e.ID = channels.DeriveID(e)
		return e
	}
	insertApply(t, s, event(channels.Sent, "m1", "a@example.com", "", t0))
	plan := insertApply(t, s,
		unverified("m1", "victim@example.com", t0.Add(time.Minute)), // a send to someone else
		unverified("m9", "other@example.com", t0.Add(time.Minute)),  // no send at all
	)
	if len(plan.Applied) != 2 || plan.Applied[0].Verdict.Reason != "user_unknown" {
		t.Fatalf("applied %+v: unverified events must still get their verdict", plan.Applied)
	}
	for _, a := range []string{"victim@example.com", "other@example.com"} {
		if v, err := s.Recipient(ctx, channels.Email, a); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %+v, %v; an unverified bounce must store nothing about its recipient", a, v, err)
		}
	}
	rows, err := s.Rates(ctx, store.RatesQuery{Channel: channels.Email})
	if err != nil {
		t.Fatal(err)
	}
	var unv, hard int64
	for _, r := range rows {
		unv, hard = unv+r.Unverified, hard+r.Hard
	}
	if unv != 2 || hard != 0 {
		t.Errorf("rates %+v: want 2 unverified and no hard", rows)
	}

	insertApply(t, s, unverified("m1", "a@example.com", t0.Add(2*time.Minute)))
	insertApply(t, s, event(channels.Sent, "m2", "b@example.com", "", t0), unverified("m2", "b@example.com", t0.Add(time.Minute)))
	// A stored message whose send comes in the batch of the bounce: the
	// join is found when the apply locks, and decided at once.
	insertApply(t, s, event(channels.Deferred, "m3", "c@example.com", "4.4.1", t0))
	decisions := 0
	counting := func(snap lifecycle.Snapshot) lifecycle.Plan { decisions++; return decide(snap) }
	applyWith(t, s, counting, event(channels.Sent, "m3", "c@example.com", "", t0), unverified("m3", "c@example.com", t0.Add(time.Minute)))
	if decisions != 1 {
		t.Errorf("a bounce joining a send of its batch: %d decisions, want 1", decisions)
	}
	for _, a := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		if v, err := s.Recipient(ctx, channels.Email, a); err != nil || v.State != "quarantined" {
			t.Errorf("%s: %+v, %v; an unverified bounce that joins its send acts", a, v, err)
		}
	}
}

// TestDeleteRejected: rejected payloads go by age and beyond the newest
// keep, oldest first, at most limit a call.
func TestDeleteRejected(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	for i := range 10 {
		if err := s.InsertRejected(ctx, "smtp", "not a bounce", []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int64 {
		t.Helper()
		n, err := s.CountRejected(ctx, "smtp")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n, err := s.DeleteRejected(ctx, time.Time{}, 0, 100); err != nil || n != 0 {
		t.Fatalf("no limits: deleted %d, %v", n, err)
	}
	if n, err := s.DeleteRejected(ctx, time.Time{}, 4, 3); err != nil || n != 3 || count() != 7 {
		t.Fatalf("keep 4, limit 3: deleted %d, %v, %d left; want 3 deleted, 7 left", n, err, count())
	}
	if n, err := s.DeleteRejected(ctx, time.Time{}, 4, 100); err != nil || n != 3 || count() != 4 {
		t.Fatalf("keep 4: deleted %d, %v, %d left; want 4 left", n, err, count())
	}
	if n, err := s.DeleteRejected(ctx, time.Now().Add(-time.Hour), 0, 100); err != nil || n != 0 {
		t.Fatalf("an hour ago: deleted %d, %v; want none (all are newer)", n, err)
	}
	if n, err := s.DeleteRejected(ctx, time.Now().Add(time.Hour), 0, 100); err != nil || n != 4 || count() != 0 {
		t.Fatalf("an hour ahead: deleted %d, %v; want all", n, err)
	}
}
