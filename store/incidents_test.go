package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/store"
)

// senderClassifier adds a sender-side reason to statusClassifier: 5.7.1
// is bad_reputation (RFC 3463 X.7.1: delivery not authorized).
type senderClassifier struct{ statusClassifier }

func (c senderClassifier) Classify(e channels.Event) channels.Verdict {
	if e.SMTP != nil && e.SMTP.Status == "5.7.1" {
		return channels.Verdict{Outcome: channels.OutcomeHard, Reason: "bad_reputation", Rule: "t.571@1", Evidence: "status=5.7.1"}
	}
	return c.statusClassifier.Classify(e)
}

// escalatingDecide quarantines mailbox_full at once for 30 days, doubled
// per repeat up to 365 days, and treats bad_reputation as sender-side.
func escalatingDecide(snap lifecycle.Snapshot) lifecycle.Plan {
	day := 24 * time.Hour
	p := lifecycle.Policy{
		SoftThreshold: 5, SuspendFor: day,
		Escalation: lifecycle.Escalation{Factor: 2, Lookback: 365 * day, Max: 365 * day},
		Channels: map[channels.Channel]lifecycle.ChannelPolicy{channels.Email: {Reasons: map[string]lifecycle.ReasonPolicy{
			"mailbox_full":   {Action: lifecycle.ActionQuarantine, QuarantineFor: 30 * day},
			"bad_reputation": {Action: lifecycle.ActionSender},
		}}},
	}
	return lifecycle.Decide(p, senderClassifier{}, snap)
}

