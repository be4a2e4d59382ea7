package natsbus

import (
	"context"
	"sync"
	"time"

	"github.com/rebond/rebond/channels"
)

// Coalescer is a channels.Publisher for sources that publish one event at
// a time and wait for it to be stored, many at once: SMPP receipts, which
// rebond acknowledges to the SMSC only once JetStream has them (one
// goroutine per receipt in a bind's window). It gathers the events of
// concurrent Publish calls for up to a linger time, or until BatchEvents,
// publishes them together (Bus.Publish then makes one message of them per
// channel), and answers every caller with the result of the publish that
// carried its events. A caller whose ctx ends first returns its error; its
// events may still be stored, which the inbox's key makes harmless.
type Coalescer struct {
	pub     channels.Publisher
	linger  time.Duration
	timeout time.Duration

	mu      sync.Mutex
	events  []channels.Event
	waiters []chan error
	timer   *time.Timer
}

// NewCoalescer wraps pub. linger is how long the first event of a batch
// waits for company (a few milliseconds: it adds to every event's
// latency); timeout bounds each publish of a batch.
func NewCoalescer(pub channels.Publisher, linger, timeout time.Duration) *Coalescer {
	return &Coalescer{pub: pub, linger: linger, timeout: timeout}
}

// Publish implements channels.Publisher.
func (c *Coalescer) Publish(ctx context.Context, events []channels.Event) error {
	if len(events) == 0 {
		return nil
	}
	done := make(chan error, 1)
	c.mu.Lock()
	c.events = append(c.events, events...)
	c.waiters = append(c.waiters, done)
	switch {
	case len(c.events) >= BatchEvents:
		evs, ws := c.take()
		go c.send(evs, ws)
	case c.timer == nil:
		c.timer = time.AfterFunc(c.linger, c.flush)
	}
	c.mu.Unlock()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// take empties the batch; the caller holds c.mu.
func (c *Coalescer) take() ([]channels.Event, []chan error) {
	evs, ws := c.events, c.waiters
	c.events, c.waiters = nil, nil
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	return evs, ws
}

// flush publishes what the linger time gathered.
func (c *Coalescer) flush() {
	c.mu.Lock()
	evs, ws := c.take()
	c.mu.Unlock()
	if len(evs) > 0 {
		c.send(evs, ws)
	}
}

func (c *Coalescer) send(evs []channels.Event, ws []chan error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	err := c.pub.Publish(ctx, evs)
	for _, w := range ws {
		w <- err // buffered: a caller that gave up does not block the others
	}
}
