package store_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/rebond/rebond/store"
)

// BenchmarkActivity10M measures the activity log (GET /v1/events' store
// side) on 10 million applied events over 62 days: 200 campaigns, 11
// reasons, six events in seven in the default tenant (the rest in another), loaded with one
// generate_series per million rows into a fresh database, each event
// with the notable_events row the apply writes for its verdict (all of
// them are failures here, the worst case for that table's size; a few
// minutes,
// so it runs only with REBOND_BENCH_10M=1; `make bench` skips it). Each
// iteration asks one page of 100 for a campaign + reason + 7-day window
// (the acceptance query of issue 18, reported as p50-ms and p95-ms),
// with the campaign, reason and window's end varying; the log also gives
// the p95 of the same window with no filter and with a reason only.
//
//	REBOND_BENCH_10M=1 go test ./store -run '^$' -bench Activity10M -benchtime 300x -timeout 60m
func BenchmarkActivity10M(b *testing.B) {
	if os.Getenv("REBOND_BENCH_10M") == "" {
		b.Skip("set REBOND_BENCH_10M=1 to load 10 million events (several minutes)")
	}
	ctx := context.Background()
	s, db := benchStore(b)
	const n, days = 10_000_000, 62
	now := time.Now().UTC().Truncate(time.Second)
	begin := now.Add(-days * 24 * time.Hour)
	for m := begin; !m.After(now); m = m.AddDate(0, 1, 0) {
		if _, err := db.ExecContext(ctx, `SELECT rebond_event_partition($1::date)`, m.Format("2006-01-02")); err != nil {
			b.Fatal(err)
		}
	}
	loadStart := time.Now()
	const chunk = 1_000_000
	for lo := 1; lo <= n; lo += chunk {
		// Rows in time order, as live traffic writes them; reasons cycle
		// by 11 (prime to the 200 campaigns, so every campaign has every
		// reason).
		_, err := db.ExecContext(ctx, `
			WITH ins AS (
			INSERT INTO events (id, month, channel, type, message_id, recipient, campaign, occurred_at, received_at,
			                    payload, applied_at, outcome, reason, rule, evidence, tenant)
			SELECT CASE WHEN g % 7 = 0 THEN '~other~' ELSE '' END || 'ev-' || g,
			       date_trunc('month', at AT TIME ZONE 'UTC')::date, 'email', 'failed', 'msg-' || g,
			       'user' || (g % 1000000) || '@example' || (g % 500) || '.org', 'campaign-' || (g % 200), at, at,
			       ('{"provider":"' || (ARRAY['ses','sendgrid','postfix'])[1 + g % 3] || '"}')::json,
			       at, CASE WHEN g % 11 < 4 THEN 'hard' ELSE 'soft' END,
			       (ARRAY['user_unknown','domain_unknown','policy','spam_block','mailbox_full','greylisted',
			              'rate_limited','dns_failure','timeout','quota','content'])[1 + g % 11],
			       'bench.rule', 'bench', CASE WHEN g % 7 = 0 THEN 'other' ELSE 'default' END
			FROM generate_series($1::bigint, $2::bigint) g,
			     LATERAL (SELECT $3::timestamptz + (g * $4::bigint) * interval '1 microsecond' AS at) t
			RETURNING tenant, channel, campaign, outcome, reason, occurred_at, id, month)
			INSERT INTO notable_events (tenant, channel, campaign, outcome, reason, occurred_at, id, month)
			SELECT * FROM ins`,
			lo, lo+chunk-1, begin, int64(days*24*time.Hour/time.Microsecond)/n)
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, table := range []string{"events", "notable_events"} {
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE `+table); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d events in %v", n, time.Since(loadStart).Round(time.Second))
	reasons := []string{"user_unknown", "mailbox_full", "policy", "timeout", "content"}
	page := func(q store.ActivityQuery) time.Duration {
		b.Helper()
		t0 := time.Now()
		p, err := s.Activity(ctx, q, now)
		d := time.Since(t0)
		if err != nil || len(p.Events) == 0 {
			b.Fatalf("%+v: %d events, %v", q, len(p.Events), err)
		}
		return d
	}
	var hits, plain, reasonOnly []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		to := now.Add(-time.Duration(i%40) * 24 * time.Hour)
		q := store.ActivityQuery{Campaign: fmt.Sprintf("campaign-%d", (i*37)%200), CampaignSet: true,
			Reason: reasons[i%len(reasons)], From: to.Add(-7 * 24 * time.Hour), To: to, Limit: 100}
		hits = append(hits, page(q))
		if i%10 == 0 {
			b.StopTimer()
			plain = append(plain, page(store.ActivityQuery{From: q.From, To: to, Limit: 100}))
			reasonOnly = append(reasonOnly, page(store.ActivityQuery{Reason: q.Reason, From: q.From, To: to, Limit: 100}))
			b.StartTimer()
		}
	}
	b.StopTimer()
	pct := func(ds []time.Duration, p float64) float64 {
		slices.Sort(ds)
		return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000
	}
	b.Logf("no filter, 7 days: p95 %.1f ms; reason only, 7 days: p95 %.1f ms", pct(plain, 0.95), pct(reasonOnly, 0.95))
	b.ReportMetric(pct(hits, 0.50), "p50-ms")
	b.ReportMetric(pct(hits, 0.95), "p95-ms")
}
