package natsbus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
)

// countingPublisher records every Publish call, failing them while fail.
type countingPublisher struct {
	mu    sync.Mutex
	calls [][]string
	fail  bool
}

func (p *countingPublisher) Publish(_ context.Context, evs []channels.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return errors.New("no responders")
	}
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	p.calls = append(p.calls, ids)
	return nil
}

// TestCoalescer: 250 concurrent one-event publishes become a few batches of
// at most BatchEvents, every event in exactly one; each caller hears the
// result of its batch, including a failure.
func TestCoalescer(t *testing.T) {
	t.Parallel()
	pub := &countingPublisher{}
	c := NewCoalescer(pub, 20*time.Millisecond, time.Second)
	publishAll := func(n int) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = c.Publish(context.Background(), []channels.Event{event(i)}) })
		}
		wg.Wait()
		return errs
	}
	for i, err := range publishAll(250) {
		if err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	seen := map[string]int{}
	for _, call := range pub.calls {
		if len(call) > BatchEvents {
			t.Errorf("a batch of %d events, over %d", len(call), BatchEvents)
		}
		for _, id := range call {
			seen[id]++
		}
	}
	if len(seen) != 250 || len(pub.calls) > 25 {
		t.Errorf("%d distinct events in %d publishes; want 250 in a few", len(seen), len(pub.calls))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s published %d times", id, n)
		}
	}

	pub.mu.Lock()
	pub.fail = true
	pub.mu.Unlock()
	for i, err := range publishAll(10) {
		if err == nil {
			t.Errorf("publish %d: no error from a failed batch", i)
		}
	}

	// A caller that gives up returns its own error at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	slow := NewCoalescer(pub, time.Hour, time.Second)
	if err := slow.Publish(ctx, []channels.Event{event(1)}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", fmt.Sprint(err))
	}
}
