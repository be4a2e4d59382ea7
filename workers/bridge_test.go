package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/natsbus"
	"github.com/rebond/rebond/store"
)

// fakeInbox refuses, like PostgreSQL, any batch holding an event whose
// campaign is "poison" (store.ErrBadData), and records the rest.
type fakeInbox struct {
	mu       sync.Mutex
	stored   []string
	rejected []string
	payloads []string // of the rejected
}

func (f *fakeInbox) InsertEvents(_ context.Context, es []channels.Event) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
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

// TestBridgeSplitsBatches: a message of several events (natsbus.Publish's
// batches, or an external producer's JSON lines with the Rebond-Events
// header, CR LF and a last newline included) gives each of its events;
// a line that is no event is kept alone in rejected_events, and the
// message is acknowledged for the others.
func TestBridgeSplitsBatches(t *testing.T) {
	srv, bus, consumer, inbox, b := bridgeOnJetStream(t)
	ctx := context.Background()
	line := func(i int) string {
		b, err := json.Marshal(testEvent(i, "c"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	data := line(10) + "\r\n" + `{"channel":` + "\r\n" + line(11) + "\n"
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: "rebond.events.email", Data: []byte(data),
		Header: nats.Header{natsbus.EventsHeader: []string{"3"}, jetstream.MsgIDHeader: []string{"producer-batch-1"}}}); err != nil {
		t.Fatal(err)
	}
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
}
