package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// TestApplyPathCrash flushes Redis in the middle of a stream (every queued
// apply task is lost) and then stops and restarts serve: the reconciler
// must find what the lost tasks never applied, and every event must count
// exactly once.
func TestApplyPathCrash(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 10, map[string]string{"REBOND_WORKERS_BATCH_SIZE": "50", "REBOND_WORKERS_CONCURRENCY": "1"})
	in := start(t, cfg)
	t0 := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	const sends = 1500
	var evs []map[string]any
	for i := range sends {
		rcpt := fmt.Sprintf("r%d@example.org", i)
		evs = append(evs, ev("sent", fmt.Sprintf("m%d", i), rcpt, "crash", t0, ""))
		switch i % 10 {
		case 0:
			evs = append(evs, ev("failed", fmt.Sprintf("m%d", i), rcpt, "", t0.Add(time.Minute), "5.1.1"))
		case 1, 2:
			evs = append(evs, ev("failed", fmt.Sprintf("m%d", i), rcpt, "", t0.Add(time.Minute), "4.2.2"))
		}
	}
	// Published with JetStream acks, so the whole stream is durable before
	// the crash.
	nc, err := nats.Connect(natsTestURL(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, e := range evs {
		publishJS(t, nc, e)
	}
	total := len(evs)

	// Crash in the middle: some events applied, many still queued.
	deadline := time.Now().Add(30 * time.Second)
	for a, _ := in.count(); a == 0 && time.Now().Before(deadline); a, _ = in.count() {
		time.Sleep(20 * time.Millisecond)
	}
	if err := in.redis.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	applied, pending := in.count()
	t.Logf("Redis flushed with %d applied, %d in the inbox", applied, pending)
	in.shutdown()
	if applied >= total {
		t.Fatalf("the stream was fully applied before the crash (%d); the test proves nothing", applied)
	}

	in = start(t, cfg)
	in.waitApplied(total, 60*time.Second)
	if a, _ := in.count(); a != total {
		t.Fatalf("applied %d events, want exactly %d", a, total)
	}
	var rates ratesResponse
	in.do("GET", "/v1/rates?campaign=crash", nil, &rates)
	if len(rates.Rows) != 1 {
		t.Fatalf("rates = %+v", rates.Rows)
	}
	r := rates.Rows[0]
	if got, want := fmt.Sprintf("sent=%d hard=%d soft=%d", r.Sent, r.Hard, r.Soft), "sent=1500 hard=150 soft=300"; got != want {
		t.Fatalf("rates after crash: got %s, want %s", got, want)
	}
}
