//go:build mailbox

package mailbox_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebond/rebond/email/inbound"
	"github.com/rebond/rebond/email/mailbox"
	"github.com/rebond/rebond/internal/testsvc"
)

// countSpool counts what it is given and keeps nothing.
type countSpool struct{ n atomic.Int64 }

func (s *countSpool) Store(context.Context, inbound.Message) error { s.n.Add(1); return nil }

// TestPollerLarge empties a mailbox of 20,000 mails (make test-mailbox),
// or REBOND_MAILBOX_MAILS of them (make soak-mailbox: 100,000): the heap
// stays bounded by a batch, whatever the folder holds. It logs the heap
// in use and the process's peak RSS (VmHWM) as the mailbox empties, at
// 20,000, 50,000 and 100,000 mails moved and at the end, so a heap that
// grows with the mailbox shows as a rising column, not only as a failed
// bound.
func TestPollerLarge(t *testing.T) {
	t.Parallel()
	total := 20_000
	if s := os.Getenv("REBOND_MAILBOX_MAILS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("REBOND_MAILBOX_MAILS=%q: want a positive number of mails", s)
		}
		total = n
	}
	d := testsvc.StartDovecot(t)
	mails := corpus(t, 50)
	start := time.Now()
	d.WriteMaildir(t, total, func(i int) []byte {
		return append(fmt.Appendf(nil, "X-Rebond-Test: %d\r\n", i), mails[i%len(mails)]...)
	})
	t.Logf("%d mails written to the maildir in %s", total, time.Since(start).Round(time.Millisecond))
	spool := &countSpool{}
	cfg := config(d)
	cfg.Batch = 200
	p, err := mailbox.New(cfg, spool, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start = time.Now()
	go func() { _ = p.Run(ctx) }()
	var peak uint64
	marks := []int64{20_000, 50_000, 100_000}
	limit := 10 * time.Minute
	deadline := start.Add(limit)
	for {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		st := p.Status()
		moved := st.Processed + st.Unparsed
		for len(marks) > 0 && moved >= marks[0] {
			rss, hwm := vm(t)
			t.Logf("%7d moved after %9s: heap in use %3d MiB (peak %3d), RSS %3d MiB (peak %3d)", moved,
				time.Since(start).Round(time.Millisecond), ms.HeapInuse>>20, peak>>20, rss>>20, hwm>>20)
			marks = marks[1:]
		}
		if moved >= int64(total) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %+v", limit, st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	elapsed := time.Since(start)
	_, hwm := vm(t)
	t.Logf("%d mails moved in %s (%.0f mails/s), %d spooled, peak heap in use %d MiB, peak RSS %d MiB",
		total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), spool.n.Load(), peak>>20, hwm>>20)
	if spool.n.Load() != int64(total) {
		t.Fatalf("spooled %d, want %d", spool.n.Load(), total)
	}
	if peak > 128<<20 {
		t.Fatalf("peak heap %d MiB: not bounded by a batch", peak>>20)
	}
}

// vm returns the test process's resident set size and its peak, in bytes
// (VmRSS and VmHWM of /proc/self/status): what the operating system gave,
// which the heap's figure alone would not show (stacks, the runtime, the
// race detector's shadow memory under -race).
func vm(tb testing.TB) (rss, hwm uint64) {
	tb.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatal(err)
	}
	for line := range bytes.Lines(b) {
		for name, v := range map[string]*uint64{"VmRSS:": &rss, "VmHWM:": &hwm} {
			rest, ok := bytes.CutPrefix(line, []byte(name))
			if !ok {
				continue
			}
			kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
			if err != nil {
				tb.Fatalf("%s %q: %v", name, rest, err)
			}
			*v = kb << 10
		}
	}
	if rss == 0 || hwm == 0 {
		tb.Fatal("no VmRSS or VmHWM in /proc/self/status")
	}
	return rss, hwm
}
