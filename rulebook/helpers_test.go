package rulebook_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/configs"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/rulebook"
	"github.com/rebond/rebond/store"
)

var testPolicy = lifecycle.Policy{
	SoftThreshold: 5, SuspendFor: 24 * time.Hour,
	Channels: map[channels.Channel]lifecycle.ChannelPolicy{
		channels.Email: {Retry: []time.Duration{time.Hour}},
		channels.SMS:   {Retry: []time.Duration{time.Hour}},
	},
}

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// fixture is a migrated database, its store, the built-in rules and a
// Book over them.
type fixture struct {
	st      *store.Store
	db      *sqlx.DB
	builtin *rules.Set
	book    *rulebook.Book
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	url := testsvc.Postgres(t)
	st, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	builtin, err := rules.Load(configs.Files, "rules/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	book := rulebook.New(st, builtin, rulebook.Config{Policy: testPolicy, Now: func() time.Time { return t0.Add(24 * time.Hour) }})
	return &fixture{st: st, db: db, builtin: builtin, book: book}
}

// reloaded returns a worker classifier loaded with the book's current
// rules, as a worker's reload loop keeps it.
func (f *fixture) reloaded(t *testing.T) (*rulebook.Classifier, *rulebook.Reloader) {
	t.Helper()
	c := rulebook.NewClassifier(f.builtin)
	r := rulebook.NewReloader(f.book, c, slog.New(slog.DiscardHandler))
	if _, err := r.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c, r
}

// apply stores events and applies them with classifier c, as a worker does,
// and returns the verdicts by event id.
func (f *fixture) apply(t *testing.T, c lifecycle.Classifier, evs ...channels.Event) map[string]channels.Verdict {
	t.Helper()
	ctx := context.Background()
	for i := range evs {
		if err := evs[i].Normalize(); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := f.st.InsertEvents(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := f.st.Apply(ctx, ids, func(s lifecycle.Snapshot) lifecycle.Plan { return lifecycle.Decide(testPolicy, c, s) })
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]channels.Verdict, len(plan.Applied))
	for _, a := range plan.Applied {
		out[a.EventID] = a.Verdict
	}
	if len(out) != len(evs) {
		t.Fatalf("applied %d of %d events", len(out), len(evs))
	}
	return out
}

// dump returns every row of every table of the database, as text, so a
// test can check that nothing changed.
func (f *fixture) dump(t *testing.T) map[string]string {
	t.Helper()
	var tables []string
	if err := f.db.Select(&tables, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(tables))
	for _, name := range tables {
		var rows string
		q := `SELECT coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '') FROM ` + name + ` x`
		if err := f.db.Get(&rows, q); err != nil {
			t.Fatal(err)
		}
		out[name] = rows
	}
	return out
}

func sent(msg, rcpt, campaign string, at time.Time) channels.Event {
	return channels.Event{Channel: channels.Email, Type: channels.Sent, MessageID: msg, Recipient: rcpt, Campaign: campaign, OccurredAt: at}
}

func failed(msg, rcpt, text string, at time.Time) channels.Event {
	return channels.Event{Channel: channels.Email, Type: channels.Failed, MessageID: msg, Recipient: rcpt, OccurredAt: at,
		SMTP: &channels.SMTPReply{Text: text}}
}

func bounced(msg, rcpt string, code int, status, text string, at time.Time) channels.Event {
	e := failed(msg, rcpt, text, at)
	e.SMTP.Code, e.SMTP.Status = code, status
	return e
}
