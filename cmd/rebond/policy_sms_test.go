package main

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/channels/rules/builtin"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/sms"
	"github.com/rebond/rebond/store"
	"github.com/rebond/rebond/workers"
)

// TestSMSSoftQuarantineEndsOnAFakeClock checks the SMS quarantine terms of
// configs/rebond.yaml end to end on a simulated clock: real receipts
// classified by the shipped rules, applied by the shipped policy to the
// real store, released by the scheduler's release job. Five receipts of an
// absent subscriber (MAP 27) quarantine the number for 7 days, which end
// at the term and not before; the next run of five gets twice the term
// (escalation); a busy handset's quarantine lasts a day; an opt-out (a
// hard verdict) is never released by the clock.
func TestSMSSoftQuarantineEndsOnAFakeClock(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig("", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Policy
	set, err := builtin.Load("rules/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := migratedStore(ctx, t)
	var now time.Time
	sched := workers.NewScheduler(workers.Config{}, p, nil, st, nil, workers.NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))
	sched.SetClock(func() time.Time { return now })

	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	seq := 0
	// receipt applies one SMPP receipt text read in the given err dialect.
	receipt := func(number, dialect, stat, errCode string, at time.Time) {
		t.Helper()
		seq++
		text := fmt.Sprintf("id:sms%d sub:001 dlvrd:000 submit date:2603010800 done date:2603010800 stat:%s err:%s text:x", seq, stat, errCode)
		e, err := sms.ParseReceipt(sms.FormatText, []byte(text), dialect)
		if err != nil {
			t.Fatal(err)
		}
		e.Recipient, e.OccurredAt = number, at
		if err := e.Normalize(); err != nil {
			t.Fatal(err)
		}
		ids, err := st.InsertEvents(ctx, []channels.Event{e})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Apply(ctx, ids, func(s lifecycle.Snapshot) lifecycle.Plan { return lifecycle.Decide(p, set, s) }); err != nil {
			t.Fatal(err)
		}
	}
	// state runs the scheduler's release job at at, then reads the
	// number's state and reason as the exclusions endpoint does.
	state := func(number string, at time.Time) string {
		t.Helper()
		now = at
		if err := sched.Release(ctx); err != nil {
			t.Fatal(err)
		}
		x, err := st.Exclusions(ctx, channels.SMS, []string{number}, at)
		if err != nil {
			t.Fatal(err)
		}
		if x[0].State == "active" {
			return "active"
		}
		return string(x[0].State) + " " + x[0].Reason
	}

	const absent = "447700900501"
	for i := range 4 {
		receipt(absent, "map", "UNDELIV", "027", t0.Add(time.Duration(i)*time.Hour))
	}
	if s := state(absent, t0.Add(4*time.Hour)); s != "active" {
		t.Errorf("after 4 absent-subscriber receipts: %s, want active", s)
	}
	fifth := t0.Add(4 * time.Hour)
	receipt(absent, "map", "UNDELIV", "027", fifth)
	week := 7 * 24 * time.Hour
	if s := state(absent, fifth.Add(time.Minute)); s != "quarantined absent_subscriber" {
		t.Errorf("after 5 absent-subscriber receipts: %s, want quarantined absent_subscriber", s)
	}
	if s := state(absent, fifth.Add(week-time.Minute)); s != "quarantined absent_subscriber" {
		t.Errorf("a minute before 7 days: %s, want still quarantined", s)
	}
	if s := state(absent, fifth.Add(week+time.Minute)); s != "active" {
		t.Errorf("a minute after 7 days: %s, want released by the release job", s)
	}

	// The same phone off again: the second quarantine of the run lasts
	// twice the term (policy.escalation.factor 2).
	again := fifth.Add(8 * 24 * time.Hour)
	for i := range 5 {
		receipt(absent, "map", "UNDELIV", "027", again.Add(time.Duration(i)*time.Hour))
	}
	tenth := again.Add(4 * time.Hour)
	if s := state(absent, tenth.Add(2*week-time.Minute)); s != "quarantined absent_subscriber" {
		t.Errorf("second quarantine a minute before 14 days: %s, want quarantined", s)
	}
	if s := state(absent, tenth.Add(2*week+time.Minute)); s != "active" {
		t.Errorf("second quarantine a minute after 14 days: %s, want released", s)
	}

	// A busy handset (Twilio SMPP 011): a day.
	const busy = "447700900502"
	for i := range 5 {
		receipt(busy, "twilio-smpp", "UNDELIV", "011", t0.Add(time.Duration(i)*time.Hour))
	}
	if s := state(busy, fifth.Add(24*time.Hour-time.Minute)); s != "quarantined handset_busy" {
		t.Errorf("busy a minute before a day: %s, want quarantined handset_busy", s)
	}
	if s := state(busy, fifth.Add(24*time.Hour+time.Minute)); s != "active" {
		t.Errorf("busy a minute after a day: %s, want released", s)
	}

	// An opt-out (Twilio SMPP 071) is hard, and the recipient's word: the
	// number is opted out at once (issue 19: the state opted_out, not a
	// quarantine), and no term ends it.
	const stop = "447700900503"
	receipt(stop, "twilio-smpp", "REJECTD", "071", t0)
	if s := state(stop, t0.Add(365*24*time.Hour)); s != "opted_out opted_out" {
		t.Errorf("opted out, a year later: %s, want opted_out opted_out", s)
	}
}

// migratedStore opens a store on a test database of its own, migrated,
// closed when the test ends.
func migratedStore(ctx context.Context, t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(ctx, store.Config{URL: testsvc.Postgres(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}
