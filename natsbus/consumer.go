package natsbus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Consumer is a durable pull consumer on the event stream.
type Consumer struct {
	c jetstream.Consumer
	// maxBytes bounds a fetch's size (FetchMaxBytes): twice the server's
	// max_payload, so any one message fits, and a fetch of many
	// 100-event messages cannot hold hundreds of MB.
	maxBytes int
}

// Consumer creates or updates the durable consumer name. Several processes
// using the same name share the work; AckWait is 30s, redelivery unlimited.
func (b *Bus) Consumer(ctx context.Context, name string) (*Consumer, error) {
	return consumer(ctx, b.events, name, b.nc.MaxPayload())
}

// InboundConsumer is Consumer on the inbound stream (raw mail to parse).
func (b *Bus) InboundConsumer(ctx context.Context, name string) (*Consumer, error) {
	return consumer(ctx, b.inbound, name, b.nc.MaxPayload())
}

func consumer(ctx context.Context, stream jetstream.Stream, name string, maxPayload int64) (*Consumer, error) {
	c, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: name, AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second,
		MaxDeliver: -1, MaxAckPending: 20000, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", name, err)
	}
	return &Consumer{c: c, maxBytes: int(max(2*maxPayload, 1<<20))}, nil
}

// Delivery is one fetched message.
type Delivery struct {
	Subject      string
	MsgID        string
	Data         []byte
	NumDelivered uint64
	msg          jetstream.Msg
	batch        bool // EventsHeader: one event per line
}

// Events returns the event payloads the delivery carries: its non-blank
// lines when the publisher marked it with EventsHeader (Publish's
// batches; an external producer may end each line with CR LF, or the last
// with a newline), else the whole message, one event (what external
// producers publish).
func (d Delivery) Events() [][]byte {
	if !d.batch {
		return [][]byte{d.Data}
	}
	var out [][]byte
	for line := range bytes.SplitSeq(d.Data, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) > 0 {
			out = append(out, line)
		}
	}
	return out
}

// Ack acknowledges the delivery (asynchronously: a lost ack means one
// harmless redelivery, caught by the inbox's unique key).
func (d Delivery) Ack() error { return d.msg.Ack() }

// InProgress tells JetStream the delivery is still being worked on, which
// restarts its AckWait.
func (d Delivery) InProgress() error { return d.msg.InProgress() }

// Nak asks for redelivery after delay.
func (d Delivery) Nak(delay time.Duration) error { return d.msg.NakWithDelay(delay) }

// Term stops redelivery of a message that can never be processed.
func (d Delivery) Term(reason string) error { return d.msg.TermWithReason(reason) }

// Fetch pulls up to max messages, waiting at most wait for them; it
// returns what arrived (possibly nothing) and an error only when the pull
// itself failed.
func (c *Consumer) Fetch(ctx context.Context, max int, wait time.Duration) ([]Delivery, error) {
	batch, err := c.c.Fetch(max, jetstream.FetchMaxWait(wait), jetstream.FetchMaxBytes(c.maxBytes))
	if err != nil {
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return nil, nil
		}
		return nil, fmt.Errorf("fetch: %w", err)
	}
	var out []Delivery
	for m := range batch.Messages() {
		md, _ := m.Metadata()
		d := Delivery{Subject: m.Subject(), Data: m.Data(), msg: m}
		if md != nil {
			d.NumDelivered = md.NumDelivered
		}
		if h := m.Headers(); h != nil {
			d.MsgID = h.Get(jetstream.MsgIDHeader)
			d.batch = h.Get(EventsHeader) != ""
		}
		out = append(out, d)
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && len(out) == 0 {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	return out, nil
}
