package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
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
	url := testsvc.Postgres(b)
	ctx := context.Background()
	s, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
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
