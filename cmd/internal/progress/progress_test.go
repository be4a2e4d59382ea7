package progress

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer the line's goroutine and the test share.
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

// TestLine: the line shows the count every second and ends with a
// newline when stopped.
func TestLine(t *testing.T) {
	t.Parallel()
	var w syncBuffer
	var n atomic.Int64
	n.Store(3)
	stop := Line(&w, "posted", &n, 10)
	time.Sleep(1200 * time.Millisecond)
	stop()
	if got := w.String(); !strings.HasPrefix(got, "\rposted 3/~10") || !strings.HasSuffix(got, "\n") {
		t.Errorf("line %q, want \\rposted 3/~10 then a newline", got)
	}
}

// TestOnTerminalNotATerminal: a writer that is no terminal gets nothing.
func TestOnTerminalNotATerminal(t *testing.T) {
	t.Parallel()
	var w syncBuffer
	var n atomic.Int64
	stop := OnTerminal(&w, time.Millisecond, "classified", &n, 10)
	time.Sleep(1100 * time.Millisecond)
	stop()
	if w.String() != "" {
		t.Errorf("printed %q on a buffer", w.String())
	}
}
