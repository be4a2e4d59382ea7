package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// TestAlertNoticeLog: a key's candidate is its latest change with what
// was last told; a notice is logged once per destination however many
// replicas record it; attempts keep the last error; a tenant's purge takes
// its deliveries with its alerts.
func TestAlertNoticeLog(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := channels.WithTenant(context.Background(), "acme")
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	k := channels.AlertKey{Channel: channels.SMS, Campaign: "otp", Metric: "hard_rate"}
	record := func(from, to string, at time.Time) channels.AlertChange {
		t.Helper()
		got, err := s.RecordAlerts(ctx, []channels.AlertChange{{AlertKey: k, From: from, To: to, At: at, Sent: 1000, Hits: 150, Rate: 0.15}})
		if err != nil || len(got) != 1 {
			t.Fatalf("record %s->%s: %v, %v", from, to, got, err)
		}
		return got[0]
	}
	candidates := func() []string {
		t.Helper()
		cs, err := s.AlertNoticeCandidates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Change.From+">"+c.Change.To+" told:"+c.Told)
		}
		return out
	}
	if got := candidates(); got != nil {
		t.Errorf("no alerts: candidates %v", got)
	}
	open := record("ok", "critical", at)
	if diff := cmp.Diff([]string{"ok>critical told:"}, candidates()); diff != "" {
		t.Errorf("opened (-want +got):\n%s", diff)
	}
	dests := []store.AlertDestination{{Name: "hook", Kind: "webhook"}, {Name: "mail", Kind: "email"}}
	ids, err := s.RecordAlertNotice(ctx, open, "open", dests, at)
	if err != nil || len(ids) != 2 {
		t.Fatalf("notice: %v, %v; want two deliveries", ids, err)
	}
	if again, err := s.RecordAlertNotice(ctx, open, "open", dests, at); err != nil || len(again) != 0 {
		t.Errorf("the same notice again: %v, %v; want none", again, err)
	}
	if got := candidates(); got != nil {
		t.Errorf("announced: candidates %v", got)
	}
	record("critical", "ok", at.Add(5*time.Minute))
	if diff := cmp.Diff([]string{"critical>ok told:critical"}, candidates()); diff != "" {
		t.Errorf("resolved (-want +got):\n%s", diff)
	}

	if pending, err := s.PendingAlertDeliveries(ctx, 10); err != nil || !cmp.Equal(pending, ids) {
		t.Errorf("pending = %v, %v; want %v", pending, err, ids)
	}
	if ok, err := s.RecordAlertAttempt(ctx, ids[0], at, store.DeliveryPending, "status 502"); !ok || err != nil {
		t.Fatalf("attempt 1: %v, %v", ok, err)
	}
	if ok, err := s.RecordAlertAttempt(ctx, ids[0], at.Add(time.Minute), store.DeliverySent, ""); !ok || err != nil {
		t.Fatalf("attempt 2: %v, %v", ok, err)
	}
	if ok, err := s.RecordAlertAttempt(ctx, ids[0], at.Add(2*time.Minute), store.DeliverySent, ""); ok || err != nil {
		t.Errorf("an attempt on a sent delivery: %v, %v; want nothing recorded", ok, err)
	}
	d, err := s.AlertDelivery(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	sentAt := at.Add(time.Minute)
	if d.Status != store.DeliverySent || d.Attempts != 2 || d.LastError != "status 502" || d.SentAt == nil || !d.SentAt.Equal(sentAt) ||
		d.Change.ID != open.ID || d.Change.To != "critical" || d.Notice != "open" {
		t.Errorf("delivery = %+v", d)
	}
	if _, err := s.AlertDelivery(ctx, 1<<40); err != store.ErrNotFound {
		t.Errorf("missing delivery: %v, want ErrNotFound", err)
	}
	if list, err := s.RecentAlertDeliveries(channels.WithTenant(ctx, "other"), 10); err != nil || len(list) != 0 {
		t.Errorf("another tenant sees %v, %v", list, err)
	}

	if _, err := s.PurgeTenant(ctx); err != nil {
		t.Fatal(err)
	}
	if list, err := s.RecentAlertDeliveries(ctx, 10); err != nil || len(list) != 0 {
		t.Errorf("after the purge: %v, %v", list, err)
	}
}
