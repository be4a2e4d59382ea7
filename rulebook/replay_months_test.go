package rulebook_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/rulebook"
)

// TestReplayAcrossMonths: the events table is partitioned by month
// (store/migrations/0011_events_by_month.sql); a replay whose range and
// messages span three monthly partitions, paged two events at a time,
// leaves verdicts, messages and rate tables as a fresh apply under the new
// rules would.
func TestReplayAcrossMonths(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	oct := time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC)
	nov, dec := oct.AddDate(0, 0, 30), time.Date(2026, 12, 15, 12, 0, 0, 0, time.UTC)
	events := func() []channels.Event {
		return []channels.Event{
			sent("m1", "ann@example.com", "spring", oct),
			failed("m1", "ann@example.com", acmeText, oct.Add(40*time.Minute)), // November
			sent("m2", "bob@example.com", "spring", nov),
			failed("m2", "bob@example.com", acmeText, nov.Add(40*time.Minute)), // December
			failed("m3", "cy@example.com", acmeText, dec),
		}
	}
	setUp := func(rulesFirst bool) *fixture {
		f := newFixture(t)
		// Partitions of their own for the three months, whatever today's date.
		if _, err := f.st.EnsurePartitions(ctx, oct, 2); err != nil {
			t.Fatal(err)
		}
		c, r := f.reloaded(t)
		if rulesFirst {
			if _, err := f.book.Create(ctx, acmeRule, "", "ann"); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Reload(ctx); err != nil {
				t.Fatal(err)
			}
		}
		f.apply(t, c, events()...)
		return f
	}
	f := setUp(false)
	var parts []string
	if err := f.db.Select(&parts, `SELECT DISTINCT tableoid::regclass::text FROM events ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"events_2026_10", "events_2026_11", "events_2026_12"}; !cmp.Equal(parts, want) {
		t.Fatalf("events stored in %v, want %v", parts, want)
	}
	if _, err := f.book.Create(ctx, acmeRule, "", "ann"); err != nil {
		t.Fatal(err)
	}
	req := rulebook.ReplayRequest{From: oct.Add(-time.Hour), To: dec.Add(time.Hour), Batch: 2}
	rep, err := f.book.Replay(ctx, f.st, req)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events != 5 || rep.Changed != 3 || rep.Messages != 3 {
		t.Errorf("replay: %d events, %d changed, %d messages; want 5, 3, 3", rep.Events, rep.Changed, rep.Messages)
	}
	g := setUp(true)
	for name, q := range map[string]string{
		"verdicts":      `SELECT id || ' ' || outcome || ' ' || reason || ' ' || rule FROM events`,
		"messages":      `SELECT concat_ws(' ', channel, message_id, recipient, campaign, domain, sent_at, status, complained, reason, event_id) FROM messages`,
		"buckets":       `SELECT concat_ws(' ', channel, campaign, domain, hour, sent, delivered, soft, hard, complaints) FROM rate_buckets`,
		"days":          `SELECT concat_ws(' ', channel, campaign, domain, day, sent, delivered, soft, hard, complaints) FROM rate_days`,
		"campaign days": `SELECT concat_ws(' ', channel, campaign, day, sent, delivered, soft, hard, complaints) FROM rate_campaign_days`,
	} {
		if diff := cmp.Diff(rows(t, g, q), rows(t, f, q)); diff != "" {
			t.Errorf("%s after replay differ from a fresh apply (-fresh +replayed):\n%s", name, diff)
		}
	}
}
