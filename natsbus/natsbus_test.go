package natsbus

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
)

// startBus starts an embedded JetStream server (the one `make run` uses)
// in a temporary directory and connects to it.
func startBus(t *testing.T) (*Bus, *Embedded) {
	t.Helper()
	srv, err := StartEmbedded(EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bus, err := Connect(ctx, Config{URL: srv.URL(), Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)
	return bus, srv
}

func event(i int) channels.Event {
	return channels.Event{ID: fmt.Sprintf("ev_%03d", i), Channel: channels.Email, Type: channels.Sent,
		MessageID: fmt.Sprintf("m%d", i), Recipient: "a@example.org", OccurredAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
}

// drain fetches and acknowledges everything on the stream through the
// durable consumer "bridge".
func drain(t *testing.T, bus *Bus) []Delivery {
	t.Helper()
	c, err := bus.Consumer(context.Background(), "bridge")
	if err != nil {
		t.Fatal(err)
	}
	return fetchAll(t, c, true)
}

// fetchAll drains the consumer until a fetch comes back empty.
func fetchAll(t *testing.T, c *Consumer, ack bool) []Delivery {
	t.Helper()
	ctx := context.Background()
	var all []Delivery
	for {
		ds, err := c.Fetch(ctx, 100, 300*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			return all
		}
		for _, d := range ds {
			if ack {
				if err := d.Ack(); err != nil {
					t.Fatal(err)
				}
			}
		}
		all = append(all, ds...)
	}
}

// TestPublishDeduplicatesOnEventID: a producer retrying after a timeout
// publishes the same events again. A batch of one channel's events is one
// message whose Nats-Msg-Id hashes their keys; a single event is its own
// message with its key as Nats-Msg-Id, as external producers publish: both
// are stored once.
func TestPublishDeduplicatesOnEventID(t *testing.T) {
	bus, _ := startBus(t)
	ctx := context.Background()
	batch := []channels.Event{event(1), event(2), event(3)}
	single := []channels.Event{event(4)}
	for range 3 {
		if err := bus.Publish(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if err := bus.Publish(ctx, single); err != nil {
			t.Fatal(err)
		}
	}
	got := drain(t, bus)
	if len(got) != 2 {
		t.Fatalf("%d deliveries, want 2: the batch and the single event (Nats-Msg-Id de-duplication)", len(got))
	}
	var ids []string
	for _, d := range got {
		for _, data := range d.Events() {
			var e channels.Event
			if err := json.Unmarshal(data, &e); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, e.ID)
		}
	}
	if fmt.Sprint(ids) != "[ev_001 ev_002 ev_003 ev_004]" {
		t.Errorf("events %v, want ev_001..ev_004 once each, in order", ids)
	}
	if !strings.HasPrefix(got[0].MsgID, "~~batch~") || got[1].MsgID != "ev_004" || got[0].Subject != "rebond.events.email" {
		t.Errorf("deliveries: %s %s, %s %s", got[0].Subject, got[0].MsgID, got[1].Subject, got[1].MsgID)
	}
}

// TestPublishBatches: Publish cuts messages at BatchEvents events and at
// BatchBytes of JSON, one channel per message, and every event arrives
// once, each channel's in order.
func TestPublishBatches(t *testing.T) {
	bus, _ := startBus(t)
	ctx := context.Background()
	var evs []channels.Event
	for i := range 250 {
		e := event(i)
		if i%10 == 0 {
			e.Channel, e.Recipient = channels.SMS, "+447700900123"
		}
		evs = append(evs, e)
	}
	big := strings.Repeat("x", 60<<10) // 60 KiB of raw bounce: 4 per message
	for i := range 10 {
		e := event(1000 + i)
		e.Raw = big
		evs = append(evs, e)
	}
	if err := bus.Publish(ctx, evs); err != nil {
		t.Fatal(err)
	}
	got := drain(t, bus)
	perChannel := map[string][]string{}
	for _, d := range got {
		parts := d.Events()
		if len(parts) > BatchEvents || len(d.Data) > BatchBytes {
			t.Errorf("message %s: %d events, %d bytes; limits %d, %d", d.MsgID, len(parts), len(d.Data), BatchEvents, BatchBytes)
		}
		for _, data := range parts {
			var e channels.Event
			if err := json.Unmarshal(data, &e); err != nil {
				t.Fatalf("message %s: %v", d.MsgID, err)
			}
			if d.Subject != e.Channel.Subject() {
				t.Errorf("event %s (%s) in a message on %s", e.ID, e.Channel, d.Subject)
			}
			perChannel[string(e.Channel)] = append(perChannel[string(e.Channel)], e.ID)
		}
	}
	var want = map[string][]string{}
	for _, e := range evs {
		want[string(e.Channel)] = append(want[string(e.Channel)], e.ID)
	}
	if fmt.Sprint(perChannel) != fmt.Sprint(want) {
		t.Errorf("events by channel:\n got %v\nwant %v", perChannel, want)
	}
	// email: 225 small then 10 big: 100, 100, 25+... ; sms: 25 in one.
	if len(got) < 6 || len(got) > 8 {
		t.Errorf("%d messages for 235 email events (10 of 60 KiB) and 25 SMS", len(got))
	}
}

func TestStreamsAndConsumersAreIdempotent(t *testing.T) {
	bus, srv := startBus(t)
	ctx := context.Background()
	if err := bus.Publish(ctx, []channels.Event{event(1)}); err != nil {
		t.Fatal(err)
	}
	// A second process (another replica of rebond) connects: the streams
	// and the durable consumer are reused, not reset.
	again, err := Connect(ctx, Config{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	c1, err := bus.Consumer(ctx, "bridge")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := again.Consumer(ctx, "bridge")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(fetchAll(t, c1, true)) + len(fetchAll(t, c2, true)); got != 1 {
		t.Errorf("one event delivered %d times across two members of one durable consumer", got)
	}
	if err := again.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestUnackedAndNakedEventsComeBack(t *testing.T) {
	bus, _ := startBus(t)
	ctx := context.Background()
	for _, e := range []channels.Event{event(1), event(2)} { // a message each
		if err := bus.Publish(ctx, []channels.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := bus.Consumer(ctx, "bridge")
	if err != nil {
		t.Fatal(err)
	}
	first := fetchAll(t, c, false)
	if len(first) != 2 {
		t.Fatalf("%d deliveries", len(first))
	}
	if err := first[0].Ack(); err != nil {
		t.Fatal(err)
	}
	if err := first[1].Nak(0); err != nil { // the inbox was down: try again
		t.Fatal(err)
	}
	again := fetchAll(t, c, true)
	if len(again) != 1 || again[0].MsgID != "ev_002" || again[0].NumDelivered != 2 {
		t.Fatalf("redelivery: %+v", again)
	}
}

func TestPublishNotice(t *testing.T) {
	bus, _ := startBus(t)
	ctx := context.Background()
	for range 2 {
		if err := bus.PublishNotice(ctx, "rebond.retry.email", "retry:email:m1:1", []byte(`{"attempt":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	info, err := bus.js.Stream(ctx, "REBOND_NOTICES")
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("%d notices stored, want 1 (de-duplicated)", n)
	}
	if err := bus.PublishNotice(ctx, "rebond.nowhere", "x", nil); err == nil {
		t.Error("a notice on a subject no stream takes must fail, not vanish")
	}
}

func TestPublishFailsWhenTheServerIsGone(t *testing.T) {
	bus, srv := startBus(t)
	srv.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := bus.Publish(ctx, []channels.Event{event(1)}); err == nil {
		t.Fatal("Publish returned nil with no server: the caller would ack a lost event")
	}
	if err := bus.Ping(ctx); err == nil {
		t.Error("Ping succeeded with no server")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err == nil {
		t.Error("an empty URL must be refused")
	}
	if err := (Config{URL: "nats://127.0.0.1:4222", Replicas: -1}).Validate(); err == nil {
		t.Error("negative replicas must be refused")
	}
	if err := (Config{URL: "nats://127.0.0.1:4222", PublishTimeout: -time.Second}).Validate(); err == nil {
		t.Error("a negative publish timeout must be refused")
	}
}

func TestDeliveryEvents(t *testing.T) {
	for _, tt := range []struct {
		name  string
		batch bool
		data  string
		want  string
	}{
		{"one event", false, `{"a":1}`, `[{"a":1}]`},
		{"one event keeps its newlines", false, "{\"a\":\n1}", "[{\"a\":\n1}]"},
		{"lines", true, "{\"a\":1}\n{\"a\":2}", `[{"a":1} {"a":2}]`},
		{"CR LF and a last newline", true, "{\"a\":1}\r\n{\"a\":2}\r\n", "[{\"a\":1}\r {\"a\":2}\r]"},
		{"blank lines", true, "\n{\"a\":1}\n \n\n", `[{"a":1}]`},
		{"nothing", true, "", `[]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range (Delivery{Data: []byte(tt.data), batch: tt.batch}).Events() {
				got = append(got, string(p))
			}
			if s := fmt.Sprintf("%s", got); s != tt.want && !(len(got) == 0 && tt.want == "[]") {
				t.Errorf("Events() = %q, want %s", got, tt.want)
			}
		})
	}
}
