package natsbus

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rebond/rebond/channels"
)

// TestEmbeddedRequiresCredentials: a local client without the embedded
// server's password cannot connect, so it can neither publish events for
// a tenant nor purge a stream; rebond's own clients use URL.
func TestEmbeddedRequiresCredentials(t *testing.T) {
	t.Parallel()
	srv, err := StartEmbedded(EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	if strings.Contains(srv.Addr(), "@") {
		t.Errorf("Addr %q carries credentials", srv.Addr())
	}
	if nc, err := nats.Connect(srv.Addr(), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Error("a client without credentials connected")
	}
	wrong := strings.Replace(srv.Addr(), "nats://", "nats://rebond:guess-guess-guess-guess@", 1)
	if nc, err := nats.Connect(wrong, nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Error("a client with a wrong password connected")
	}
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatalf("with the server's credentials: %v", err)
	}
	nc.Close()
	if _, err := StartEmbedded(EmbeddedConfig{Dir: t.TempDir(), Password: "short"}); err == nil {
		t.Error("a 5-byte password was accepted")
	}
}

// TestStreamsBounded: a stream at its byte limit refuses new events (the
// publisher sees the error and can answer 503) instead of dropping older
// ones not yet consumed, and Usage reports how full each stream is.
func TestStreamsBounded(t *testing.T) {
	t.Parallel()
	srv, err := StartEmbedded(EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bus, err := Connect(ctx, Config{URL: srv.URL(), Name: t.Name(), MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)
	var full error
	published := 0
	for round := 0; round < 20 && full == nil; round++ {
		batch := make([]channels.Event, 500)
		for i := range batch {
			e := event(round*1000 + i)
			e.ID = fmt.Sprintf("ev_%d_%d", round, i)
			e.Campaign = strings.Repeat("c", 400)
			batch[i] = e
		}
		if full = bus.Publish(ctx, batch); full == nil {
			published += len(batch)
		}
	}
	if full == nil {
		t.Fatal("10,000 events of 500 bytes fit in a 1 MiB stream")
	}
	usage, err := bus.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if usage[0].Stream != "REBOND_EVENTS" || usage[0].MaxBytes != 1<<20 || usage[0].Bytes == 0 || usage[0].Bytes > 1<<20 {
		t.Errorf("usage = %+v", usage)
	}
	if got := len(drain(t, bus)); got < published/100 {
		t.Errorf("%d messages kept of %d events published before the limit: older ones were dropped", got, published)
	}
}
