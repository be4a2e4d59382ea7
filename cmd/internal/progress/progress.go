// Package progress prints the progress line of a long command on its
// standard error: "\rWHAT N/~TOTAL", rewritten every second.
package progress

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// Line prints the progress line on w every second, reading the count
// from n, until the returned function stops it and ends the line. Once
// stop returns, Line writes nothing more, so the caller may write to w.
func Line(w io.Writer, what string, n *atomic.Int64, total int64) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(w, "\r%s %d/~%d", what, n.Load(), total)
			}
		}
	}()
	return func() { close(done); <-exited; fmt.Fprintln(w) }
}

// OnTerminal starts Line after the run has lasted after, and only when w
// is a terminal: a short run, or one whose standard error is a file,
// prints nothing. The returned function stops it.
func OnTerminal(w io.Writer, after time.Duration, what string, n *atomic.Int64, total int64) (stop func()) {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	var mu sync.Mutex
	stopped := false
	var stopLine func()
	timer := time.AfterFunc(after, func() {
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			stopLine = Line(w, what, n, total)
		}
	})
	return func() {
		timer.Stop()
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		if stopLine != nil {
			stopLine()
		}
	}
}
