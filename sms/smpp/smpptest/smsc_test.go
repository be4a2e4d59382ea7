package smpptest_test

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
	"github.com/rebond/rebond/sms/smpp/smpptest"
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

// startESME runs rebond's own ESME (sms/smpp) with binds binds of window
// window to a free local address, where the test's SMSC is to listen,
// publishing to pub; stop ends it and waits for it.
func startESME(ctx context.Context, t *testing.T, pub channels.Publisher, binds, window int) (addr string, stop func()) {
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

// TestDeliverReceipts: rebond's own ESME (sms/smpp) binds twice to the
// SMSC, which delivers 300 receipts as deliver_sm; the ones the ESME
// refuses (its publish failed: ESME_RX_T_APPN) are delivered again, and
// every receipt is published once with its outcome.
func TestDeliverReceipts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub := &flakyReceipts{got: map[string]channels.Event{}}
	addr, stopESME := startESME(ctx, t, pub, 2, 20)

	t0 := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	receipts := make(chan smpptest.Receipt)
	want := map[string]string{} // message id -> stat:err
	go func() {
		defer close(receipts)
		for i := range 300 {
			r := smpptest.Receipt{MessageID: fmt.Sprintf("b-sms-%d", i), Recipient: fmt.Sprintf("4477%08d", i),
				Stat: "DELIVRD", Err: "000", Done: t0.Add(time.Duration(i)*time.Millisecond + 3*time.Second)}
			switch {
			case i%25 == 0:
				r.Stat, r.Err = "UNDELIV", "001"
			case i%10 == 0:
				r.Stat, r.Err = "UNDELIV", "027"
			}
			want[r.MessageID] = r.Stat + ":" + r.Err
			receipts <- r
		}
	}()
	var sent atomic.Int64
	if err := smpptest.DeliverReceipts(ctx, addr, receipts, 10*time.Second, &sent); err != nil {
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

// TestDeliverReceiptsRefusalsAndLongIDs: a receipt whose text is longer
// than a short_message travels in message_payload and is acknowledged;
// one that rebond refuses for good (ESME_RX_P_APPN: a message id rebond
// cannot take) is not sent again, and DeliverReceipts says so instead of
// waiting.
func TestDeliverReceiptsRefusalsAndLongIDs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pub := &flakyReceipts{got: map[string]channels.Event{}, n: 1} // n: never the 7th
	addr, stopESME := startESME(ctx, t, pub, 1, 10)
	defer stopESME()

	done := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	long := smpptest.Receipt{MessageID: "m-" + strings.Repeat("x", 150), Recipient: "447700900001", Stat: "DELIVRD", Err: "000", Done: done}
	bad := smpptest.Receipt{MessageID: "m-bad\x01id", Recipient: "447700900002", Stat: "DELIVRD", Err: "000", Done: done}
	receipts := make(chan smpptest.Receipt, 2)
	receipts <- long
	receipts <- bad
	close(receipts)
	var sent atomic.Int64
	err := smpptest.DeliverReceipts(ctx, addr, receipts, 10*time.Second, &sent)
	if err == nil || !strings.Contains(err.Error(), "refused 1 receipts for good") {
		t.Errorf("DeliverReceipts: %v; want one receipt refused for good", err)
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if sent.Load() != 1 || pub.got[long.MessageID].ID == "" {
		t.Errorf("acknowledged %d, published %v; want the long one", sent.Load(), pub.got)
	}
}

// TestDeliverReceiptsNoBind: with no ESME to bind, DeliverReceipts gives
// up after the bind wait and says where it listened.
func TestDeliverReceiptsNoBind(t *testing.T) {
	t.Parallel()
	var sent atomic.Int64
	err := smpptest.DeliverReceipts(context.Background(), "127.0.0.1:0", make(chan smpptest.Receipt), 50*time.Millisecond, &sent)
	if err == nil || !strings.Contains(err.Error(), "no SMPP bind") {
		t.Errorf("DeliverReceipts: %v; want no SMPP bind", err)
	}
}
