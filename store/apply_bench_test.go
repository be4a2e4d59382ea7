package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
)

// BenchmarkInsertApply measures the store side of the pipeline alone: one
// op is a batch of 500 events (250 sends, then a delivery or a failure of
// each, with a 400-byte Raw like the webhook adapters keep) inserted into
// the inbox and applied, as the bridge and one apply task do. It reports
// events/s, the WAL written per event (pg_current_wal_lsn, so other
// databases' traffic counts too on a shared server) and the share of the
// events updates PostgreSQL made HOT.
//
//	go test ./store -run '^$' -bench InsertApply -benchtime 60x
func BenchmarkInsertApply(b *testing.B) {
	ctx := context.Background()
	s, db := benchStore(b)
	raw := `{"provider_payload":"` + strings.Repeat("x", 380) + `"}`
	batch := func(n int) []channels.Event {
		out := make([]channels.Event, 0, 500)
		for i := range 250 {
			msg, rcpt := fmt.Sprintf("b%d-m%d", n, i), fmt.Sprintf("u%d.%d@example%d.org", n, i, i%50)
			sent := event(channels.Sent, msg, rcpt, "", t0)
			sent.ID, sent.Raw = "", raw
			sent.ID = channels.DeriveID(sent)
			typ, status := channels.Delivered, "2.0.0"
			if i%5 == 0 {
				typ, status = channels.Failed, "5.1.1"
			}
			next := event(typ, msg, rcpt, status, t0.Add(time.Minute))
			next.Raw = raw
			out = append(out, sent, next)
		}
		return out
	}
	var lsn0, lsn1 string
	if err := db.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn0); err != nil {
		b.Fatal(err)
	}
	applied := 0
	b.ResetTimer()
	start := time.Now()
	for n := range b.N {
		ids, err := s.InsertEvents(ctx, batch(n))
		if err != nil {
			b.Fatal(err)
		}
		plan, err := s.Apply(ctx, ids, decide)
		if err != nil {
			b.Fatal(err)
		}
		applied += len(plan.Applied)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if applied != 500*b.N {
		b.Fatalf("applied %d events, want %d", applied, 500*b.N)
	}
	var wal float64
	if err := db.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn1); err != nil {
		b.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)`, lsn1, lsn0).Scan(&wal); err != nil {
		b.Fatal(err)
	}
	var upd, hot float64
	_, _ = db.ExecContext(ctx, `SELECT pg_stat_force_next_flush()`)
	if err := db.QueryRowContext(ctx, eventsUpdates).Scan(&upd, &hot); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(applied)/elapsed.Seconds(), "events/s")
	b.ReportMetric(wal/float64(applied), "WAL-B/event")
	if upd > 0 {
		b.ReportMetric(100*hot/upd, "%HOT")
	}
}
