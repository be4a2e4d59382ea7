package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/natsbus"
	"github.com/rebond/rebond/store"
)

// fakeInbox refuses, like PostgreSQL, any batch holding an event whose
// campaign is "poison" (store.ErrBadData), and records the rest.
type fakeInbox struct {
	mu       sync.Mutex
	stored   []string
	rejected []string
	payloads []string // of the rejected
	failNext int      // inserts to fail as if the database were down
	inserts  int      // batches inserted
}

func (f *fakeInbox) InsertEvents(_ context.Context, es []channels.Event) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext > 0 {
		f.failNext--
		return nil, errors.New("connection refused")
	}
	f.inserts++
	for _, e := range es {
		if e.Campaign == "poison" {
			return nil, fmt.Errorf("insert: %w", store.ErrBadData)
		}
	}
	var ids []string
	for _, e := range es {
		f.stored = append(f.stored, e.ID)
		ids = append(ids, e.ID)
	}
	return ids, nil
}

func (f *fakeInbox) InsertRejected(_ context.Context, source, reason string, payload []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejected = append(f.rejected, source)
	f.payloads = append(f.payloads, string(payload))
	return nil
}

func testEvent(i int, campaign string) channels.Event {
	return channels.Event{ID: fmt.Sprintf("ev_%d", i), Channel: channels.Email, Type: channels.Sent, MessageID: fmt.Sprintf("m%d", i),
		Recipient: "a@example.org", Campaign: campaign, OccurredAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
}

// bridgeOnJetStream starts an embedded JetStream and a bridge on a durable
// consumer of it that stores into a fakeInbox. Asynq is unreachable: the
// bridge acknowledges anyway, as the reconciler re-enqueues inbox rows no
// task applied.
func bridgeOnJetStream(t *testing.T) (*natsbus.Embedded, *natsbus.Bus, *natsbus.Consumer, *fakeInbox, *Bridge) {
	t.Helper()
	srv, err := natsbus.StartEmbedded(natsbus.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	ctx := context.Background()
	bus, err := natsbus.Connect(ctx, natsbus.Config{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)
	consumer, err := bus.Consumer(ctx, "bridge-test")
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { client.Close() })
	inbox := &fakeInbox{}
	b := NewBridge(Config{}.WithDefaults(), consumer, inbox, NewEnqueuer(client, 500), NewMetrics(prometheus.NewRegistry()),
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	return srv, bus, consumer, inbox, b
}

// TestBridgeSetsAsidePoisonAndGarbage: on a real (embedded) JetStream, a
// batch with an undecodable payload and an event the database refuses is
// still stored: the good events go to the inbox and are acknowledged, the
// two bad ones are kept as rejected and terminated, and nothing comes back.
// Asynq is unreachable here: the events are acknowledged anyway, as the
// reconciler re-enqueues inbox rows no task applied.
func TestBridgeSetsAsidePoisonAndGarbage(t *testing.T) {
	_, bus, consumer, inbox, b := bridgeOnJetStream(t)
	ctx := context.Background()
	if err := bus.Publish(ctx, []channels.Event{testEvent(1, "c"), testEvent(2, "poison"), testEvent(3, "c")}); err != nil {
		t.Fatal(err)
	}
	if err := bus.PublishNotice(ctx, "rebond.events.email", "garbage-1", []byte(`{"channel":`)); err != nil {
		t.Fatal(err)
	}
	// The three events travel in one message (natsbus.Publish batches a
	// channel's events), the garbage in another.
	ds, err := consumer.Fetch(ctx, 10, time.Second)
	if err != nil || len(ds) != 2 {
		t.Fatalf("fetched %d, %v; want the batch and the garbage", len(ds), err)
	}
	if n, err := b.handle(ctx, ds); err != nil || n != 3 {
		t.Fatalf("handle: %d events, %v; want the batch's 3", n, err)
	}
	slices.Sort(inbox.stored)
	if got := fmt.Sprint(inbox.stored); got != "[ev_1 ev_3]" {
		t.Errorf("stored %s, want the two good events", got)
	}
	if len(inbox.rejected) != 2 {
		t.Errorf("rejected %v, want the garbage and the poison", inbox.rejected)
	}
	again, err := consumer.Fetch(ctx, 10, 1500*time.Millisecond)
	if err != nil || len(again) != 0 {
		t.Errorf("%d deliveries came back (%v): everything was acknowledged or terminated", len(again), err)
	}
}

// eventLine is testEvent(i, "c") as a JSON line.
func eventLine(t *testing.T, i int) string {
	t.Helper()
	b, err := json.Marshal(testEvent(i, "c"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// publishLines publishes data as an external producer's batch: JSON lines
// with the Rebond-Events header, on its own connection.
func publishLines(t *testing.T, srv *natsbus.Embedded, msgID, data string) {
	t.Helper()
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	n := strconv.Itoa(strings.Count(strings.TrimSpace(data), "\n") + 1)
	if _, err := js.PublishMsg(context.Background(), &nats.Msg{Subject: "rebond.events.email", Data: []byte(data),
		Header: nats.Header{natsbus.EventsHeader: []string{n}, jetstream.MsgIDHeader: []string{msgID}}}); err != nil {
		t.Fatal(err)
	}
}

// TestBridgeSplitsBatches: a message of several events (natsbus.Publish's
// batches, or an external producer's JSON lines with the Rebond-Events
// header, CR LF and a last newline included) gives each of its events;
// a line that is no event is kept alone in rejected_events, and the
// message is acknowledged for the others.
func TestBridgeSplitsBatches(t *testing.T) {
	srv, bus, consumer, inbox, b := bridgeOnJetStream(t)
	ctx := context.Background()
	data := eventLine(t, 10) + "\r\n" + `{"channel":` + "\r\n" + eventLine(t, 11) + "\n"
	publishLines(t, srv, "producer-batch-1", data)
	if err := bus.Publish(ctx, []channels.Event{testEvent(12, "c"), testEvent(13, "c")}); err != nil {
		t.Fatal(err)
	}
	ds, err := consumer.Fetch(ctx, 10, time.Second)
	if err != nil || len(ds) != 2 {
		t.Fatalf("fetched %d, %v; want the producer's message and Publish's", len(ds), err)
	}
	if n, err := b.handle(ctx, ds); err != nil || n != 4 {
		t.Fatalf("handle: %d events, %v; want 4", n, err)
	}
	if got := fmt.Sprint(inbox.stored); got != "[ev_10 ev_11 ev_12 ev_13]" {
		t.Errorf("stored %s", got)
	}
	if fmt.Sprint(inbox.payloads) != fmt.Sprint([]string{`{"channel":` + "\r"}) {
		t.Errorf("rejected payloads %q, want the one bad line alone", inbox.payloads)
	}
	if again, err := consumer.Fetch(ctx, 10, 1500*time.Millisecond); err != nil || len(again) != 0 {
		t.Errorf("%d deliveries came back (%v): both messages were acknowledged", len(again), err)
	}
}

// TestBridgeSettlesEachDelivery: a fetch larger than a batch is stored in
// transactions of BatchSize events; when the database fails, nothing is
// acknowledged that is not stored, and the rejected part of a delivery
// that goes back is kept only once, when it is finally settled.
func TestBridgeSettlesEachDelivery(t *testing.T) {
	srv, bus, consumer, inbox, b := bridgeOnJetStream(t)
	b.cfg.BatchSize = 3
	ctx := context.Background()
	var lines []string
	for i := range 7 {
		lines = append(lines, eventLine(t, 20+i))
	}
	lines = append(lines[:4], append([]string{"not an event"}, lines[4:]...)...)
	publishLines(t, srv, "producer-batch-2", strings.Join(lines, "\n")) // 7 events and a bad line
	if err := bus.PublishNotice(ctx, "rebond.events.email", "garbage-2", []byte(`not json`)); err != nil {
		t.Fatal(err)
	}
	inbox.failNext = 1
	ds, err := consumer.Fetch(ctx, 10, time.Second)
	if err != nil || len(ds) != 2 {
		t.Fatalf("fetched %d, %v", len(ds), err)
	}
	if _, err := b.handle(ctx, ds); err == nil {
		t.Fatal("handle: no error though the database was down")
	}
	if len(inbox.payloads) != 1 {
		t.Errorf("kept %q; want the garbage message, settled on its own", inbox.payloads)
	}
	// The batch comes back (nak, 1 s) and is stored in 3 transactions.
	ds, err = consumer.Fetch(ctx, 10, 3*time.Second)
	if err != nil || len(ds) != 1 {
		t.Fatalf("refetched %d, %v; want the batch only", len(ds), err)
	}
	if n, err := b.handle(ctx, ds); err != nil || n != 7 {
		t.Fatalf("handle: %d, %v", n, err)
	}
	if len(inbox.stored) != 7 || inbox.inserts != 3 || fmt.Sprint(inbox.payloads) != "[not json not an event]" {
		t.Errorf("stored %v in %d inserts, kept %q; want 7 in 3, each bad part once", inbox.stored, inbox.inserts, inbox.payloads)
	}
	if again, err := consumer.Fetch(ctx, 10, 1500*time.Millisecond); err != nil || len(again) != 0 {
		t.Errorf("%d deliveries came back (%v)", len(again), err)
	}
}

// rawParser turns "bounce:<id>" into one event, "panic" into a panic and
// anything else into no event with a reason.
type rawParser struct{}

func (rawParser) Handle(_ context.Context, data []byte) ([]channels.Event, string, error) {
	switch s := string(data); {
	case s == "panic":
		panic("parser bug")
	case len(s) > 7 && s[:7] == "bounce:":
		e := testEvent(100, "c")
		e.ID = "ev_" + s[7:]
		return []channels.Event{e}, "", nil
	}
	return nil, "not a bounce", nil
}

// Sample keeps the first 3 bytes of a payload kept as rejected.
func (rawParser) Sample(data []byte) []byte { return data[:min(len(data), 3)] }

type flakyPublisher struct {
	mu    sync.Mutex
	fails int
	got   []string
}

func (p *flakyPublisher) Publish(_ context.Context, es []channels.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fails > 0 {
		p.fails--
		return fmt.Errorf("bus down")
	}
	for _, e := range es {
		p.got = append(p.got, e.ID)
	}
	return nil
}

// TestInboundLoop: spooled mail that parses is published (retried after a
// failed publish), mail that reports nothing and mail that crashes the
// parser are kept as rejected; nothing is lost and the loop survives.
func TestInboundLoop(t *testing.T) {
	srv, err := natsbus.StartEmbedded(natsbus.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus, err := natsbus.Connect(ctx, natsbus.Config{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	for i, data := range []string{"bounce:a", "hello", "panic", "bounce:b"} {
		if err := bus.PublishNotice(ctx, "rebond.inbound.email", fmt.Sprint("in_", i), []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	consumer, err := bus.InboundConsumer(ctx, "inbound-test")
	if err != nil {
		t.Fatal(err)
	}
	pub, inbox := &flakyPublisher{fails: 1}, &fakeInbox{}
	in := NewInbound(consumer, rawParser{}, pub, inbox, "smtp", NewMetrics(prometheus.NewRegistry()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		pub.mu.Lock()
		n := len(pub.got)
		pub.mu.Unlock()
		inbox.mu.Lock()
		r := len(inbox.rejected)
		inbox.mu.Unlock()
		if n == 2 && r == 2 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	slices.Sort(pub.got)
	if fmt.Sprint(pub.got) != "[ev_a ev_b]" || len(inbox.rejected) != 2 {
		t.Errorf("published %v, rejected %v", pub.got, inbox.rejected)
	}
	slices.Sort(inbox.payloads)
	if fmt.Sprint(inbox.payloads) != "[hel pan]" {
		t.Errorf("rejected payloads %q: want the handler's samples", inbox.payloads)
	}
}
