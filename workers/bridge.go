package workers

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/natsbus"
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
// transactions of at most BatchSize events, each enqueued as it commits;
// a delivery is finished (finishDelivery) as soon as the transaction
// holding its last event commits, and the ones still waiting are told the
// work is in progress, so a large fetch never outlives the consumer's
// AckWait. Rejected parts are saved only when their delivery is finished:
// a delivery that goes back for redelivery has saved nothing, and is not
// saved twice.
func (b *Bridge) handle(ctx context.Context, ds []natsbus.Delivery) (int, error) {
	f := fetch{ds: ds, bad: make([][]rejected, len(ds)), last: make([]int, len(ds))}
	for i, d := range ds {
		f.last[i] = -1
		for _, p := range d.Events() {
			e, err := channels.DecodeEvent(p)
			if err != nil {
				f.bad[i] = append(f.bad[i], rejected{p, err})
				continue
			}
			f.last[i] = len(f.events)
			f.events = append(f.events, e) // its JSON is its raw source (api.postEvents)
			f.raws = append(f.raws, p)
			f.from = append(f.from, i)
		}
	}
	finished := make([]bool, len(ds))
	finishUpTo := func(upTo int) { // every delivery whose events are all below upTo
		for i, d := range ds {
			if !finished[i] && f.last[i] < upTo {
				finished[i] = true
				b.finishDelivery(ctx, d, f.bad[i], f.last[i] >= 0)
			}
		}
	}
	finishUpTo(0) // deliveries with nothing to store
	for lo := 0; lo < len(f.events); lo += b.cfg.BatchSize {
		hi := min(lo+b.cfg.BatchSize, len(f.events))
		if err := b.insertAndEnqueue(ctx, &f, lo, hi); err != nil {
			for i, d := range ds {
				if !finished[i] {
					_ = d.Nak(time.Second) // not stored: the insert is idempotent
				}
			}
			return len(f.events), err
		}
		finishUpTo(hi)
		for i, d := range ds {
			if !finished[i] {
				_ = d.InProgress()
			}
		}
	}
	return len(f.events), nil
}

// fetch is what one fetch carried: its events in order, each with its JSON
// and the index of its delivery, and each delivery's rejected parts and
// the index of its last event (-1: none).
type fetch struct {
	ds     []natsbus.Delivery
	events []channels.Event
	raws   [][]byte
	from   []int
	bad    [][]rejected
	last   []int
}

// rejected is a part of a delivery that is no event: what it was, and why.
type rejected struct {
	payload []byte
	cause   error
}

// finishDelivery saves a delivery's rejected parts, then acknowledges it
// (it carried events, all stored) or terminates it (it carried nothing
// else); a part that cannot be saved leaves the delivery for redelivery
// instead.
func (b *Bridge) finishDelivery(ctx context.Context, d natsbus.Delivery, bad []rejected, carried bool) {
	for _, r := range bad {
		if !b.saveRejected(ctx, d, r.payload, r.cause) {
			_ = d.Nak(5 * time.Second)
			return
		}
	}
	if carried {
		_ = d.Ack()
		return
	}
	_ = d.Term("no decodable event (kept in rejected_events)")
}

// insertAndEnqueue inserts the fetch's events [lo, hi) into the inbox in
// one transaction and enqueues the ones still to apply.
func (b *Bridge) insertAndEnqueue(ctx context.Context, f *fetch, lo, hi int) error {
	events := f.events[lo:hi]
	pending, err := b.inbox.InsertEvents(ctx, events)
	if errors.Is(err, store.ErrBadData) {
		// One event the database refuses must not hold the batch back
		// forever: insert them one by one and set the bad ones aside.
		pending, err = b.insertEach(ctx, f, lo, hi)
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

// insertEach inserts the fetch's events [lo, hi) one at a time after
// their batch was refused for its data; the ones refused alone become
// rejected parts of their delivery. It returns the pending ids.
func (b *Bridge) insertEach(ctx context.Context, f *fetch, lo, hi int) ([]string, error) {
	var pending []string
	for i := lo; i < hi; i++ {
		p, err := b.inbox.InsertEvents(ctx, []channels.Event{f.events[i]})
		switch {
		case errors.Is(err, store.ErrBadData):
			d := f.from[i]
			f.bad[d] = append(f.bad[d], rejected{f.raws[i], err})
		case err != nil:
			return nil, err
		default:
			pending = append(pending, p...)
		}
	}
	return pending, nil
}

// saveRejected stores a payload that cannot become an event in
// rejected_events and reports whether it could; the caller leaves its
// delivery for redelivery when not, so nothing is lost.
func (b *Bridge) saveRejected(ctx context.Context, d natsbus.Delivery, payload []byte, cause error) bool {
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
