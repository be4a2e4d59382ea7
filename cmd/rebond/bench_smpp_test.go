package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms/smpp"
)

// flakyReceipts records the receipts rebond's ESME publishes, refusing
// every 7th publish once, as a JetStream outage would.
type flakyReceipts struct {
	mu    sync.Mutex
	n     int
	got   map[string]channels.Event
	fails int
}

func (p *flakyReceipts) Publish(_ context.Context, evs []channels.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.n%7 == 0 {
		p.fails++
		return errors.New("jetstream: no responders")
	}
	for _, e := range evs {
		p.got[e.MessageID] = e
	}
	return nil
}

// benchESME runs rebond's own ESME (sms/smpp) with binds binds of window
// window to a free local address, where the test's bench SMSC is to
// listen, publishing to pub; stop ends it and waits for it.
func benchESME(ctx context.Context, t *testing.T, pub channels.Publisher, binds, window int) (addr string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()
	esme, err := smpp.New(smpp.Config{Gateways: []smpp.Gateway{{Name: "bench", Addr: addr, SystemID: "bench", Password: "bench",
		Dialect: "map", Binds: binds, WindowSize: window, ReconnectMin: 50 * time.Millisecond, ReconnectMax: 200 * time.Millisecond}}},
		pub, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = esme.Run(ctx); close(done) }()
	return addr, func() { cancel(); <-done }
}

// TestBenchSMSC: rebond's own ESME (sms/smpp) binds twice to the bench's
// SMSC, which delivers 300 receipts as deliver_sm; the ones the ESME
// refuses (its publish failed: ESME_RX_T_APPN) are delivered again, and
// every receipt is published once with the bench's outcome.
func TestBenchSMSC(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub := &flakyReceipts{got: map[string]channels.Event{}}
	addr, stopESME := benchESME(ctx, t, pub, 2, 20)

	f := benchFlags{campaign: "b", smsPercent: 100}
	t0 := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	jobs := make(chan receiptJob)
	want := map[string]string{} // message id -> stat:err
	go func() {
		defer close(jobs)
		for i := range 300 {
			evs := benchSMS(f, i, t0)
			if len(evs) < 2 {
				continue
			}
			j := receiptFrom(evs[1])
			want[j.messageID] = j.stat + ":" + j.err
			jobs <- j
		}
	}()
	var sent atomic.Int64
	if err := sendReceipts(ctx, addr, jobs, 10*time.Second, &sent); err != nil {
		t.Fatal(err)
	}
	stopESME()

	pub.mu.Lock()
	defer pub.mu.Unlock()
	if int(sent.Load()) != len(want) || len(pub.got) != len(want) || pub.fails == 0 {
		t.Fatalf("%d acknowledged, %d published, %d refused once; want %d each and some refused", sent.Load(), len(pub.got), pub.fails, len(want))
	}
	for id, w := range want {
		e, ok := pub.got[id]
		if !ok || e.SMS == nil || e.SMS.Stat+":"+e.SMS.Err != w || e.Recipient == "" || e.Provider != "smpp:bench" {
			t.Fatalf("receipt %s: published %+v, want %s", id, e, w)
		}
	}
}

// TestBenchSMSMix: over 10,000 SMS the receipts follow the documented mix
// (85% DELIVRD, 8% UNDELIV err 27, 4% UNDELIV err 1, 3% none), whatever
// --sms-percent chose them.
func TestBenchSMSMix(t *testing.T) {
	f := benchFlags{campaign: "b", smsPercent: 20}
	t0 := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	counts := map[string]int{}
	sms := 0
	for i := range 50000 {
		evs := benchMix(f, i, t0)
		if evs[0]["channel"] != "sms" {
			continue
		}
		sms++
		if len(evs) < 2 {
			counts["none"]++
			continue
		}
		r := evs[1]["sms"].(map[string]any)
		counts[r["stat"].(string)+":"+r["err"].(string)]++
	}
	want := map[string]int{"DELIVRD:000": 8500, "UNDELIV:027": 800, "UNDELIV:001": 400, "none": 300}
	if sms != 10000 || fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("%d SMS, receipts %v; want 10000, %v", sms, counts, want)
	}
}

// TestBenchSMSCRefusalsAndLongIDs: a receipt whose text is longer than a
// short_message travels in message_payload and is acknowledged; one that
// rebond refuses for good (ESME_RX_P_APPN: a message id rebond cannot
// take) is not sent again, and the bench says so instead of waiting.
func TestBenchSMSCRefusalsAndLongIDs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pub := &flakyReceipts{got: map[string]channels.Event{}, n: 1} // n: never the 7th
	addr, stopESME := benchESME(ctx, t, pub, 1, 10)
	defer stopESME()

	done := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	long := receiptJob{messageID: "m-" + strings.Repeat("x", 150), recipient: "447700900001", stat: "DELIVRD", err: "000", done: done}
	bad := receiptJob{messageID: "m-bad\x01id", recipient: "447700900002", stat: "DELIVRD", err: "000", done: done}
	jobs := make(chan receiptJob, 2)
	jobs <- long
	jobs <- bad
	close(jobs)
	var sent atomic.Int64
	err := sendReceipts(ctx, addr, jobs, 10*time.Second, &sent)
	if err == nil || !strings.Contains(err.Error(), "refused 1 receipts for good") {
		t.Errorf("sendReceipts: %v; want one receipt refused for good", err)
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if sent.Load() != 1 || pub.got[long.messageID].ID == "" {
		t.Errorf("acknowledged %d, published %v; want the long one", sent.Load(), pub.got)
	}
}

// TestBenchSideChannelDrains: when the SMPP side fails at once, its jobs
// are still read, so the producer that feeds them never blocks.
func TestBenchSideChannelDrains(t *testing.T) {
	jobs := make(chan receiptJob)
	errc := sideChannel(jobs, true, func() error { return errors.New("no bind") })
	for range 5000 {
		select {
		case jobs <- receiptJob{}:
		case <-time.After(5 * time.Second):
			t.Fatal("the producer blocked")
		}
	}
	close(jobs)
	if err := <-errc; err == nil {
		t.Error("the failure was lost")
	}
}
