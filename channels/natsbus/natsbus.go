// Package natsbus is rebond's only NATS code: the JetStream streams, the
// event publisher, the bridge's pull consumer, the notice publisher and an
// embedded server for single-machine runs and tests.
//
// Subjects and streams:
//
//	REBOND_EVENTS   rebond.events.<channel>   canonical events (channels.Event JSON)
//	REBOND_NOTICES  rebond.retry.<channel>    retry notices for senders
//	                rebond.state.<channel>    recipient state changes
//	                rebond.alerts             rate alerts
//
// Every publish carries Nats-Msg-Id (the event id, or the notice id), so
// JetStream drops a duplicate within the de-duplication window; older
// duplicates are caught by the inbox's unique key.
//
// Ack contract: the bridge acks a delivery only once the event is committed
// to PostgreSQL, naks it (redelivery after a delay) when the store fails,
// and terminates it when it can never be decoded (after keeping it in
// rejected_events). The library never logs: errors are returned.
package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rebond/rebond/channels"
)

// Config configures the connection and the streams.
type Config struct {
	URL           string
	Stream        string        // default REBOND_EVENTS
	NoticeStream  string        // default REBOND_NOTICES
	InboundStream string        // default REBOND_INBOUND (raw mail spooled by the SMTP listener)
	Replicas      int           // default 1 (3 in a cluster)
	MaxAge        time.Duration // default 7 days
	Duplicates    time.Duration // default 2 minutes
	Name          string        // client connection name
	// PublishTimeout bounds the wait for one event's JetStream ack
	// (default 5s). Without it, an ack lost while a stream leader steps
	// down stays pending in the client for ever after Publish returned on
	// its ctx, and enough of them stall every later publish (the client
	// holds at most 4000 pending acks). A publish that timed out but was
	// stored is de-duplicated when the producer sends it again.
	PublishTimeout time.Duration
}

// Validate names the offending field.
func (c Config) Validate() error {
	if c.URL == "" {
		return errors.New("nats.url: required")
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		return fmt.Errorf("nats.replicas: %d is out of 1..5", c.Replicas)
	}
	if c.PublishTimeout < 0 {
		return fmt.Errorf("PublishTimeout: %s is negative", c.PublishTimeout)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Stream == "" {
		c.Stream = "REBOND_EVENTS"
	}
	if c.NoticeStream == "" {
		c.NoticeStream = "REBOND_NOTICES"
	}
	if c.InboundStream == "" {
		c.InboundStream = "REBOND_INBOUND"
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MaxAge == 0 {
		c.MaxAge = 7 * 24 * time.Hour
	}
	if c.Duplicates == 0 {
		c.Duplicates = 2 * time.Minute
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = 5 * time.Second
	}
	return c
}

// Bus is a connection with its JetStream context and streams.
type Bus struct {
	cfg     Config
	nc      *nats.Conn
	js      jetstream.JetStream
	events  jetstream.Stream
	inbound jetstream.Stream
}

// Connect dials NATS (reconnecting forever afterwards) and creates or
// updates the streams, so every replica can call it at start.
func Connect(ctx context.Context, cfg Config) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	nc, err := nats.Connect(cfg.URL, nats.Name(cfg.Name), nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond), nats.RetryOnFailedConnect(false))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", cfg.URL, err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(cfg.PublishTimeout))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	b := &Bus{cfg: cfg, nc: nc, js: js}
	if err := b.ensureStreams(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bus) ensureStreams(ctx context.Context) error {
	var err error
	b.events, err = b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: b.cfg.Stream, Subjects: []string{"rebond.events.>"}, Storage: jetstream.FileStorage,
		Replicas: b.cfg.Replicas, MaxAge: b.cfg.MaxAge, Duplicates: b.cfg.Duplicates,
		Retention: jetstream.LimitsPolicy, Discard: jetstream.DiscardOld,
	})
	if err != nil {
		return fmt.Errorf("create stream %s: %w", b.cfg.Stream, err)
	}
	_, err = b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: b.cfg.NoticeStream, Subjects: []string{"rebond.retry.>", "rebond.state.>", "rebond.alerts"},
		Storage: jetstream.FileStorage, Replicas: b.cfg.Replicas, MaxAge: b.cfg.MaxAge,
		// A retry notice published before its attempt was recorded may be
		// published again when the task re-runs, possibly much later: a
		// day-long window keeps it single (notices are few and small).
		Duplicates: max(b.cfg.Duplicates, min(24*time.Hour, b.cfg.MaxAge)),
	})
	if err != nil {
		return fmt.Errorf("create stream %s: %w", b.cfg.NoticeStream, err)
	}
	// Raw mail the SMTP listener accepted: kept for MaxAge whatever its
	// consumers did, so a parser fix can replay it.
	b.inbound, err = b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: b.cfg.InboundStream, Subjects: []string{"rebond.inbound.>"}, Storage: jetstream.FileStorage,
		Replicas: b.cfg.Replicas, MaxAge: b.cfg.MaxAge, Duplicates: b.cfg.Duplicates,
	})
	if err != nil {
		return fmt.Errorf("create stream %s: %w", b.cfg.InboundStream, err)
	}
	return nil
}

// Publish implements channels.Publisher: every event is published
// asynchronously with Nats-Msg-Id = its key (channels.Event.Key: the id,
// made unique across tenants), and Publish returns nil only
// once JetStream acknowledged all of them.
func (b *Bus) Publish(ctx context.Context, events []channels.Event) error {
	futures := make([]jetstream.PubAckFuture, 0, len(events))
	for _, e := range events {
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event %s: %w", e.ID, err)
		}
		f, err := b.js.PublishMsgAsync(&nats.Msg{Subject: e.Channel.Subject(), Data: data,
			Header: nats.Header{jetstream.MsgIDHeader: []string{e.Key()}}})
		if err != nil {
			return fmt.Errorf("publish event %s: %w", e.ID, err)
		}
		futures = append(futures, f)
	}
	failed := 0
	var first error
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			failed++
			if first == nil {
				first = err
			}
		case <-ctx.Done():
			return fmt.Errorf("publish %d events: %w", len(events), ctx.Err())
		}
	}
	if failed > 0 {
		return fmt.Errorf("publish: %d of %d events not stored: %w", failed, len(events), first)
	}
	return nil
}

// PublishNotice publishes data on subject (a notice, or a raw payload for
// the inbound stream) and waits for JetStream's ack; msgID de-duplicates a
// payload published twice.
func (b *Bus) PublishNotice(ctx context.Context, subject, msgID string, data []byte) error {
	_, err := b.js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: data,
		Header: nats.Header{jetstream.MsgIDHeader: []string{msgID}}})
	if err != nil {
		return fmt.Errorf("publish notice %s: %w", msgID, err)
	}
	return nil
}

// MaxPayload is the largest message the server accepts (its max_payload:
// 1 MiB by default, 8 MiB on the embedded server). Ingestion paths derive
// their limits from it, so nothing is accepted that the bus then refuses.
func (b *Bus) MaxPayload() int64 { return b.nc.MaxPayload() }

// Ping reports whether the connection is up and JetStream answers.
func (b *Bus) Ping(ctx context.Context) error {
	if !b.nc.IsConnected() {
		return errors.New("nats: not connected")
	}
	if _, err := b.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	return nil
}

// Close drains nothing and closes the connection: consumers ack or nak
// what they hold before.
func (b *Bus) Close() { b.nc.Close() }
