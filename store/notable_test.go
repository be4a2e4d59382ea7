package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// notableRows returns notable_events as "id campaign outcome reason
// partition" lines, keyed by event id.
func notableRows(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT id, campaign, outcome, reason, tableoid::regclass::text FROM notable_events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, campaign, outcome, reason, part string
		if err := rows.Scan(&id, &campaign, &outcome, &reason, &part); err != nil {
			t.Fatal(err)
		}
		out[id] = campaign + " " + outcome + " " + reason + " " + part
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNotableEvents follows the activity log's index of verdicts
// (0023_notable_events.sql) through every write of events: the apply
// writes a row per notable verdict only, with the campaign of the event's
// message when the event names none; the log's verdict filters read it; a
// replay rewrites it; retention drops it with its month (partition or
// DEFAULT rows); a new month takes DEFAULT's rows; a tenant's purge
// deletes its rows.
func TestNotableEvents(t *testing.T) {
	t.Parallel()
	s, db := openStoreDB(t)
	ctx := context.Background()
	if _, err := s.EnsurePartitions(ctx, at("2024-01-15T00:00:00Z"), 1); err != nil {
		t.Fatal(err)
	}
	sentA := event(channels.Sent, "m1", "a@example.com", "", at("2024-01-10T10:00:00Z"))
	bounceA := event(channels.Failed, "m1", "a@example.com", "5.1.1", at("2024-01-11T10:00:00Z"))
	bounceA.Campaign = "" // an asynchronous bounce knows only its message
	if err := bounceA.Normalize(); err != nil {
		t.Fatal(err)
	}
	sentB := event(channels.Sent, "m2", "b@example.com", "", at("2024-01-12T10:00:00Z"))
	deliveredB := event(channels.Delivered, "m2", "b@example.com", "", at("2024-01-13T10:00:00Z"))
	softC := event(channels.Failed, "m3", "c@example.com", "4.2.2", at("2024-02-02T10:00:00Z"))
	old := event(channels.Failed, "m9", "d@example.com", "5.1.1", at("1990-05-10T10:00:00Z"))
	// A bounce whose Final-Recipient is not the address the message went
	// to (a forward) is a delivery of its own, with no campaign: it counts
	// under its message's.
	sentG := event(channels.Sent, "m6", "g@example.com", "", at("2024-02-03T10:00:00Z"))
	sentG.Campaign = "c2"
	forwarded := event(channels.Failed, "m6", "h@example.net", "5.1.1", at("2024-02-04T10:00:00Z"))
	forwarded.Campaign = ""
	insertApply(t, s, sentA, sentB, sentG)
	insertApply(t, s, bounceA, deliveredB, softC, old, forwarded)

	want := map[string]string{
		bounceA.ID:   "c1 hard user_unknown notable_events_2024_01",
		softC.ID:     "c1 soft mailbox_full notable_events_2024_02",
		old.ID:       "c1 hard user_unknown notable_events_default",
		forwarded.ID: "c2 hard user_unknown notable_events_2024_02",
	}
	if diff := cmp.Diff(want, notableRows(t, db)); diff != "" {
		t.Fatalf("notable rows after the apply (-want +got):\n%s", diff)
	}

	jan := store.ActivityQuery{From: at("2024-01-01T00:00:00Z"), To: at("2024-02-01T00:00:00Z")}
	page := func(q store.ActivityQuery) []string {
		t.Helper()
		p, err := s.Activity(ctx, q, at("2024-03-01T00:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		return ids(p)
	}
	for name, q := range map[string]store.ActivityQuery{
		"reason":              {Reason: "user_unknown"},
		"outcome":             {Outcome: "hard"},
		"campaign and reason": {Campaign: "c1", CampaignSet: true, Reason: "user_unknown"},
	} {
		q.From, q.To = jan.From, jan.To
		if got := page(q); !cmp.Equal(got, []string{bounceA.ID}) {
			t.Errorf("%s: %v, want the bounce", name, got)
		}
	}
	// A failure applied before its send: its row has no campaign until the
	// send names one.
	early := event(channels.Failed, "m7", "k@example.com", "5.1.1", at("2024-02-05T10:00:00Z"))
	early.Campaign = ""
	insertApply(t, s, early)
	if got := notableRows(t, db)[early.ID]; got != " hard user_unknown notable_events_2024_02" {
		t.Fatalf("a failure before its send: %q", got)
	}
	late := event(channels.Sent, "m7", "k@example.com", "", at("2024-02-05T09:59:00Z"))
	late.Campaign = "c3"
	insertApply(t, s, late)
	want[early.ID] = "c3 hard user_unknown notable_events_2024_02"
	if diff := cmp.Diff(want, notableRows(t, db)); diff != "" {
		t.Fatalf("notable rows once the send named its campaign (-want +got):\n%s", diff)
	}
	// An empty campaign is, as in the events path, the events that carry
	// none themselves, whatever their message's.
	if got := page(store.ActivityQuery{CampaignSet: true, Reason: "user_unknown", From: jan.From, To: jan.To}); !cmp.Equal(got, []string{bounceA.ID}) {
		t.Errorf("no campaign and a reason: %v, want the bounce", got)
	}
	// An index row an older build's apply did not write (a rolling
	// update) comes back with rebond migrate --backfill-notable, once.
	if _, err := db.Exec(`DELETE FROM notable_events WHERE id = $1`, softC.ID); err != nil {
		t.Fatal(err)
	}
	for i, wantN := range []int64{1, 0} {
		if n, err := s.BackfillNotable(ctx); err != nil || n != wantN {
			t.Fatalf("backfill %d: %d rows, %v; want %d", i+1, n, err, wantN)
		}
	}
	if diff := cmp.Diff(want, notableRows(t, db)); diff != "" {
		t.Fatalf("notable rows after the backfill (-want +got):\n%s", diff)
	}
	// Routine verdicts are read from events, the same way as before.
	if got := page(store.ActivityQuery{Outcome: "pending", From: jan.From, To: jan.To}); !cmp.Equal(got, []string{sentB.ID, sentA.ID}) {
		t.Errorf("outcome pending: %v, want both sends", got)
	}

	// A replay turns the bounce routine and the second send notable.
	rv := func(e channels.Event, o channels.Outcome, r channels.Reason) store.Reverdict {
		return store.Reverdict{EventID: e.Key(), Channel: e.Channel, MessageID: e.MessageID, OccurredAt: e.OccurredAt,
			Verdict: channels.Verdict{Outcome: o, Reason: r, Rule: "t.replay@1"}}
	}
	if _, err := s.Reconcile(ctx, []store.Reverdict{
		rv(bounceA, channels.OutcomeDelivered, "delivered"), rv(sentB, channels.OutcomeHard, "policy"),
	}, false); err != nil {
		t.Fatal(err)
	}
	delete(want, bounceA.ID)
	want[sentB.ID] = "c1 hard policy notable_events_2024_01"
	if diff := cmp.Diff(want, notableRows(t, db)); diff != "" {
		t.Fatalf("notable rows after the replay (-want +got):\n%s", diff)
	}
	if got := page(store.ActivityQuery{Reason: "policy", From: jan.From, To: jan.To}); !cmp.Equal(got, []string{sentB.ID}) {
		t.Errorf("reason policy after the replay: %v, want the second send", got)
	}

	// Retention: January's partitions go, and DEFAULT's rows of 1990.
	cutoff := at("2024-02-01T00:00:00Z")
	if dropped, _, err := s.DropExpiredPartitions(ctx, cutoff); err != nil || !cmp.Equal(dropped, []string{"events_2024_01"}) {
		t.Fatalf("dropped %v, %v", dropped, err)
	}
	if n, err := s.DeleteOlderThan(ctx, cutoff, 100); err != nil || n != 1 {
		t.Fatalf("DEFAULT deletions: %d, %v; want the event of 1990", n, err)
	}
	var left int
	if err := db.QueryRow(`SELECT count(*) FROM pg_class WHERE relname = 'notable_events_2024_01'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("notable_events_2024_01: %d tables, %v; want it dropped", left, err)
	}
	want = map[string]string{
		softC.ID:     "c1 soft mailbox_full notable_events_2024_02",
		forwarded.ID: "c2 hard user_unknown notable_events_2024_02",
		early.ID:     "c3 hard user_unknown notable_events_2024_02",
	}
	if diff := cmp.Diff(want, notableRows(t, db)); diff != "" {
		t.Fatalf("notable rows after retention (-want +got):\n%s", diff)
	}

	// A month without a partition: its rows wait in DEFAULT, then move.
	sept := event(channels.Failed, "m4", "e@example.com", "5.1.1", at("2024-09-10T08:00:00Z"))
	insertApply(t, s, sept)
	if got := notableRows(t, db)[sept.ID]; got != "c1 hard user_unknown notable_events_default" {
		t.Fatalf("September's bounce: %q", got)
	}
	if _, err := s.EnsurePartitions(ctx, sept.OccurredAt, 0); err != nil {
		t.Fatal(err)
	}
	if got := notableRows(t, db)[sept.ID]; got != "c1 hard user_unknown notable_events_2024_09" {
		t.Fatalf("September's bounce once its month exists: %q", got)
	}

	// A purged tenant leaves no row.
	acme := channels.WithTenant(ctx, "acme")
	other := event(channels.Failed, "m5", "f@example.com", "5.1.1", at("2024-09-11T08:00:00Z"))
	other.Tenant = "acme"
	insertApply(t, s, other)
	if got := notableRows(t, db)[other.Key()]; got == "" {
		t.Fatal("acme's bounce has no notable row")
	}
	if _, err := s.PurgeTenant(acme); err != nil {
		t.Fatal(err)
	}
	if got, ok := notableRows(t, db)[other.Key()]; ok {
		t.Errorf("acme's row after its purge: %q", got)
	}
}
