package workers

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/store"
)

type silentStore struct {
	SchedulerStore
	msgs   []store.SilentMessage
	cutoff map[channels.Channel]time.Time
}

func (s *silentStore) SilentMessages(_ context.Context, ch channels.Channel, cutoff time.Time, _ int) ([]store.SilentMessage, error) {
	s.cutoff[ch] = cutoff
	var out []store.SilentMessage
	for _, m := range s.msgs {
		if m.Channel == ch && m.SentAt.Before(cutoff) {
			out = append(out, m)
		}
	}
	return out, nil
}

type recorder struct{ events []channels.Event }

func (r *recorder) Publish(_ context.Context, es []channels.Event) error {
	r.events = append(r.events, es...)
	return nil
}

// TestExpire: silent SMS past their validity become failed EXPIRED events
// from provider rebond, with ids that do not change from one tick to the
// next (so a repeated tick counts once); email has no validity here.
func TestExpire(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	st := &silentStore{cutoff: map[channels.Channel]time.Time{}, msgs: []store.SilentMessage{
		{Channel: channels.SMS, MessageID: "old", Recipient: "447700900001", Campaign: "c", SentAt: now.Add(-49 * time.Hour)},
		{Channel: channels.SMS, MessageID: "fresh", Recipient: "447700900002", SentAt: now.Add(-time.Hour)},
		{Channel: channels.Email, MessageID: "mail", Recipient: "a@example.org", SentAt: now.Add(-100 * time.Hour)},
	}}
	pub := &recorder{}
	p := lifecycle.Policy{SoftThreshold: 5, Channels: map[channels.Channel]lifecycle.ChannelPolicy{
		channels.SMS: {Validity: 48 * time.Hour}, channels.Email: {}}}
	s := NewScheduler(Config{}, p, pub, st, nil, NewMetrics(prometheus.NewRegistry()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.now = func() time.Time { return now }
	for range 2 {
		if err := s.Expire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(pub.events) != 2 || pub.events[0].ID != pub.events[1].ID {
		t.Fatalf("events = %+v, want the same expiry twice", pub.events)
	}
	e := pub.events[0]
	if e.MessageID != "old" || e.Type != channels.Failed || e.Provider != SilenceProvider || e.SMS == nil || e.SMS.Stat != "EXPIRED" ||
		!e.OccurredAt.Equal(now.Add(-time.Hour)) || e.Campaign != "c" {
		t.Errorf("expiry event = %+v", e)
	}
	if err := e.Normalize(); err != nil {
		t.Errorf("the expiry event is not a valid event: %v", err)
	}
	if _, asked := st.cutoff[channels.Email]; asked {
		t.Error("email has no validity period and must not be scanned")
	}
	if !st.cutoff[channels.SMS].Equal(now.Add(-48 * time.Hour)) {
		t.Errorf("sms cutoff = %v", st.cutoff[channels.SMS])
	}
}

type incidentStore struct {
	SchedulerStore
	now   time.Time
	quiet time.Duration
}

func (s *incidentStore) ResolveIncidents(_ context.Context, now time.Time, quiet time.Duration, _ int) (int64, error) {
	s.now, s.quiet = now, quiet
	return 1, nil
}

// TestResolveIncidents: the job asks the store to resolve incidents quiet
// for the policy's period, 24 h when the policy leaves it zero.
func TestResolveIncidents(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		quiet time.Duration
		want  time.Duration
	}{{"default", 0, 24 * time.Hour}, {"configured", 6 * time.Hour, 6 * time.Hour}} {
		t.Run(tc.name, func(t *testing.T) {
			st := &incidentStore{}
			p := lifecycle.Policy{SoftThreshold: 5, Incidents: lifecycle.IncidentPolicy{QuietFor: tc.quiet}}
			s := NewScheduler(Config{}, p, &recorder{}, st, nil, NewMetrics(prometheus.NewRegistry()), slog.New(slog.NewTextHandler(io.Discard, nil)))
			s.now = func() time.Time { return now }
			if err := s.ResolveIncidents(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !st.now.Equal(now) || st.quiet != tc.want {
				t.Errorf("store asked at %v with quiet %v, want %v and %v", st.now, st.quiet, now, tc.want)
			}
		})
	}
}

type unappliedStore struct {
	SchedulerStore
	cutoffs []time.Time
}

func (u *unappliedStore) UnappliedBefore(_ context.Context, t time.Time, _ int) ([]string, error) {
	u.cutoffs = append(u.cutoffs, t)
	return nil, nil
}

// TestReconcileBacksOffDuringABacklog: with a deep apply queue the
// reconciler looks only at rows ten times older (they sit in queued
// tasks, not lost ones).
func TestReconcileBacksOffDuringABacklog(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	st := &unappliedStore{}
	s := NewScheduler(Config{ReconcileAfter: 30 * time.Second, ReconcileEvery: 15 * time.Second}, lifecycle.Policy{}, &recorder{}, st, nil,
		NewMetrics(prometheus.NewRegistry()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.now = func() time.Time { return now }
	depth := 0
	s.SetQueueDepth(func(context.Context) (int, error) { return depth, nil })
	for _, d := range []int{0, 500} {
		depth = d
		if err := s.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(st.cutoffs) != 2 || !st.cutoffs[0].Equal(now.Add(-30*time.Second)) || !st.cutoffs[1].Equal(now.Add(-300*time.Second)) {
		t.Errorf("cutoffs = %v", st.cutoffs)
	}
}

// migratedStore opens a store on a database of the test's own, migrated.
func migratedStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
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

// TestSchedulerPartitions runs the partition and retention jobs against a
// real database at a fake "now": the job creates this month's events
// partition and the next three, once; retention drops the months that
// ended more than the retention ago and leaves the others.
func TestSchedulerPartitions(t *testing.T) {
	ctx := context.Background()
	st := migratedStore(t)
	now := time.Date(2024, 12, 20, 12, 0, 0, 0, time.UTC)
	s := NewScheduler(Config{Retention: 30 * 24 * time.Hour}, lifecycle.Policy{}, &recorder{}, st, nil,
		NewMetrics(prometheus.NewRegistry()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.now = func() time.Time { return now }
	months := func() []string {
		t.Helper()
		parts, err := st.EventPartitions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range parts {
			if !p.From.IsZero() && p.From.Year() < 2026 { // not the months around today's date
				out = append(out, p.Name)
			}
		}
		return out
	}
	for range 2 {
		if err := s.Partition(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"events_2024_12", "events_2025_01", "events_2025_02", "events_2025_03"}
	if got := months(); !slices.Equal(got, want) {
		t.Fatalf("partitions %v, want %v", got, want)
	}
	// 30 days before 2025-03-15 is 2025-02-13: December and January ended
	// before it, February did not.
	now = time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC)
	if err := s.Retain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := months(); !slices.Equal(got, want[2:]) {
		t.Errorf("after retention: partitions %v, want %v", got, want[2:])
	}
}

// TestSchedulerRetainsRejected: the rejected payloads' retention is on by
// default, by age and by count, with the events' retention off.
func TestSchedulerRetainsRejected(t *testing.T) {
	ctx := context.Background()
	st := migratedStore(t)
	cfg := Config{RedisURL: "redis://unused"}.WithDefaults()
	if cfg.Retention != 0 || cfg.RejectedRetention != 30*24*time.Hour || cfg.RejectedMaxRows != 10000 {
		t.Fatalf("defaults: retention %v, rejected %v and %d rows; want off, 720h and 10000", cfg.Retention, cfg.RejectedRetention, cfg.RejectedMaxRows)
	}
	for i := range 5 {
		if err := st.InsertRejected(ctx, "smtp", "not a bounce", []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	cfg.RejectedMaxRows = 2
	s := NewScheduler(cfg, lifecycle.Policy{}, &recorder{}, st, nil, NewMetrics(prometheus.NewRegistry()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	left := func() int64 {
		t.Helper()
		if err := s.Retain(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := st.CountRejected(ctx, "smtp")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := left(); n != 2 {
		t.Errorf("%d rejected payloads left, want the newest 2", n)
	}
	s.now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
	if n := left(); n != 0 {
		t.Errorf("%d rejected payloads left 31 days later, want none", n)
	}
}
