package workers

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/natsbus"
	"github.com/rebond/rebond/store"
)

// Fetcher is the JetStream consumer the bridge pulls from.
type Fetcher interface {
	Fetch(ctx context.Context, max int, wait time.Duration) ([]natsbus.Delivery, error)
}

// Inbox is the store the bridge writes to.
type Inbox interface {
	InsertEvents(ctx context.Context, events []channels.Event) ([]string, error)
	InsertRejected(ctx context.Context, source, reason string, payload []byte) error
}

// Bridge moves events from JetStream to the inbox and to Asynq.
type Bridge struct {
	cfg     Config
	fetcher Fetcher
	inbox   Inbox
	enq     *Enqueuer
	log     *slog.Logger
	metrics *Metrics
}

// NewBridge builds a bridge; cfg must have its defaults filled.
func NewBridge(cfg Config, f Fetcher, inbox Inbox, enq *Enqueuer, m *Metrics, log *slog.Logger) *Bridge {
	return &Bridge{cfg: cfg, fetcher: f, inbox: inbox, enq: enq, log: log, metrics: m}
}

// Run runs cfg.Bridges fetch loops until ctx ends.
func (b *Bridge) Run(ctx context.Context) error {
	errc := make(chan error, b.cfg.Bridges)
	for range b.cfg.Bridges {
		go func() { errc <- b.loop(ctx) }()
	}
	var first error
	for range b.cfg.Bridges {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (b *Bridge) loop(ctx context.Context) error {
	backoff := newBackoff(100*time.Millisecond, 5*time.Second)
	for ctx.Err() == nil {
		ds, err := b.fetcher.Fetch(ctx, b.cfg.BatchSize, b.cfg.FetchWait)
		if err == nil && len(ds) > 0 {
			err = b.handle(ctx, ds)
		}
		if err != nil && ctx.Err() == nil {
			b.log.WarnContext(ctx, "bridge batch failed; retrying", "error", err, "batch", len(ds))
			backoff.wait(ctx)
			continue
		}
		backoff.reset()
	}
	return nil
}

// handle stores one fetched batch and acknowledges it. The NATS ack comes
// only after the inbox insert committed; an enqueue failure does not block
// the ack, because the reconciler finds inbox rows that no task applied.
func (b *Bridge) handle(ctx context.Context, ds []natsbus.Delivery) error {
	events := make([]channels.Event, 0, len(ds))
	good := make([]natsbus.Delivery, 0, len(ds))
	for _, d := range ds {
		e, err := channels.DecodeEvent(d.Data)
		if err != nil {
			b.reject(ctx, d, err)
			continue
		}
		events = append(events, e) // its JSON is its raw source (api.postEvents)
		good = append(good, d)
	}
	if len(events) == 0 {
		return nil
	}
	pending, err := b.inbox.InsertEvents(ctx, events)
	if errors.Is(err, store.ErrBadData) {
		// One event the database refuses must not hold the batch back
		// forever: insert them one by one and set the bad ones aside.
		pending, good, err = b.insertEach(ctx, events, good)
	}
	if err != nil {
		for _, d := range good {
			_ = d.Nak(time.Second)
		}
		return err
	}
	b.metrics.bridged.Add(float64(len(events)))
	if err := b.enq.EnqueueApply(ctx, pending, ""); err != nil {
		b.log.WarnContext(ctx, "enqueue apply failed; the reconciler will pick the events up", "error", err, "events", len(pending))
	}
	for _, d := range good {
		_ = d.Ack()
	}
	return nil
}

// insertEach inserts events one at a time after their batch was refused
// for its data; the ones refused alone go to rejected_events. It returns
// the pending ids and the deliveries still to acknowledge.
func (b *Bridge) insertEach(ctx context.Context, events []channels.Event, ds []natsbus.Delivery) ([]string, []natsbus.Delivery, error) {
	var pending []string
	kept := ds[:0:0]
	for i, e := range events {
		p, err := b.inbox.InsertEvents(ctx, []channels.Event{e})
		switch {
		case errors.Is(err, store.ErrBadData):
			b.reject(ctx, ds[i], err)
		case err != nil:
			return nil, append(kept, ds[i:]...), err
		default:
			pending = append(pending, p...)
			kept = append(kept, ds[i])
		}
	}
	return pending, kept, nil
}

// reject keeps an undecodable payload and terminates its delivery; if it
// cannot be kept, the delivery is left for redelivery rather than lost.
func (b *Bridge) reject(ctx context.Context, d natsbus.Delivery, cause error) {
	if err := b.inbox.InsertRejected(ctx, d.Subject, cause.Error(), d.Data); err != nil {
		b.log.ErrorContext(ctx, "cannot keep rejected event; leaving it on NATS", "error", err, "subject", d.Subject)
		_ = d.Nak(5 * time.Second)
		return
	}
	b.metrics.rejected.Inc()
	b.log.WarnContext(ctx, "rejected undecodable event", "subject", d.Subject, "msg_id", d.MsgID, "error", cause)
	_ = d.Term(cause.Error())
}

// backoff is a capped exponential backoff for loops that retry forever.
type backoff struct{ cur, min, max time.Duration }

func newBackoff(minD, maxD time.Duration) *backoff { return &backoff{cur: minD, min: minD, max: maxD} }

func (b *backoff) reset() { b.cur = b.min }

func (b *backoff) wait(ctx context.Context) {
	t := time.NewTimer(b.cur)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	b.cur = min(b.cur*2, b.max)
}

var errBadPayload = errors.New("bad task payload")
