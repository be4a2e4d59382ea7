package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
)

// reasonByStatus classifies failed events by a reason written in their
// SMTP text, so the test drives the shipped policy (not the rules) through
// every default.
type reasonByStatus struct{}

func (reasonByStatus) Classify(e channels.Event) channels.Verdict {
	if e.Type == channels.Sent {
		return channels.Verdict{Outcome: channels.OutcomePending, Reason: "sent", Rule: "t.sent@1"}
	}
	return channels.Verdict{Outcome: channels.OutcomeSoft, Reason: channels.Reason(e.SMTP.Text), Rule: "t." + e.SMTP.Text + "@1"}
}

// TestSeedPolicyOnAFakeClock checks the defaults of configs/rebond.yaml
// (the seed documents' policy) against the real store, with time given by
// the events and the release job's "now": 5 soft failures quarantine;
// mailbox_full is released after 30 days, not before; a 24 h suspension
// is lifted after 24 h; the retry schedule is 5 an hour apart then 4 a day
// apart.
func TestSeedPolicyOnAFakeClock(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig("", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Policy
	// "filtered" suspends by default; the config's own value is what is tested.
	if a := p.For(channels.Email, "filtered").Action; a != lifecycle.ActionSuspend {
		t.Fatalf("filtered action = %q, want suspend", a)
	}
	ctx := context.Background()
	st := migratedStore(ctx, t)
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	seq := 0
	fail := func(rcpt, reason string, at time.Time) {
		t.Helper()
		seq++
		e := channels.Event{Channel: channels.Email, Type: channels.Failed, MessageID: fmt.Sprintf("m%d", seq),
			Recipient: rcpt, OccurredAt: at, SMTP: &channels.SMTPReply{Text: reason}}
		if err := e.Normalize(); err != nil {
			t.Fatal(err)
		}
		ids, err := st.InsertEvents(ctx, []channels.Event{e})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Apply(ctx, ids, func(s lifecycle.Snapshot) lifecycle.Plan { return lifecycle.Decide(p, reasonByStatus{}, s) }); err != nil {
			t.Fatal(err)
		}
	}
	state := func(rcpt string, now time.Time) channels.State {
		t.Helper()
		if _, err := st.ReleaseExpired(ctx, now, 100); err != nil {
			t.Fatal(err)
		}
		x, err := st.Exclusions(ctx, channels.Email, []string{rcpt}, now)
		if err != nil {
			t.Fatal(err)
		}
		return x[0].State
	}

	for i := range 4 {
		fail("soft@example.org", "system_error", t0.Add(time.Duration(i)*time.Hour))
	}
	if s := state("soft@example.org", t0.Add(5*time.Hour)); s != "active" {
		t.Errorf("after 4 soft failures: %s, want active", s)
	}
	fail("soft@example.org", "system_error", t0.Add(5*time.Hour))
	if s := state("soft@example.org", t0.Add(6*time.Hour)); s != "quarantined" {
		t.Errorf("after 5 soft failures: %s, want quarantined", s)
	}

	for i := range 5 {
		fail("full@example.org", "mailbox_full", t0.Add(time.Duration(i)*time.Hour))
	}
	last := t0.Add(4 * time.Hour)
	if s := state("full@example.org", last.Add(30*24*time.Hour-time.Minute)); s != "quarantined" {
		t.Errorf("mailbox_full a minute before 30 days: %s", s)
	}
	if s := state("full@example.org", last.Add(30*24*time.Hour+time.Minute)); s != "active" {
		t.Errorf("mailbox_full after 30 days: %s, want released", s)
	}

	fail("spam@example.org", "filtered", t0)
	if s := state("spam@example.org", t0.Add(23*time.Hour)); s != "suspended" {
		t.Errorf("23 h into a suspension: %s", s)
	}
	if s := state("spam@example.org", t0.Add(24*time.Hour+time.Second)); s != "active" {
		t.Errorf("after 24 h: %s, want the suspension lifted", s)
	}

	// A suspending reason counts too, and the count outlives each
	// suspension: the fifth filtered message, a day after the fourth
	// suspension ended, quarantines for filtered's 30 days.
	for i := range 5 {
		at := t0.Add(time.Duration(i) * 25 * time.Hour)
		if s := state("filter@example.org", at); s != "active" {
			t.Fatalf("before filtered message %d: %s, want active", i+1, s)
		}
		fail("filter@example.org", "filtered", at)
	}
	fifth := t0.Add(4 * 25 * time.Hour)
	if s := state("filter@example.org", fifth.Add(25*time.Hour)); s != "quarantined" {
		t.Errorf("after 5 filtered messages on 5 days: %s, want quarantined", s)
	}
	if s := state("filter@example.org", fifth.Add(30*24*time.Hour+time.Minute)); s != "active" {
		t.Errorf("filtered quarantine after 30 days: %s, want released", s)
	}

	// system_error has no quarantine_for: the quarantine lasts until an
	// operator releases it.
	if s := state("soft@example.org", t0.Add(365*24*time.Hour)); s != "quarantined" {
		t.Errorf("5 soft failures of an unknown cause quarantine until an operator releases: %s after a year", s)
	}

	want := []time.Duration{1, 1, 1, 1, 1, 24, 24, 24, 24}
	prev := t0
	for i, h := range want {
		due, ok := p.NextRetry(channels.Email, "system_error", i+1, prev)
		if !ok || due.Sub(prev) != h*time.Hour {
			t.Fatalf("retry %d: +%v (%v), want +%dh", i+1, due.Sub(prev), ok, h)
		}
		prev = due
	}
	if _, ok := p.NextRetry(channels.Email, "system_error", len(want)+1, prev); ok {
		t.Error("a 10th email retry")
	}
}
