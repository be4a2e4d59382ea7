package smpp

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestBackoffSteps: the defaults (1s, 1m) wait at most 1, 2, 4, 5, 5
// seconds after a reset (earlyCap for earlyTries), then double to the
// minute; a reset starts over.
func TestBackoffSteps(t *testing.T) {
	t.Parallel()
	b := newBackoff(DefaultReconnectMin, DefaultReconnectMax)
	var got []time.Duration
	for range 10 {
		got = append(got, b.step()/time.Second)
	}
	if diff := cmp.Diff([]time.Duration{1, 2, 4, 5, 5, 10, 20, 40, 60, 60}, got); diff != "" {
		t.Errorf("steps in seconds (-want +got):\n%s", diff)
	}
	b.reset()
	if d, tries := b.state(); d != time.Second || tries != 0 {
		t.Errorf("after reset: next %s after %d tries, want 1s after 0", d, tries)
	}
}

// syncBuffer is a log sink the ESME's goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startLogged runs an ESME whose log lines the test reads.
func startLogged(t *testing.T, gw Gateway) (*ESME, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	e, err := New(Config{Gateways: []Gateway{gw}}, newRecorder(), nil, slog.New(slog.NewTextHandler(buf, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e, buf
}

// waitUntil polls cond until it holds or waitFor passes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", waitFor, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestReconnectDialFailed: an SMSC that is not listening is a failed dial,
// logged as such (never "bind lost"), and each failure lengthens the wait.
func TestReconnectDialFailed(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e, logs := startLogged(t, testGateway(addr))
	waitUntil(t, "three failed dials", func() bool { return strings.Count(logs.String(), "smpp dial failed") >= 3 })
	if strings.Contains(logs.String(), "bind lost") || strings.Contains(logs.String(), "bind refused") {
		t.Errorf("a failed dial logged as a bind:\n%s", logs)
	}
	if _, tries := e.binds[0].bo.state(); tries < 3 {
		t.Errorf("%d waits counted, want at least 3", tries)
	}
}

// TestReconnectResetOnBind: refused binds back off; the bind that holds
// resets the backoff at once (not after holding reconnect_max), so a loss
// right after it retries at reconnect_min. Refusals and the loss are
// logged as what they were.
func TestReconnectResetOnBind(t *testing.T) {
	t.Parallel()
	smsc := newFakeSMSC(t)
	smsc.refuse.Store(3)
	gw := testGateway(smsc.addr())
	gw.ReconnectMax = time.Hour // the old rule would reset only after an hour bound
	e, logs := startLogged(t, gw)
	c := smsc.next(t)
	bo := e.binds[0].bo
	waitUntil(t, "backoff reset by the bind", func() bool { _, tries := bo.state(); return tries == 0 })
	if d, _ := bo.state(); d != gw.ReconnectMin {
		t.Errorf("next wait after the bind %s, want reconnect_min %s", d, gw.ReconnectMin)
	}
	if n := strings.Count(logs.String(), "smpp bind refused"); n != 3 {
		t.Errorf("%d refusals logged, want 3:\n%s", n, logs)
	}
	c.nc.Close()
	smsc.next(t)
	if !strings.Contains(logs.String(), "smpp bind lost") {
		t.Errorf("the lost bind was not logged as lost:\n%s", logs)
	}
}
