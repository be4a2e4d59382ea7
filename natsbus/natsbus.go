// Package natsbus is rebond's only NATS code: the JetStream streams, the
// event publisher, the bridge's pull consumer, the notice publisher and an
// embedded server for single-machine runs and tests.
//
// Subjects and streams:
//
//	REBOND_EVENTS   rebond.events.<channel>   canonical events (channels.Event JSON;
//	                                          one a message, or up to BatchEvents as
//	                                          JSON lines with EventsHeader)
//	REBOND_NOTICES  rebond.retry.<channel>    retry notices for senders
//	                rebond.state.<channel>    recipient state changes
//	                rebond.alerts             rate alerts
//
// Every publish carries Nats-Msg-Id (the event key, a hash of a batch's
// keys, or the notice id), so JetStream drops a duplicate within the
// de-duplication window; older duplicates, and an event re-published in
// another batch, are caught by the inbox's unique key.
//
// Ack contract: the bridge acks a delivery only once the event is committed
// to PostgreSQL, naks it (redelivery after a delay) when the store fails,
// and terminates it when it can never be decoded (after keeping it in
// rejected_events). The library never logs: errors are returned.
package natsbus

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
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
	// MaxBytes bounds the events stream and the inbound (raw mail) stream
	// each, the notices stream at an eighth of it (default 8 GiB;
	// negative: unbounded). A full stream refuses new messages (publishers
	// get an error: the API answers 503, the SMTP listener 451) rather than
	// dropping the oldest, which may not be consumed yet.
	MaxBytes   int64
	Duplicates time.Duration // default 2 minutes
	Name       string        // client connection name
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
	if c.MaxBytes == 0 {
		c.MaxBytes = 8 << 30
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

// streamBytes is MaxBytes divided by div, -1 (no limit) when MaxBytes is
// negative.
func (c Config) streamBytes(div int64) int64 {
	if c.MaxBytes < 0 {
		return -1
	}
	return max(c.MaxBytes/div, 1<<20)
}

// StreamUsage is how full one of rebond's streams is.
type StreamUsage struct {
	Stream   string
	Bytes    uint64
	Messages uint64
	// MaxBytes is the stream's limit; 0 or less: none.
	MaxBytes int64
}

// Usage reports the size of each of rebond's streams against its limit,
// for the caller to publish as metrics and to warn before a stream fills
// (a full stream refuses new events).
func (b *Bus) Usage(ctx context.Context) ([]StreamUsage, error) {
	var out []StreamUsage
	for _, name := range []string{b.cfg.Stream, b.cfg.InboundStream, b.cfg.NoticeStream} {
		st, err := b.js.Stream(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("stream %s: %w", name, err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			return nil, fmt.Errorf("stream %s info: %w", name, err)
		}
		out = append(out, StreamUsage{Stream: name, Bytes: info.State.Bytes, Messages: info.State.Msgs, MaxBytes: info.Config.MaxBytes})
	}
	return out, nil
}

func (b *Bus) ensureStreams(ctx context.Context) error {
	var err error
	b.events, err = b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: b.cfg.Stream, Subjects: []string{"rebond.events.>"}, Storage: jetstream.FileStorage,
		Replicas: b.cfg.Replicas, MaxAge: b.cfg.MaxAge, Duplicates: b.cfg.Duplicates,
		Retention: jetstream.LimitsPolicy, Discard: jetstream.DiscardNew, MaxBytes: b.cfg.streamBytes(1),
	})
	if err != nil {
		return fmt.Errorf("create stream %s: %w", b.cfg.Stream, err)
	}
	_, err = b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: b.cfg.NoticeStream, Subjects: []string{"rebond.retry.>", "rebond.state.>", "rebond.alerts"},
		Storage: jetstream.FileStorage, Replicas: b.cfg.Replicas, MaxAge: b.cfg.MaxAge,
		Discard: jetstream.DiscardNew, MaxBytes: b.cfg.streamBytes(8),
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
		Discard: jetstream.DiscardNew, MaxBytes: b.cfg.streamBytes(1),
	})
	if err != nil {
		return fmt.Errorf("create stream %s: %w", b.cfg.InboundStream, err)
	}
	return nil
}

