package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
)

// TestAlertChanges: recorded changes make the active list (latest state per
// alert, ok ones left out), a change whose alert already left its From
// state is skipped (a second scheduler replica), and the outbox hands out
// each change until it is marked published.
func TestAlertChanges(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	hard := channels.AlertKey{Channel: channels.Email, Campaign: "spring", Provider: "Google", Metric: "hard_rate"}
	spam := channels.AlertKey{Channel: channels.Email, Campaign: "spring", Metric: "complaint_rate"}
	sms := channels.AlertKey{Channel: channels.SMS, Campaign: "otp", Metric: "hard_rate"}
	change := func(k channels.AlertKey, from, to string, at time.Time) channels.AlertChange {
		return channels.AlertChange{AlertKey: k, From: from, To: to, At: at, Sent: 1000, Hits: 80, Rate: 0.08,
			CI: channels.Interval{Low: 0.065, High: 0.098}, Threshold: 0.05}
	}
	got, err := s.RecordAlerts(ctx, []channels.AlertChange{
		change(hard, "ok", "warning", at), change(spam, "ok", "critical", at), change(sms, "ok", "warning", at)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID == 0 || got[0].ID >= got[1].ID {
		t.Fatalf("recorded = %+v, want three with increasing ids", got)
	}
	// A replica that evaluated on the old state records nothing twice.
	again, err := s.RecordAlerts(ctx, []channels.AlertChange{change(hard, "ok", "warning", at)})
	if err != nil || len(again) != 0 {
		t.Fatalf("the same change again: %+v, %v; want nothing recorded", again, err)
	}
	later := at.Add(5 * time.Minute)
	if _, err := s.RecordAlerts(ctx, []channels.AlertChange{change(hard, "warning", "critical", later), change(sms, "warning", "ok", later)}); err != nil {
		t.Fatal(err)
	}
	active, err := s.ActiveAlerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 2 || active[0].AlertKey != spam || active[0].To != "critical" ||
		active[1].AlertKey != hard || active[1].From != "warning" || active[1].To != "critical" || !active[1].At.Equal(later) {
		t.Fatalf("active = %+v, want spam critical then Google hard critical", active)
	}
	if a := active[1]; a.Sent != 1000 || a.Hits != 80 || a.Rate != 0.08 || a.CI.Low != 0.065 || a.CI.High != 0.098 || a.Threshold != 0.05 {
		t.Errorf("evidence not kept: %+v", a)
	}
	recent, err := s.RecentAlerts(ctx, 2)
	if err != nil || len(recent) != 2 || recent[0].ID < recent[1].ID || recent[0].To != "ok" && recent[1].To != "ok" {
		t.Fatalf("recent = %+v, %v; want the two latest, newest first", recent, err)
	}

	pending, err := s.UnpublishedAlerts(ctx, 100)
	if err != nil || len(pending) != 5 {
		t.Fatalf("unpublished = %d, %v; want 5", len(pending), err)
	}
	pubAt := later.Add(time.Second)
	if err := s.MarkAlertsPublished(ctx, []int64{pending[0].ID, pending[1].ID}, pubAt); err != nil {
		t.Fatal(err)
	}
	pending, err = s.UnpublishedAlerts(ctx, 100)
	if err != nil || len(pending) != 3 {
		t.Fatalf("unpublished after marking two = %d, %v; want 3", len(pending), err)
	}
	active, _ = s.ActiveAlerts(ctx)
	if active[0].PublishedAt == nil || !active[0].PublishedAt.Equal(pubAt) {
		t.Errorf("spam alert published_at = %v, want %v", active[0].PublishedAt, pubAt)
	}

	// An impossible change is refused by the table, not stored.
	if _, err := s.RecordAlerts(ctx, []channels.AlertChange{change(channels.AlertKey{Channel: channels.Email, Campaign: "x", Metric: "open_rate"}, "ok", "warning", at)}); err == nil {
		t.Error("an unknown metric was recorded")
	}
}
