package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
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

// TestBenchSMSC: rebond's own ESME (sms/smpp) binds twice to the bench's
// SMSC, which delivers 300 receipts as deliver_sm; the ones the ESME
// refuses (its publish failed: ESME_RX_T_APPN) are delivered again, and
// every receipt is published once with the bench's outcome.
func TestBenchSMSC(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	pub := &flakyReceipts{got: map[string]channels.Event{}}
	esme, err := smpp.New(smpp.Config{Gateways: []smpp.Gateway{{Name: "bench", Addr: addr, SystemID: "bench", Password: "bench",
		Dialect: "map", Binds: 2, WindowSize: 20, ReconnectMin: 50 * time.Millisecond, ReconnectMax: 200 * time.Millisecond}}},
		pub, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	esmeCtx, stopESME := context.WithCancel(ctx)
	esmeDone := make(chan error, 1)
	go func() { esmeDone <- esme.Run(esmeCtx) }()

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
	<-esmeDone

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
