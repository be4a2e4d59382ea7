package smpp

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/channels"
)

// recorder is a channels.Publisher that keeps what it was given, keyed by
// event id as the bus de-duplicates, and fails while fail is positive.
type recorder struct {
	mu     sync.Mutex
	byID   map[string]channels.Event
	calls  map[string]int
	order  []string
	fail   atomic.Int32
	notify chan string
}

func newRecorder() *recorder {
	return &recorder{byID: map[string]channels.Event{}, calls: map[string]int{}, notify: make(chan string, 1024)}
}

func (r *recorder) Publish(_ context.Context, evs []channels.Event) error {
	if r.fail.Add(-1) >= 0 {
		return errors.New("bus down")
	}
	r.fail.Store(0)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range evs {
		if _, ok := r.byID[e.ID]; !ok {
			r.order = append(r.order, e.ID)
		}
		r.byID[e.ID] = e
		r.calls[e.ID]++
		select {
		case r.notify <- e.ID:
		default:
		}
	}
	return nil
}

// event returns the event published with id.
func (r *recorder) event(t testing.TB, id string) channels.Event {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byID[id]
	if !ok {
		t.Fatalf("event %q not published; have %v", id, r.order)
	}
	return e
}

// ids returns the distinct ids published, in order, with their call counts.
func (r *recorder) ids() ([]string, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := make(map[string]int, len(r.calls))
	for k, v := range r.calls {
		calls[k] = v
	}
	return append([]string(nil), r.order...), calls
}

// testGateway is a gateway tuned for tests: quick reconnects, an
// enquire_link interval long enough not to interfere unless a test sets it.
func testGateway(addr string) Gateway {
	return Gateway{
		Name: "gw", Addr: addr, SystemID: "rebond", Password: "secret", SystemType: "dlr",
		Dialect: "map", EnquireLink: time.Hour, ResponseTimeout: 2 * time.Second,
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 50 * time.Millisecond,
	}
}

// running is an ESME under test.
type running struct {
	esme   *ESME
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
}

// startESME runs an ESME against the gateways until the test ends; the
// cleanup cancels it and waits for Run to return.
func startESME(t testing.TB, pub channels.Publisher, gws ...Gateway) *running {
	t.Helper()
	return startESMEStore(t, pub, nil, gws...)
}

// startESMEStore is startESME with a store (nil: none).
func startESMEStore(t testing.TB, pub channels.Publisher, st Store, gws ...Gateway) *running {
	t.Helper()
	return startESMEConfig(t, pub, st, Config{Gateways: gws})
}

// startESMEConfig is startESMEStore with a whole configuration.
func startESMEConfig(t testing.TB, pub channels.Publisher, st Store, cfg Config) *running {
	t.Helper()
	reg := prometheus.NewRegistry()
	e, err := New(cfg, pub, st, testLogger(t), reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{esme: e, reg: reg, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- e.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the ESME and waits for Run; calling it twice is harmless.
func (r *running) stop(t testing.TB) {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			t.Errorf("Run: %v", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(waitFor):
		t.Fatalf("Run did not return within %s of the cancel", waitFor)
	}
}

// testLogger writes to the test's output, shown on failure or with -v;
// benchmarks log only warnings, as every receipt logs at debug.
func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelDebug
	if _, ok := t.(*testing.B); ok {
		level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
}
