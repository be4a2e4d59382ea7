package natsbus

import (
	"context"
	"encoding/json"
	"fmt"
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

func TestPublishDeduplicatesOnEventID(t *testing.T) {
	bus, _ := startBus(t)
	ctx := context.Background()
	batch := []channels.Event{event(1), event(2), event(3)}
	for range 3 { // a producer retrying after a timeout publishes again
		if err := bus.Publish(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	c, err := bus.Consumer(ctx, "bridge")
	if err != nil {
		t.Fatal(err)
	}
	got := fetchAll(t, c, true)
	if len(got) != 3 {
		t.Fatalf("%d deliveries, want 3 (Nats-Msg-Id de-duplication)", len(got))
	}
	for i, d := range got {
		var e channels.Event
		if err := json.Unmarshal(d.Data, &e); err != nil {
			t.Fatal(err)
		}
		if d.MsgID != e.ID || e.ID != batch[i].ID || d.Subject != "rebond.events.email" {
			t.Errorf("delivery %d: subject %s msg id %s event %s", i, d.Subject, d.MsgID, e.ID)
		}
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
	if err := bus.Publish(ctx, []channels.Event{event(1), event(2)}); err != nil {
		t.Fatal(err)
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
