package store_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/store"
)

// openStoreDB is openStore with a plain connection beside it, to look at
// where rows are stored.
func openStoreDB(t *testing.T) (*store.Store, *sql.DB) {
	t.Helper()
	ctx := context.Background()
	url := testsvc.Postgres(t)
	s, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return s, db
}

// stored maps every stored event id to the partition that holds it.
func stored(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT id, tableoid::regclass::text FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, part string
		if err := rows.Scan(&id, &part); err != nil {
			t.Fatal(err)
		}
		out[id] = part
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// partitionNames lists the partitions of events whose months start before
// 2025: the test's own, not the months around today's date that the
// migration creates.
func partitionNames(t *testing.T, s *store.Store) []string {
	t.Helper()
	parts, err := s.EventPartitions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range parts {
		if p.From.IsZero() || p.From.Year() < 2025 {
			out = append(out, p.Name)
		}
	}
	return out
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestPartitionRetention: events of six months in their monthly
// partitions and events of far-off months in DEFAULT; retention at a fake
// "now" drops exactly the partitions whose month ended more than the
// retention ago, keeps one that holds an unapplied event until it is
// applied, and deletes DEFAULT's old applied events one batch at a time,
// never an unapplied one.
func TestPartitionRetention(t *testing.T) {
	t.Parallel()
	s, db := openStoreDB(t)
	ctx := context.Background()
	created, err := s.EnsurePartitions(ctx, at("2024-01-15T00:00:00Z"), 5)
	want := []string{"events_2024_01", "events_2024_02", "events_2024_03", "events_2024_04", "events_2024_05", "events_2024_06"}
	if err != nil || !cmp.Equal(created, want) {
		t.Fatalf("created %v, %v; want %v", created, err, want)
	}
	if again, err := s.EnsurePartitions(ctx, at("2024-01-15T00:00:00Z"), 5); err != nil || len(again) != 0 {
		t.Fatalf("second EnsurePartitions created %v, %v; want nothing", again, err)
	}
	var applied []channels.Event
	for i, ts := range []string{"2024-01-20T10:00:00Z", "2024-02-20T10:00:00Z", "2024-03-20T10:00:00Z",
		"2024-04-20T10:00:00Z", "2024-05-20T10:00:00Z", "2024-06-10T10:00:00Z",
		"1990-05-10T10:00:00Z", "2099-03-01T10:00:00Z"} {
		applied = append(applied, event(channels.Sent, "m"+ts[:7], "u"+string(rune('a'+i))+"@example.com", "", at(ts)))
	}
	insertApply(t, s, applied...)
	pendingFeb := event(channels.Sent, "late-feb", "late@example.com", "", at("2024-02-28T23:00:00Z"))
	pendingOld := event(channels.Sent, "late-1990", "old@example.com", "", at("1990-06-01T00:00:00Z"))
	if _, err := s.InsertEvents(ctx, []channels.Event{pendingFeb, pendingOld}); err != nil {
		t.Fatal(err)
	}
	where := stored(t, db)
	for _, e := range append(applied, pendingFeb, pendingOld) {
		want := "events_" + e.OccurredAt.Format("2006_01")
		if y := e.OccurredAt.Year(); y < 2000 || y > 2090 {
			want = "events_default"
		}
		if where[e.ID] != want {
			t.Errorf("event of %s stored in %q, want %s", e.OccurredAt.Format(time.DateOnly), where[e.ID], want)
		}
	}

	// Now 2024-06-15 with 90 days of retention: the cut is 2024-03-17, so
	// January and February ended before it, March did not.
	cutoff := at("2024-06-15T12:00:00Z").Add(-90 * 24 * time.Hour)
	dropped, kept, err := s.DropExpiredPartitions(ctx, cutoff)
	if err != nil || !cmp.Equal(dropped, []string{"events_2024_01"}) || !cmp.Equal(kept, []string{"events_2024_02"}) {
		t.Fatalf("dropped %v, kept %v, %v; want January dropped, February kept for its unapplied event", dropped, kept, err)
	}
	if n, err := s.DeleteOlderThan(ctx, cutoff, 100); err != nil || n != 1 {
		t.Fatalf("DEFAULT deletions: %d, %v; want the applied event of 1990", n, err)
	}
	if n, err := s.DeleteOlderThan(ctx, cutoff, 100); err != nil || n != 0 {
		t.Fatalf("DEFAULT deletions again: %d, %v; want none", n, err)
	}
	wantLeft := func(gone ...channels.Event) {
		t.Helper()
		var got, want []string
		for id := range stored(t, db) {
			got = append(got, id)
		}
		for _, e := range append(applied, pendingFeb, pendingOld) {
			if !slices.ContainsFunc(gone, func(g channels.Event) bool { return g.ID == e.ID }) {
				want = append(want, e.ID)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("events left (-want +got):\n%s", diff)
		}
	}
	wantLeft(applied[0], applied[6])
	if got := partitionNames(t, s); !cmp.Equal(got, append(slices.Clone(want[1:]), "events_default")) {
		t.Errorf("partitions left: %v, want %v and events_default", got, want[1:])
	}

	// Once applied, February goes, and DEFAULT's 1990 event too.
	if _, err := s.Apply(ctx, []string{pendingFeb.ID, pendingOld.ID}, decide); err != nil {
		t.Fatal(err)
	}
	dropped, kept, err = s.DropExpiredPartitions(ctx, cutoff)
	if err != nil || !cmp.Equal(dropped, []string{"events_2024_02"}) || len(kept) != 0 {
		t.Fatalf("dropped %v, kept %v, %v; want February dropped", dropped, kept, err)
	}
	if n, err := s.DeleteOlderThan(ctx, cutoff, 1); err != nil || n != 1 {
		t.Fatalf("DEFAULT deletions: %d, %v; want the other event of 1990", n, err)
	}
	wantLeft(applied[0], applied[1], applied[6], pendingFeb, pendingOld)
	if applied, pending, err := s.CountEvents(ctx); err != nil || applied != 5 || pending != 0 {
		t.Errorf("left: %d applied, %d pending, %v; want 5 and 0", applied, pending, err)
	}
}

// TestPartitionCreatedOverDefaultRows: an event of a month without a
// partition waits in DEFAULT; creating the month moves it, and it is
// still deduplicated, found pending and applied once.
func TestPartitionCreatedOverDefaultRows(t *testing.T) {
	t.Parallel()
	s, db := openStoreDB(t)
	ctx := context.Background()
	e := event(channels.Sent, "m1", "a@example.com", "", at("2024-09-10T08:00:00Z"))
	if ids, err := s.InsertEvents(ctx, []channels.Event{e}); err != nil || !cmp.Equal(ids, []string{e.ID}) {
		t.Fatalf("insert: %v, %v", ids, err)
	}
	if got := stored(t, db)[e.ID]; got != "events_default" {
		t.Fatalf("stored in %q, want events_default", got)
	}
	created, err := s.EnsurePartitions(ctx, e.OccurredAt, 0)
	if err != nil || !cmp.Equal(created, []string{"events_2024_09"}) {
		t.Fatalf("created %v, %v", created, err)
	}
	if got := stored(t, db)[e.ID]; got != "events_2024_09" {
		t.Fatalf("after the month was created: stored in %q, want events_2024_09", got)
	}
	if ids, err := s.InsertEvents(ctx, []channels.Event{e}); err != nil || !cmp.Equal(ids, []string{e.ID}) {
		t.Fatalf("re-insert before the apply: pending %v, %v; want [%s]", ids, err, e.ID)
	}
	if ids, err := s.UnappliedBefore(ctx, time.Now().Add(time.Minute), 10); err != nil || !cmp.Equal(ids, []string{e.ID}) {
		t.Fatalf("reconciler sees %v, %v", ids, err)
	}
	if plan, err := s.Apply(ctx, []string{e.ID, e.ID}, decide); err != nil || len(plan.Applied) != 1 {
		t.Fatalf("apply: %d applied, %v; want 1", len(plan.Applied), err)
	}
	if ids, err := s.InsertEvents(ctx, []channels.Event{e}); err != nil || len(ids) != 0 {
		t.Fatalf("re-insert after the apply: pending %v, %v; want none", ids, err)
	}
	if n := len(stored(t, db)); n != 1 {
		t.Errorf("%d rows stored, want 1", n)
	}
}

// TestRedeliveryAcrossMonthsIsOneEvent: a receipt whose occurred_at is its
// time of receipt (no done date) and whose id does not depend on it is
// re-delivered after the turn of the month: it is the same event, in a
// monthly partition as in DEFAULT, whether the first delivery was applied
// or is still pending.
func TestRedeliveryAcrossMonthsIsOneEvent(t *testing.T) {
	t.Parallel()
	s, db := openStoreDB(t)
	ctx := context.Background()
	if _, err := s.EnsurePartitions(ctx, at("2024-03-01T00:00:00Z"), 1); err != nil {
		t.Fatal(err)
	}
	receipt := func(id, ts string) channels.Event {
		e := event(channels.Delivered, "m-"+id, "a@example.com", "", at(ts))
		e.ID = id
		return e
	}
	for _, tc := range []struct {
		name, first, again string
		apply              bool
	}{
		{"partitions, applied", "2024-03-31T23:59:59Z", "2024-04-01T00:00:05Z", true},
		{"partitions, pending", "2024-03-31T23:59:59Z", "2024-04-03T10:00:00Z", false},
		{"default", "2023-12-31T23:59:59Z", "2024-01-06T00:00:00Z", true},
	} {
		id := "receipt-" + tc.first[:4] + "-" + tc.again[8:10]
		first, again := receipt(id, tc.first), receipt(id, tc.again)
		ids, err := s.InsertEvents(ctx, []channels.Event{first})
		if err != nil || len(ids) != 1 {
			t.Fatalf("%s: first delivery: %v, %v", tc.name, ids, err)
		}
		if tc.apply {
			if _, err := s.Apply(ctx, ids, decide); err != nil {
				t.Fatal(err)
			}
		}
		ids, err = s.InsertEvents(ctx, []channels.Event{again, first})
		wantPending := []string{id}
		if tc.apply {
			wantPending = nil
		}
		if err != nil || !cmp.Equal(ids, wantPending, cmpEmpty) {
			t.Errorf("%s: re-delivery: pending %v, %v; want %v", tc.name, ids, err, wantPending)
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM events WHERE id = $1`, id).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: %d rows, %v; want 1", tc.name, n, err)
		}
	}
}

// cmpEmpty treats nil and empty slices alike.
var cmpEmpty = cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })
