package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/store"
)

// via is e reported through provider.
func via(e channels.Event, provider string) channels.Event {
	e.Provider = provider
	return e
}

// routeRows renders rate rows as "route[ bucket] sent/delivered/soft/hard".
func routeRows(rows []store.RateRow) []string {
	var out []string
	for _, r := range rows {
		s := r.Route
		if r.Domain != "" {
			s += " " + r.Domain
		}
		if r.Reason != "" {
			s += " " + r.Reason
		}
		if r.Bucket != nil {
			s += " " + r.Bucket.Format("01-02T15")
		}
		out = append(out, fmt.Sprintf("%s %d/%d/%d/%d", s, r.Sent, r.Delivered, r.Soft, r.Hard))
	}
	return out
}

// TestRatesByRoute: sends that name no provider, then reports from two
// routes in later batches: each delivery's counts move to its route once,
// the route-less bucket keeps only the deliveries nothing reported, and
// the hourly buckets, the daily roll-ups and the deliveries (group_by
// reason) agree by route.
func TestRatesByRoute(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	var sends []channels.Event
	for i := range 6 {
		sends = append(sends, event(channels.Sent, fmt.Sprintf("m%d", i), fmt.Sprintf("u%d@example.com", i), "", t0.Add(time.Duration(i)*time.Hour)))
	}
	insertApply(t, s, sends...)
	insertApply(t, s,
		via(event(channels.Delivered, "m0", "u0@example.com", "", t0.Add(9*time.Hour)), "smpp:gw1"),
		via(event(channels.Failed, "m1", "u1@example.com", "5.1.1", t0.Add(9*time.Hour)), "smpp:gw1"),
		via(event(channels.Failed, "m2", "u2@example.com", "4.2.2", t0.Add(9*time.Hour)), "kannel"),
		// m3: reported, but by no named provider; m4, m5: never reported.
		event(channels.Delivered, "m3", "u3@example.com", "", t0.Add(9*time.Hour)))
	// A second route's report for m0 moves nothing.
	insertApply(t, s, via(event(channels.Failed, "m0", "u0@example.com", "5.1.1", t0.Add(10*time.Hour)), "kannel"))

	day := t0.Truncate(24 * time.Hour)
	rates := func(q store.RatesQuery) []string {
		t.Helper()
		q.Channel = channels.Email
		rows, err := s.Rates(ctx, q)
		if err != nil {
			t.Fatalf("rates %+v: %v", q, err)
		}
		return routeRows(rows)
	}
	// Rows come in the order of the stored routes: the unknown (empty)
	// route first.
	byRoute := []string{"unknown 3/1/0/0", "kannel 1/0/1/0", "smpp:gw1 2/0/0/2"}
	for _, tc := range []struct {
		name string
		q    store.RatesQuery
		want []string
	}{
		{"by route, from the daily roll-up", store.RatesQuery{GroupBy: []string{"route"}, From: day}, byRoute},
		{"by route, from the hourly buckets", store.RatesQuery{GroupBy: []string{"route"}, From: day, To: day.Add(25 * time.Hour)}, byRoute},
		{"by route and domain", store.RatesQuery{GroupBy: []string{"domain", "route"}},
			[]string{"unknown example.com 3/1/0/0", "kannel example.com 1/0/1/0", "smpp:gw1 example.com 2/0/0/2"}},
		{"by route and hour", store.RatesQuery{GroupBy: []string{"route", "hour"}, Route: "smpp:gw1"},
			[]string{"smpp:gw1 11-02T09 1/0/0/1", "smpp:gw1 11-02T10 1/0/0/1"}},
		// A route filtered on is named on its rows.
		{"one route, by campaign", store.RatesQuery{Route: "kannel"}, []string{"kannel 1/0/1/0"}},
		{"the unknown route", store.RatesQuery{Route: "unknown", GroupBy: []string{"day"}}, []string{"unknown 11-02T00 3/1/0/0"}},
		{"no route split", store.RatesQuery{}, []string{" 6/1/1/2"}},
	} {
		if diff := cmp.Diff(tc.want, rates(tc.q)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	// group_by=reason reads the deliveries, whose route is the buckets'.
	// Sent is the route's total, the counts the reason's.
	want := []string{"unknown delivered 3/1/0/0", "unknown pending 3/0/0/0",
		"kannel mailbox_full 1/0/1/0", "smpp:gw1 user_unknown 2/0/0/2"}
	if diff := cmp.Diff(want, rates(store.RatesQuery{GroupBy: []string{"route", "reason"}})); diff != "" {
		t.Errorf("by route and reason (-want +got):\n%s", diff)
	}
}

// TestRouteMigrationKeepsRows: 0016 on a database with deliveries and
// rate rows keeps every one of them, under the empty route, and a
// delivery counted before it moves its counts to the route it learns.
func TestRouteMigrationKeepsRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testsvc.Postgres(t)
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
	for _, m := range ms {
		if m.Version >= 16 {
			break
		}
		exec(m.SQL)
		exec(`INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
	}
	// Rows as rebond wrote them before 0016: an SMS sent (pending) and an
	// email delivered, with their hourly and daily counts.
	hour := t0.Truncate(time.Hour)
	day := t0.Truncate(24 * time.Hour)
	exec(`INSERT INTO messages (tenant, channel, message_id, recipient, campaign, domain, sent_at, status)
	      VALUES ('default', 'sms', 'old-1', '447700900001', 'old', '', $1, 'pending'),
	             ('default', 'email', 'old-2', 'a@example.com', 'old', 'example.com', $1, 'delivered')`, t0)
	exec(`INSERT INTO rate_buckets (tenant, channel, campaign, domain, hour, sent, delivered)
	      VALUES ('default', 'sms', 'old', '', $1, 1, 0), ('default', 'email', 'old', 'example.com', $1, 1, 1)`, hour)
	exec(`INSERT INTO rate_days (tenant, channel, campaign, domain, day, sent, delivered)
	      VALUES ('default', 'sms', 'old', '', $1, 1, 0), ('default', 'email', 'old', 'example.com', $1, 1, 1)`, day)
	exec(`INSERT INTO rate_campaign_days (tenant, channel, campaign, day, sent, delivered)
	      VALUES ('default', 'sms', 'old', $1, 1, 0), ('default', 'email', 'old', $1, 1, 1)`, day)

	s, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// 0016 and every later migration, in order: no earlier one again.
	var later []string
	for _, m := range ms {
		if m.Version >= 16 {
			later = append(later, m.Name)
		}
	}
	applied, err := s.Migrate(ctx)
	if err != nil || len(applied) == 0 || applied[0] != "0016_route.sql" || !cmp.Equal(applied, later) {
		t.Fatalf("migrate applied %v, %v; want %v (0016_route.sql first)", applied, err, later)
	}
	var kept string
	if err := db.QueryRowContext(ctx, `SELECT concat_ws(' ',
	        (SELECT string_agg(message_id || ':' || status || ':' || route, ',' ORDER BY message_id) FROM messages),
	        (SELECT string_agg(channel || ':' || sent || ':' || route, ',' ORDER BY channel) FROM rate_buckets),
	        (SELECT string_agg(channel || ':' || sent || ':' || route, ',' ORDER BY channel) FROM rate_days),
	        (SELECT string_agg(channel || ':' || sent, ',' ORDER BY channel) FROM rate_campaign_days))`).Scan(&kept); err != nil {
		t.Fatal(err)
	}
	if want := "old-1:pending:,old-2:delivered: email:1:,sms:1: email:1:,sms:1: email:1,sms:1"; kept != want {
		t.Errorf("after 0016: %q, want %q", kept, want)
	}

	// The old SMS's receipt names its gateway: its send moves from the
	// route-less bucket to the gateway's, with the delivery.
	receipt := channels.Event{Channel: channels.SMS, Type: channels.Delivered, MessageID: "old-1", Recipient: "447700900001",
		OccurredAt: t0.Add(time.Minute), Provider: "smpp:gw1"}
	if err := receipt.Normalize(); err != nil {
		t.Fatal(err)
	}
	insertApply(t, s, receipt)
	for _, q := range []store.RatesQuery{
		{Channel: channels.SMS, GroupBy: []string{"route"}},
		{Channel: channels.SMS, GroupBy: []string{"route"}, To: day.Add(25 * time.Hour)},
	} {
		rows, err := s.Rates(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"smpp:gw1 1/1/0/0"}, routeRows(rows)); diff != "" {
			t.Errorf("sms by route after the receipt, %+v (-want +got):\n%s", q, diff)
		}
	}
	rows, err := s.Rates(ctx, store.RatesQuery{GroupBy: []string{"campaign"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(routeRows(rows)); got != "[ 1/1/0/0  1/1/0/0]" {
		t.Errorf("by campaign after the receipt: %s, want email and sms each sent 1, delivered 1", got)
	}
}
