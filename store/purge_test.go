package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// TestPurgeTenant: purging a tenant deletes every row of it, in every
// table with a tenant column (read from the catalog, so a table added
// later is checked too) and in the inbox, and no row of any other tenant;
// the default tenant and a tenant an operator set up are refused.
func TestPurgeTenant(t *testing.T) {
	t.Parallel()
	s, db := openStoreDB(t)
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	tenants := []string{"bench", "beta", "gamma", channels.DefaultTenant}
	for _, tn := range tenants {
		var evs []channels.Event
		for i, st := range []string{"", "5.1.1", "4.2.2"} { // delivered, hard, soft
			msg, rcpt := fmt.Sprintf("m%d", i), fmt.Sprintf("u%d@example.com", i)
			evs = append(evs, forTenant(tn, event(channels.Sent, msg, rcpt, "", t0)))
			if st == "" {
				evs = append(evs, forTenant(tn, event(channels.Delivered, msg, rcpt, "", t0.Add(time.Second))))
			} else {
				evs = append(evs, forTenant(tn, event(channels.Failed, msg, rcpt, st, t0.Add(time.Second))))
			}
		}
		insertApply(t, s, evs...)
		// one pending event (an inbox row) and the rows apply seldom makes
		if _, err := s.InsertEvents(ctx, []channels.Event{forTenant(tn, event(channels.Sent, "pending", "p@example.com", "", t0))}); err != nil {
			t.Fatal(err)
		}
		exec(`INSERT INTO incidents (tenant, channel, route, reason, count, first_seen, last_seen) VALUES ($1, 'email', 'ses', 'x', 1, now(), now())`, tn)
		exec(`INSERT INTO alert_changes (tenant, channel, campaign, metric, from_state, to_state, at, sent, hits, rate, rate_low, rate_high, threshold)
			VALUES ($1, 'email', 'c1', 'hard_rate', 'ok', 'warning', now(), 10, 5, .5, .2, .8, .1)`, tn)
		exec(`INSERT INTO rule_shadow_verdicts (tenant, event_id, channel, shadow_rule, shadow_outcome, shadow_reason, live_rule, live_outcome, live_reason)
			VALUES ($1, $1 || '-e', 'email', 'r@1', 'hard', 'x', 'l@1', 'soft', 'y')`, tn)
	}
	gamma := channels.WithTenant(ctx, "gamma")
	if err := s.AddListEntries(gamma, []store.ListEntry{{Channel: channels.Email, List: "deny", Kind: "domain", Value: "example.org"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateToken(ctx, "beta-ingest", channels.RoleIngest, "beta"); err != nil {
		t.Fatal(err)
	}
	before := map[string]map[string]int64{}
	for _, tn := range tenants {
		before[tn] = tenantRows(t, db, tn)
	}
	for _, table := range []string{"events", "events_inbox", "messages", "recipients", "recipient_audit", "rate_buckets",
		"rate_days", "rate_campaign_days", "incidents", "alert_changes", "rule_shadow_verdicts"} {
		if before["bench"][table] == 0 {
			t.Fatalf("bench has no rows in %s to purge: %v", table, before["bench"])
		}
	}
	for _, tn := range []string{channels.DefaultTenant, "beta", "gamma"} {
		c := channels.WithTenant(ctx, tn)
		if err := s.Purgeable(c); !errors.Is(err, store.ErrTenantInUse) {
			t.Errorf("Purgeable(%s) = %v, want ErrTenantInUse", tn, err)
		}
		if _, err := s.PurgeTenant(c); !errors.Is(err, store.ErrTenantInUse) {
			t.Errorf("PurgeTenant(%s) = %v, want ErrTenantInUse", tn, err)
		}
	}
	if _, err := s.PurgeTenant(ctx); !errors.Is(err, store.ErrTenantInUse) {
		t.Errorf("PurgeTenant without a tenant = %v, want the default tenant refused", err)
	}
	bench := channels.WithTenant(ctx, "bench")
	if err := s.Purgeable(bench); err != nil {
		t.Fatalf("Purgeable(bench) = %v", err)
	}
	p, err := s.PurgeTenant(bench)
	if err != nil {
		t.Fatal(err)
	}
	if p.Events != 7 || p.Messages != 3 || p.Recipients == 0 || p.Other == 0 {
		t.Errorf("purged %+v, want 7 events, 3 messages, recipients and other rows", p)
	}
	for table, n := range tenantRows(t, db, "bench") {
		if n != 0 {
			t.Errorf("bench: %d rows left in %s", n, table)
		}
	}
	for _, tn := range tenants[1:] {
		after := tenantRows(t, db, tn)
		if fmt.Sprint(after) != fmt.Sprint(before[tn]) {
			t.Errorf("%s's rows changed:\nbefore %v\nafter  %v", tn, before[tn], after)
		}
	}
	if p, err := s.PurgeTenant(bench); err != nil || p != (store.Purged{}) {
		t.Errorf("purging again: %+v, %v; want nothing, no error", p, err)
	}
}

// tenantRows counts a tenant's rows in every table that has a tenant
// column (partitions counted through their parent), and its inbox rows
// (by event key).
func tenantRows(t *testing.T, db *sql.DB, tenant string) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant' AND NOT a.attisdropped
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, table := range tables {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE tenant = $1`, tenant).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	inbox := `SELECT count(*) FROM events_inbox WHERE starts_with(id, '~' || $1 || '~')`
	if tenant == channels.DefaultTenant { // its keys are the bare ids
		inbox = `SELECT count(*) FROM events_inbox WHERE NOT starts_with(id, '~') AND $1 <> ''`
	}
	var n int64
	if err := db.QueryRowContext(ctx, inbox, tenant).Scan(&n); err != nil {
		t.Fatal(err)
	}
	out["events_inbox"] = n
	return out
}
