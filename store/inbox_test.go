package store_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/store"
)

// TestInboxFollowsApply checks the reconciler's view (events_inbox, 0009):
// an inserted event is pending, an applied one is not, and inserting an
// applied event again does not bring it back.
func TestInboxFollowsApply(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	a := event(channels.Sent, "m1", "a@example.com", "", t0)
	b := event(channels.Sent, "m2", "b@example.com", "", t0)
	if _, err := s.InsertEvents(ctx, []channels.Event{a, b}); err != nil {
		t.Fatal(err)
	}
	pending := func() []string {
		t.Helper()
		ids, err := s.UnappliedBefore(ctx, time.Now().Add(time.Minute), 100)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		return ids
	}
	want := []string{a.ID, b.ID}
	slices.Sort(want)
	if got := pending(); !slices.Equal(got, want) {
		t.Fatalf("pending after insert: %v, want %v", got, want)
	}
	if got, err := s.UnappliedBefore(ctx, time.Now().Add(-time.Hour), 100); err != nil || len(got) != 0 {
		t.Fatalf("pending before an hour ago: %v, %v; want none", got, err)
	}
	if _, err := s.Apply(ctx, []string{a.ID}, decide); err != nil {
		t.Fatal(err)
	}
	if got := pending(); !slices.Equal(got, []string{b.ID}) {
		t.Fatalf("pending after applying a: %v, want [%s]", got, b.ID)
	}
	if _, err := s.InsertEvents(ctx, []channels.Event{a, b}); err != nil {
		t.Fatal(err)
	}
	if got := pending(); !slices.Equal(got, []string{b.ID}) {
		t.Fatalf("pending after re-inserting: %v, want [%s]", got, b.ID)
	}
	if _, err := s.Apply(ctx, []string{a.ID, b.ID}, decide); err != nil {
		t.Fatal(err)
	}
	if got := pending(); len(got) != 0 {
		t.Fatalf("pending after applying all: %v, want none", got)
	}
}

// eventsUpdates counts the updates of events and the HOT ones among them,
// summed over its partitions (0011_events_by_month.sql).
const eventsUpdates = `SELECT coalesce(sum(n_tup_upd), 0), coalesce(sum(n_tup_hot_upd), 0) FROM pg_stat_user_tables
	WHERE relid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'events'::regclass)`

// TestApplyUpdateIsHOT pins the point of migration 0009: applying an event
// rewrites its row heap-only, with no new index entries.
func TestApplyUpdateIsHOT(t *testing.T) {
	t.Parallel()
	url := testsvc.Postgres(t)
	ctx := context.Background()
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
	var evs []channels.Event
	for i := range 50 {
		msg, rcpt := "m"+string(rune('a'+i%26))+string(rune('a'+i/26)), "u"+string(rune('a'+i%26))+"@example.com"
		evs = append(evs, event(channels.Sent, msg, rcpt, "", t0), event(channels.Failed, msg, rcpt, "5.1.1", t0.Add(time.Minute)))
	}
	ids, err := s.InsertEvents(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, ids, decide); err != nil {
		t.Fatal(err)
	}
	// A backend reports its table statistics when it exits at the latest:
	// close the store's connections, then wait for the counts.
	s.Close()
	var upd, hot int64
	for range 50 {
		if err := db.QueryRowContext(ctx, eventsUpdates).Scan(&upd, &hot); err != nil {
			t.Fatal(err)
		}
		if upd >= int64(len(evs)) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if upd < int64(len(evs)) || hot != upd {
		t.Fatalf("events updates: %d, of which HOT %d; want %d, all HOT", upd, hot, len(evs))
	}
}
