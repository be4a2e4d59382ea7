package workers

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/natsbus"
)

// RawHandler turns one spooled raw payload (a received bounce mail) into
// events; no events with a reason when it reports nothing. Errors wrapping
// channels.ErrMalformed are permanent; others are retried.
type RawHandler interface {
	Handle(ctx context.Context, data []byte) (events []channels.Event, why string, err error)
}

// Sampler is implemented by a RawHandler whose payloads the rejected
// table keeps shortened: Sample returns what to keep of one that gave no
// event (a mail that is no bounce is kept for operators to look at, not
// whole: anyone can send one).
type Sampler interface {
	Sample(data []byte) []byte
}

// RejectedOnce is implemented by an Inbox that keeps a spooled payload
// once per spool id (store.InsertRejectedOnce): a payload redelivered
// after a crash between keeping it and its ack is then not kept twice.
type RejectedOnce interface {
	InsertRejectedOnce(ctx context.Context, source, ref, reason string, payload []byte) error
}

// Inbound moves spooled raw payloads (mail received by the SMTP listener)
// through their parser onto the event stream. A payload is acknowledged
// only once its events are published, or once it is kept in the rejected
// table when it reports nothing: nothing the listener accepted is dropped.
type Inbound struct {
	fetcher Fetcher
	handler RawHandler
	pub     channels.Publisher
	inbox   Inbox
	source  string
	log     *slog.Logger
	metrics *Metrics
}

// NewInbound builds the loop; source names the payloads in the rejected
// table ("smtp").
func NewInbound(f Fetcher, h RawHandler, pub channels.Publisher, inbox Inbox, source string, m *Metrics, log *slog.Logger) *Inbound {
	return &Inbound{fetcher: f, handler: h, pub: pub, inbox: inbox, source: source, log: log, metrics: m}
}

// Run fetches and handles spooled payloads until ctx ends.
func (in *Inbound) Run(ctx context.Context) error {
	backoff := newBackoff(100*time.Millisecond, 5*time.Second)
	for ctx.Err() == nil {
		ds, err := in.fetcher.Fetch(ctx, 50, time.Second)
		if err != nil {
			in.log.WarnContext(ctx, "inbound fetch failed; retrying", "error", err)
			backoff.wait(ctx)
			continue
		}
		backoff.reset()
		for _, d := range ds {
			in.handle(ctx, d)
		}
	}
	return nil
}

func (in *Inbound) handle(ctx context.Context, d natsbus.Delivery) {
	events, why, err := in.parse(ctx, d)
	if err != nil {
		why = err.Error()
	}
	if len(events) == 0 {
		in.saveRejected(ctx, d, why)
		return
	}
	if err := in.pub.Publish(ctx, events); err != nil {
		in.log.WarnContext(ctx, "inbound events not published; will retry", "msg_id", d.MsgID, "error", err)
		_ = d.Nak(5 * time.Second)
		return
	}
	in.metrics.inbound.WithLabelValues("events").Inc()
	unverified := 0
	for _, e := range events {
		if e.Unverified {
			unverified++
		}
	}
	in.log.InfoContext(ctx, "inbound mail parsed", "msg_id", d.MsgID, "events", len(events), "unverified", unverified)
	_ = d.Ack()
}

// saveRejected stores a payload that gave no event in the rejected table,
// with the reason, for operators (and rule qualification) to look at, and
// acknowledges it; a payload it cannot store goes back for redelivery.
func (in *Inbound) saveRejected(ctx context.Context, d natsbus.Delivery, why string) {
	payload := d.Data
	if s, ok := in.handler.(Sampler); ok {
		payload = s.Sample(d.Data)
	}
	var err error
	if once, ok := in.inbox.(RejectedOnce); ok && d.MsgID != "" {
		err = once.InsertRejectedOnce(ctx, in.source, d.MsgID, why, payload)
	} else {
		err = in.inbox.InsertRejected(ctx, in.source, why, payload)
	}
	if err != nil {
		in.log.ErrorContext(ctx, "cannot keep inbound payload; leaving it on NATS", "msg_id", d.MsgID, "error", err)
		_ = d.Nak(5 * time.Second)
		return
	}
	in.metrics.inbound.WithLabelValues("no_event").Inc()
	in.log.InfoContext(ctx, "inbound mail reports nothing; kept as rejected", "msg_id", d.MsgID, "why", why, "bytes", len(d.Data), "kept", len(payload))
	_ = d.Ack()
}

// parse runs the handler, turning a panic into a permanent error: a mail
// that crashes the parser is kept as rejected instead of crash-looping
// the process on every redelivery.
func (in *Inbound) parse(ctx context.Context, d natsbus.Delivery) (events []channels.Event, why string, err error) {
	defer func() {
		if v := recover(); v != nil {
			in.log.ErrorContext(ctx, "parser panicked; mail kept as rejected", "msg_id", d.MsgID, "panic", v)
			events, why, err = nil, "", fmt.Errorf("%w: parser panicked: %v", channels.ErrMalformed, v)
		}
	}()
	return in.handler.Handle(ctx, d.Data)
}