// Batch limits of Publish: up to BatchEvents events of one channel, and
// at most BatchBytes of JSON, travel in one message. NATS's work is per
// message (headers, the de-duplication table, the stream's store, the
// consumer's delivery and ack), not per byte, so one message for many
// small events spreads it over them all; 256 KiB stays far under the
// 1 MiB max_payload of a default server.
const (
	BatchEvents = 100
	BatchBytes  = 256 << 10
)

// EventsHeader marks a message that carries several events, one JSON
// object per line (newline-delimited JSON), and says how many.
const EventsHeader = "Rebond-Events"

// Publish implements channels.Publisher: the events are published
// asynchronously in messages of up to BatchEvents events of one channel
// (subject rebond.events.<channel>), and Publish returns nil only once
// JetStream acknowledged all of them. A message of one event is that
// event's JSON with Nats-Msg-Id = its key (channels.Event.Key: the id, made
// unique across tenants), as external producers publish; a message of
// several is their JSON lines with EventsHeader, and Nats-Msg-Id
// "~~batch~" and a hash of their keys, so that the same events published again are dropped as
// well. Whatever JetStream does not drop, the inbox's key does.
func (b *Bus) Publish(ctx context.Context, events []channels.Event) error {
	var futures []jetstream.PubAckFuture
	open := make(map[channels.Channel]*batch)
	// A server configured with a small max_payload takes smaller batches
	// (one event over it fails alone, as before batches).
	limit := min(BatchBytes, int(b.nc.MaxPayload())-4096)
	flush := func(bt *batch) error {
		if bt.n == 0 {
			return nil
		}
		f, err := b.js.PublishMsgAsync(bt.msg())
		if err != nil {
			return fmt.Errorf("publish %d events: %w", bt.n, err)
		}
		futures = append(futures, f)
		bt.reset()
		return nil
	}
	for _, e := range events {
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event %s: %w", e.ID, err)
		}
		bt := open[e.Channel]
		if bt == nil {
			bt = &batch{subject: e.Channel.Subject()}
			open[e.Channel] = bt
		}
		if bt.n > 0 && (bt.n == BatchEvents || bt.data.Len()+1+len(data) > limit) {
			if err := flush(bt); err != nil {
				return err
			}
		}
		bt.add(e.Key(), data)
	}
	for _, bt := range open {
		if err := flush(bt); err != nil {
			return err
		}
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
		return fmt.Errorf("publish: %d of %d messages (%d events) not stored: %w", failed, len(futures), len(events), first)
	}
	return nil
}

// batch is one message of events of one channel being built.
type batch struct {
	subject string
	data    bytes.Buffer
	keys    hash.Hash
	first   string // the key of the first event
	n       int
}

func (bt *batch) add(key string, data []byte) {
	if bt.n == 0 {
		bt.first = key
		bt.keys = sha256.New()
	} else {
		bt.data.WriteByte('\n')
	}
	bt.data.Write(data)
	bt.keys.Write([]byte(key))
	bt.keys.Write([]byte{0})
	bt.n++
}

func (bt *batch) msg() *nats.Msg {
	data := bytes.Clone(bt.data.Bytes())
	if bt.n == 1 {
		return &nats.Msg{Subject: bt.subject, Data: data, Header: nats.Header{jetstream.MsgIDHeader: []string{bt.first}}}
	}
	// "~~": no event key starts so (channels.Event.Key: a tenant's key is
	// "~<tenant>~<id>", and a tenant name starts with a letter or digit),
	// so a batch can never take an event's de-duplication slot.
	id := "~~batch~" + hex.EncodeToString(bt.keys.Sum(nil)[:16])
	return &nats.Msg{Subject: bt.subject, Data: data,
		Header: nats.Header{jetstream.MsgIDHeader: []string{id}, EventsHeader: []string{strconv.Itoa(bt.n)}}}
}

func (bt *batch) reset() {
	bt.data.Reset()
	bt.n = 0
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
