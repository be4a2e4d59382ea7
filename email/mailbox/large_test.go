//go:build mailbox

package mailbox_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
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

// TestPollerLarge empties a mailbox of 20,000 mails (make test-mailbox):
// the heap stays bounded by a batch, whatever the folder holds. (100,000
// takes over 10 minutes here: Dovecot's maildir rescans its cur directory
// after each batch's move, which grows with the folder; the poller's own
// memory does not.)
func TestPollerLarge(t *testing.T) {
	t.Parallel()
	const total = 20_000
	d := testsvc.StartDovecot(t)
	mails := corpus(t, 50)
	d.WriteMaildir(t, total, func(i int) []byte {
		return append(fmt.Appendf(nil, "X-Rebond-Test: %d\r\n", i), mails[i%len(mails)]...)
	})
	spool := &countSpool{}
	cfg := config(d)
	cfg.Batch = 200
	p, err := mailbox.New(cfg, spool, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = p.Run(ctx) }()
	var peak uint64
	deadline := time.Now().Add(10 * time.Minute)
	for p.Status().Processed+p.Status().Unparsed < total {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 minutes: %+v", p.Status())
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%d mails moved, %d spooled, peak heap in use %d MiB", total, spool.n.Load(), peak>>20)
	if spool.n.Load() != total {
		t.Fatalf("spooled %d, want %d", spool.n.Load(), total)
	}
	if peak > 128<<20 {
		t.Fatalf("peak heap %d MiB: not bounded by a batch", peak>>20)
	}
}
