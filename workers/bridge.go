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
	// A message carries one event (external producers) or up to
	// natsbus.BatchEvents (natsbus.Publish): the fetch asks for the number
	// of messages that should make BatchSize events, from a running
	// average of events per message, starting from the larger guess so
	// that the first fetch is never a hundred batches' worth.
	perMsg := float64(natsbus.BatchEvents)
	for ctx.Err() == nil {
		want := max(1, min(b.cfg.BatchSize, int(float64(b.cfg.BatchSize)/perMsg)))
		ds, err := b.fetcher.Fetch(ctx, want, b.cfg.FetchWait)
		n := 0
		if err == nil && len(ds) > 0 {
			n, err = b.handle(ctx, ds)
			perMsg = max(1, (perMsg+float64(n)/float64(len(ds)))/2)
		}
		if err != nil && ctx.Err() == nil {
			b.log.WarnContext(ctx, "bridge batch failed; retrying", "error", err, "messages", len(ds))
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
// A delivery carries one event or, from natsbus.Publish, several; an event
// that cannot be decoded or stored is kept in rejected_events on its own,
// and its delivery is still acknowledged for the others (terminated when
// it carried nothing else), or left for redelivery if it could not be kept.
//
// It returns how many events the deliveries carried. They are stored in
// transactions of at most BatchSize events, each enqueued as it commits,
// and the deliveries acknowledged once all are stored.
func (b *Bridge) handle(ctx context.Context, ds []natsbus.Delivery) (int, error) {
	var (
		events []channels.Event
		raws   [][]byte // each event's JSON, kept if the database refuses it
		from   []int    // the delivery each event came in
	)
	hold := make([]bool, len(ds)) // a part could not be kept: redeliver
	for i, d := range ds {
		for _, p := range d.Events() {
			e, err := channels.DecodeEvent(p)
			if err != nil {
				hold[i] = hold[i] || !b.keep(ctx, d, p, err)
				continue
			}
			events = append(events, e) // its JSON is its raw source (api.postEvents)
			raws = append(raws, p)
			from = append(from, i)
		}
	}
	carried := make([]bool, len(ds))
	for _, i := range from {
		carried[i] = true
	}
	var err error
	for lo := 0; lo < len(events) && err == nil; lo += b.cfg.BatchSize {
		hi := min(lo+b.cfg.BatchSize, len(events))
		err = b.store(ctx, events[lo:hi], raws[lo:hi], from[lo:hi], ds, hold)
	}
	for i, d := range ds {
		switch {
		case carried[i] && err != nil:
			_ = d.Nak(time.Second) // not stored: the insert is idempotent
		case hold[i]:
			_ = d.Nak(5 * time.Second)
		case carried[i]:
			_ = d.Ack()
		default: // nothing in it could be decoded, and all of it is kept
			_ = d.Term("no decodable event (kept in rejected_events)")
		}
	}
	return len(events), err
}

// store inserts one transaction's worth of events and enqueues the ones
// still to apply.
func (b *Bridge) store(ctx context.Context, events []channels.Event, raws [][]byte, from []int, ds []natsbus.Delivery, hold []bool) error {
	pending, err := b.inbox.InsertEvents(ctx, events)
	if errors.Is(err, store.ErrBadData) {
		// One event the database refuses must not hold the batch back
		// forever: insert them one by one and set the bad ones aside.
		pending, err = b.insertEach(ctx, events, raws, from, ds, hold)
	}
	if err != nil {
		return err
	}
	b.metrics.bridged.Add(float64(len(events)))
	if err := b.enq.EnqueueApply(ctx, pending, ""); err != nil {
		b.log.WarnContext(ctx, "enqueue apply failed; the reconciler will pick the events up", "error", err, "events", len(pending))
	}
	return nil
}

// insertEach inserts events one at a time after their batch was refused
// for its data; the ones refused alone go to rejected_events (a delivery
// one of them could not be kept for is marked in hold). It returns the
// pending ids.
func (b *Bridge) insertEach(ctx context.Context, events []channels.Event, raws [][]byte, from []int, ds []natsbus.Delivery, hold []bool) ([]string, error) {
	var pending []string
	for i, e := range events {
		p, err := b.inbox.InsertEvents(ctx, []channels.Event{e})
		switch {
		case errors.Is(err, store.ErrBadData):
			d := from[i]
			hold[d] = hold[d] || !b.keep(ctx, ds[d], raws[i], err)
		case err != nil:
			return nil, err
		default:
			pending = append(pending, p...)
		}
	}
	return pending, nil
}

// keep stores a payload that cannot become an event in rejected_events and
// reports whether it could; the caller leaves its delivery for redelivery
// when not, so nothing is lost.
func (b *Bridge) keep(ctx context.Context, d natsbus.Delivery, payload []byte, cause error) bool {
	if err := b.inbox.InsertRejected(ctx, d.Subject, cause.Error(), payload); err != nil {
		b.log.ErrorContext(ctx, "cannot keep rejected event; leaving it on NATS", "error", err, "subject", d.Subject)
		return false
	}
	b.metrics.rejected.Inc()
	b.log.WarnContext(ctx, "rejected event", "subject", d.Subject, "msg_id", d.MsgID, "error", cause)
	return true
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