func applyWith(t *testing.T, s *store.Store, decide store.Decider, evs ...channels.Event) lifecycle.Plan {
	t.Helper()
	ctx := context.Background()
	ids, err := s.InsertEvents(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := s.Apply(ctx, ids, decide)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func TestEscalatedQuarantinesAreStored(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	const a = "full@example.com"
	day := 24 * time.Hour
	check := func(step string, at time.Time, wantUntil time.Time, wantCount int) {
		t.Helper()
		ex, err := s.Exclusions(ctx, channels.Email, []string{a}, at)
		if err != nil || !ex[0].Excluded || ex[0].Until == nil || !ex[0].Until.Equal(wantUntil) {
			t.Fatalf("%s: exclusion = %+v, %v; want excluded until %v", step, ex, err, wantUntil)
		}
		v, err := s.Recipient(ctx, channels.Email, a)
		if err != nil || v.QuarantineCount != wantCount {
			t.Fatalf("%s: quarantine_count = %d, %v; want %d", step, v.QuarantineCount, err, wantCount)
		}
	}

	// 1st: the base 30 days.
	applyWith(t, s, escalatingDecide, event(channels.Failed, "m1", a, "4.2.2", t0))
	check("first", t0, t0.Add(30*day), 1)

	// The term ends and the release job runs; the 2nd gets 60 days.
	if n, err := s.ReleaseExpired(ctx, t0.Add(31*day), 100); err != nil || n != 1 {
		t.Fatalf("released %d, %v", n, err)
	}
	second := t0.Add(32 * day)
	applyWith(t, s, escalatingDecide, event(channels.Failed, "m2", a, "4.2.2", second))
	check("after a timed release", second, second.Add(60*day), 2)

	// An operator releases it early; the 3rd gets 120 days.
	if err := s.Release(ctx, channels.Email, a, "asked by the customer", "test", second.Add(day)); err != nil {
		t.Fatal(err)
	}
	third := second.Add(2 * day)
	applyWith(t, s, escalatingDecide, event(channels.Failed, "m3", a, "4.2.2", third))
	check("after an operator's release", third, third.Add(120*day), 3)

	// A hard failure while quarantined: permanent, still the 3rd of the run.
	applyWith(t, s, escalatingDecide, event(channels.Failed, "m4", a, "5.1.1", third.Add(time.Hour)))
	ex, err := s.Exclusions(ctx, channels.Email, []string{a}, third.Add(1000*day))
	if err != nil || !ex[0].Excluded || ex[0].Until != nil || ex[0].Reason != "user_unknown" {
		t.Fatalf("permanent quarantine: %+v, %v", ex, err)
	}
	if v, _ := s.Recipient(ctx, channels.Email, a); v.QuarantineCount != 3 {
		t.Errorf("renewing a running quarantine counted a repeat: %d", v.QuarantineCount)
	}
}

func senderEvent(msg, rcpt, provider string, at time.Time) channels.Event {
	e := channels.Event{Channel: channels.Email, Type: channels.Failed, MessageID: msg, Recipient: rcpt,
		OccurredAt: at, Provider: provider, SMTP: &channels.SMTPReply{Code: 550, Status: "5.7.1"}}
	if err := e.Normalize(); err != nil {
		panic(err)
	}
	return e
}

func TestIncidentsAreRaisedListedAndResolved(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	ses1 := senderEvent("m1", "a@example.com", "ses", t0.Add(time.Minute))
	ses2 := senderEvent("m2", "b@example.com", "ses", t0.Add(2*time.Minute))
	anon := senderEvent("m3", "c@example.com", "", t0.Add(3*time.Minute))
	plan := applyWith(t, s, escalatingDecide, ses2, anon, ses1)
	if len(plan.Incidents) != 2 {
		t.Fatalf("plan incidents = %+v, want ses and unknown", plan.Incidents)
	}
	// A later batch adds to the open incident; an older event in it does
	// not move last_seen back.
	ses3 := senderEvent("m4", "d@example.com", "ses", t0.Add(5*time.Minute))
	old := senderEvent("m5", "e@example.com", "ses", t0)
	applyWith(t, s, escalatingDecide, ses3)
	applyWith(t, s, escalatingDecide, old)

	got, err := s.Incidents(ctx, store.IncidentQuery{Channel: channels.Email, State: store.IncidentOpen})
	if err != nil {
		t.Fatal(err)
	}
	summary := func(in []store.Incident) []string {
		var out []string
		for _, i := range in {
			out = append(out, fmt.Sprintf("%s %s %s %s %s-%s %s %s n=%d", i.Channel, i.Route, i.Reason, i.State,
				i.FirstSeen.Format(time.TimeOnly), i.LastSeen.Format(time.TimeOnly), i.LastEventID, i.LastRule, i.Count))
		}
		return out
	}
	want := []string{
		"email ses bad_reputation open 09:15:00-09:20:00 " + ses3.ID + " t.571@1 n=4",
		"email unknown bad_reputation open 09:18:00-09:18:00 " + anon.ID + " t.571@1 n=1",
	}
	if diff := cmp.Diff(want, summary(got)); diff != "" {
		t.Errorf("open incidents (-want +got):\n%s", diff)
	}
	if v, err := s.Recipient(ctx, channels.Email, "a@example.com"); err == nil && v.State != channels.StateActive {
		t.Errorf("a sender-side verdict changed the recipient: %+v", v)
	}
	if none, err := s.Incidents(ctx, store.IncidentQuery{Channel: channels.SMS}); err != nil || len(none) != 0 {
		t.Errorf("sms incidents = %+v, %v", none, err)
	}

	// Not quiet yet: they were recorded just now.
	if n, err := s.ResolveIncidents(ctx, time.Now(), 24*time.Hour, 100); err != nil || n != 0 {
		t.Fatalf("resolved %d before the quiet period, %v", n, err)
	}
	// Whole microseconds: PostgreSQL rounds a nanosecond time to the
	// microsecond, which Truncate below would not match half the time.
	later := time.Now().Add(25 * time.Hour).Truncate(time.Microsecond)
	if n, err := s.ResolveIncidents(ctx, later, 24*time.Hour, 100); err != nil || n != 2 {
		t.Fatalf("resolved %d after the quiet period, %v; want 2", n, err)
	}
	// The next verdict opens a new incident; the resolved one is history.
	ses4 := senderEvent("m6", "f@example.com", "ses", t0.Add(time.Hour))
	applyWith(t, s, escalatingDecide, ses4)
	open, err := s.Incidents(ctx, store.IncidentQuery{State: store.IncidentOpen})
	if err != nil || len(open) != 1 || open[0].Count != 1 || open[0].LastEventID != ses4.ID || open[0].ResolvedAt != nil {
		t.Fatalf("open after resolution = %+v, %v", open, err)
	}
	resolved, err := s.Incidents(ctx, store.IncidentQuery{State: store.IncidentResolved})
	if err != nil || len(resolved) != 2 || resolved[0].ResolvedAt == nil || !resolved[0].ResolvedAt.Equal(later.UTC().Truncate(time.Microsecond)) {
		t.Fatalf("resolved = %+v, %v", resolved, err)
	}
	if all, err := s.Incidents(ctx, store.IncidentQuery{Limit: 2}); err != nil || len(all) != 2 {
		t.Errorf("limit 2: %d rows, %v", len(all), err)
	}
}
