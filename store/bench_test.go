package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/store"
)

// BenchmarkExclusions10k measures the pre-send question for 10,000
// recipients in one call (POST /v1/exclusions' store side) against 1
// million known recipients, a third of them excluded, and 1,000 deny-list
// entries. It reports p50 and p99 per call.
//
//	go test ./store -run '^$' -bench Exclusions10k -benchtime 200x
func BenchmarkExclusions10k(b *testing.B) {
	ctx := context.Background()
	s, db := benchStore(b)
	const known = 1_000_000
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO recipients (channel, address, state, reason, since, until)
			SELECT 'email', 'user' || g || '@example' || (g %% 500) || '.org',
			       CASE g %% 3 WHEN 0 THEN 'quarantined' WHEN 1 THEN 'suspended' ELSE 'active' END,
			       CASE g %% 3 WHEN 0 THEN 'user_unknown' WHEN 1 THEN 'filtered' ELSE '' END,
			       now() - interval '1 day', CASE g %% 3 WHEN 1 THEN now() + interval '1 day' END
			FROM generate_series(1, %d) g`, known),
		`INSERT INTO recipient_lists (channel, list, kind, value, reason)
			SELECT 'email', 'deny', CASE WHEN g % 2 = 0 THEN 'exact' ELSE 'domain' END,
			       CASE WHEN g % 2 = 0 THEN 'user' || (g * 7) || '@example' || (g * 7 % 500) || '.org' ELSE 'blocked' || g || '.example' END,
			       'manual' FROM generate_series(1, 1000) g`,
		`ANALYZE recipients`, `ANALYZE recipient_lists`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	batch := make([]string, 10_000)
	durations := make([]time.Duration, 0, b.N)
	now := time.Now()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		for j := range batch { // two thirds known, one third never seen
			g := (i*10_000 + j*97) % (known * 3 / 2)
			batch[j] = fmt.Sprintf("user%d@example%d.org", g, g%500)
		}
		start := time.Now()
		out, err := s.Exclusions(ctx, channels.Email, batch, now)
		durations = append(durations, time.Since(start))
		if err != nil || len(out) != len(batch) {
			b.Fatalf("%d results, %v", len(out), err)
		}
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkRates10M measures GET /v1/rates' store side over the rate
// buckets of 10 million messages (~19.5 million events at rebond bench's
// mix): 60 days x 24 hours x 40 campaigns x 50 recipient domains, 2.88M
// buckets of ~3.5 messages. Each iteration runs one of the queries
// campaign teams pull (a campaign by day, all campaigns over a week, a
// campaign by domain, the channel by day for a month); p50 and p95 per
// query are reported.
//
//	go test ./store -run '^$' -bench Rates10M -benchtime 200x
func BenchmarkRates10M(b *testing.B) {
	ctx := context.Background()
	s, db := benchStore(b)
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	for _, q := range []string{
		`INSERT INTO rate_buckets (channel, campaign, domain, hour, sent, delivered, soft, hard, complaints)
		 SELECT 'email', 'campaign-' || c, 'domain' || d || '.example', $1::timestamptz + h * interval '1 hour',
		        s, s * 8 / 10, s / 10, s / 20, CASE WHEN (h + c + d) % 97 = 0 THEN 1 ELSE 0 END
		 FROM generate_series(0, 1439) h, generate_series(1, 40) c, generate_series(1, 50) d,
		      LATERAL (SELECT 1 + (h * 7 + c * 3 + d) % 6 AS s) x`,
		// The roll-ups the apply path keeps beside the hourly buckets.
		`INSERT INTO rate_days (channel, campaign, domain, day, sent, delivered, soft, hard, complaints)
		 SELECT channel, campaign, domain, date_trunc('day', hour, 'UTC'), sum(sent), sum(delivered), sum(soft), sum(hard), sum(complaints)
		 FROM rate_buckets GROUP BY 1, 2, 3, 4`,
		`INSERT INTO rate_campaign_days (channel, campaign, day, sent, delivered, soft, hard, complaints)
		 SELECT channel, campaign, date_trunc('day', hour, 'UTC'), sum(sent), sum(delivered), sum(soft), sum(hard), sum(complaints)
		 FROM rate_buckets GROUP BY 1, 2, 3`,
		`ANALYZE rate_buckets`, `ANALYZE rate_days`, `ANALYZE rate_campaign_days`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, start)
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
	}
	var messages int64
	if err := db.QueryRowContext(ctx, `SELECT sum(sent) FROM rate_buckets`).Scan(&messages); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d messages in the buckets", messages)
	end := start.Add(60 * 24 * time.Hour)
	queries := []store.RatesQuery{
		{Channel: channels.Email, Campaign: "campaign-7", From: end.Add(-30 * 24 * time.Hour), To: end, GroupBy: []string{"day"}},
		{Channel: channels.Email, From: end.Add(-7 * 24 * time.Hour), To: end, GroupBy: []string{"campaign"}},
		{Channel: channels.Email, Campaign: "campaign-7", GroupBy: []string{"domain"}},
		{Channel: channels.Email, From: end.Add(-30 * 24 * time.Hour), To: end, GroupBy: []string{"day"}},
	}
	durations := make([][]time.Duration, len(queries))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q := queries[i%len(queries)]
		t0 := time.Now()
		rows, err := s.Rates(ctx, q)
		durations[i%len(queries)] = append(durations[i%len(queries)], time.Since(t0))
		if err != nil || len(rows) == 0 {
			b.Fatalf("query %d: %d rows, %v", i%len(queries), len(rows), err)
		}
	}
	b.StopTimer()
	var all []time.Duration
	for i, ds := range durations {
		slices.Sort(ds)
		if len(ds) > 0 {
			b.Logf("query %d: p50 %v p95 %v", i, ds[len(ds)/2], ds[int(0.95*float64(len(ds)-1))])
		}
		all = append(all, ds...)
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[int(0.95*float64(len(all)-1))].Microseconds())/1000, "p95-ms")
}

// benchStore opens a migrated store on a fresh database, and a plain
// connection to it for the benchmarks' bulk set-up; both close with b.
func benchStore(b *testing.B) (*store.Store, *sql.DB) {
	b.Helper()
	url := testsvc.Postgres(b)
	s, err := store.Open(context.Background(), store.Config{URL: url})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return s, db
}
