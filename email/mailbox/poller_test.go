package mailbox_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebond/rebond/email/inbound"
	"github.com/rebond/rebond/email/mailbox"
	"github.com/rebond/rebond/internal/testsvc"
)

// memSpool is a spool in memory, de-duplicating on the id as JetStream
// does; fail makes Store fail.
type memSpool struct {
	mu    sync.Mutex
	ids   map[string]inbound.Message
	calls int
	fail  bool
}

func (s *memSpool) Store(_ context.Context, m inbound.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail {
		return errors.New("spool down")
	}
	if s.ids == nil {
		s.ids = map[string]inbound.Message{}
	}
	s.ids[m.ID] = m
	return nil
}

func (s *memSpool) stored() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ids), s.calls
}

// corpus returns up to n mails of email/testdata (corpus and lab).
func corpus(tb testing.TB, n int) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, dir := range []string{"../testdata/corpus/maildir", "../testdata/lab"} {
		_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") || len(out) >= n {
				return err
			}
			b, err := os.ReadFile(path)
			if err == nil {
				out = append(out, b)
			}
			return err
		})
	}
	if len(out) == 0 {
		tb.Fatal("no corpus mail")
	}
	return out
}

func config(d *testsvc.Dovecot) mailbox.Config {
	return mailbox.Config{Name: "test", Addr: d.Addr, TLS: mailbox.TLSNone, Username: testsvc.DovecotUser,
		Password: testsvc.DovecotPassword, PollInterval: time.Second, Batch: 7}
}

// TestPollerMovesSpooled polls a real Dovecot: every mail spooled once,
// then moved to Processed or Unparsed, and new mail found by IDLE.
func TestPollerMovesSpooled(t *testing.T) {
	t.Parallel()
	d := testsvc.StartDovecot(t)
	mails := append(corpus(t, 59), []byte("From: a@example.org\r\nTo: b@example.net\r\nSubject: lunch?\r\n\r\nNo bounce here.\r\n"))
	d.Append(t, "INBOX", mails[:40])
	spool := &memSpool{}
	p, err := mailbox.New(config(d), spool, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	waitFor(t, func() bool { n, _ := spool.stored(); return n == 40 && d.Count(t, "INBOX") == 0 })
	d.Append(t, "INBOX", mails[40:])
	waitFor(t, func() bool { n, _ := spool.stored(); return n == 60 && d.Count(t, "INBOX") == 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := d.Count(t, "rebond/processed") + d.Count(t, "rebond/unparsed"); got != 60 {
		t.Fatalf("moved %d, want 60", got)
	}
	if d.Count(t, "rebond/unparsed") == 0 || d.Count(t, "rebond/processed") == 0 {
		t.Fatalf("processed %d, unparsed %d: the corpus has both", d.Count(t, "rebond/processed"), d.Count(t, "rebond/unparsed"))
	}
	if n, calls := spool.stored(); calls != n {
		t.Fatalf("%d stores for %d mails", calls, n)
	}
	if s := p.Status(); !s.OK || s.Spooled != 60 || s.Processed+s.Unparsed != 60 {
		t.Fatalf("status %+v", s)
	}
}

// TestPollerKeepsUnspooled: while the spool fails nothing leaves the
// folder, the mailbox reports unhealthy, and all is moved once it is back.
func TestPollerKeepsUnspooled(t *testing.T) {
	t.Parallel()
	d := testsvc.StartDovecot(t)
	d.Append(t, "INBOX", corpus(t, 10))
	spool := &memSpool{fail: true}
	p, err := mailbox.New(config(d), spool, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = p.Run(ctx) }()
	waitFor(t, func() bool { _, calls := spool.stored(); return calls > 0 && p.Ping(ctx) != nil })
	if n := d.Count(t, "INBOX"); n != 10 {
		t.Fatalf("%d mails left in INBOX while the spool fails, want 10", n)
	}
	spool.mu.Lock()
	spool.fail = false
	spool.mu.Unlock()
	waitFor(t, func() bool { return d.Count(t, "INBOX") == 0 && p.Ping(ctx) == nil })
	if n, _ := spool.stored(); n != 10 {
		t.Fatalf("spooled %d, want 10", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPollerTLS signs in over IMAPS and over STARTTLS, checking the
// server's certificate, and refuses a certificate it does not trust.
func TestPollerTLS(t *testing.T) {
	t.Parallel()
	d := testsvc.StartDovecot(t)
	mails := corpus(t, 3)
	for _, tc := range []struct {
		mode, addr string
		want       int // mails spooled; 0: the session must fail
	}{{mailbox.TLSImplicit, d.AddrTLS, 3}, {mailbox.TLSStartTLS, d.Addr, 3}, {mailbox.TLSImplicit + " untrusted", d.AddrTLS, 0}} {
		cfg := config(d)
		cfg.Name, cfg.TLS, cfg.Addr, cfg.Batch, cfg.TLSConfig = "tls", strings.Fields(tc.mode)[0], tc.addr, 3, d.TLS
		if tc.want == 0 {
			cfg.TLSConfig = nil // the system roots: the test certificate is unknown
		}
		d.Append(t, "INBOX", mails) // each mode moves its own
		spool := &memSpool{}
		p, err := mailbox.New(cfg, spool, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { _ = p.Run(ctx) }()
		if tc.want == 0 {
			waitFor(t, func() bool { s := p.Status(); return strings.Contains(s.LastError, "certificate") })
		} else {
			waitFor(t, func() bool { return p.Status().Processed >= int64(tc.want) })
		}
		cancel()
		t.Logf("%s: %+v", tc.mode, p.Status())
	}
}

// TestPollerSkipsSpooled: a mail flagged $RebondSpooled (spooled before a
// crash, a restart past the de-duplication window, or a UIDVALIDITY
// change) is moved without being spooled again.
func TestPollerSkipsSpooled(t *testing.T) {
	t.Parallel()
	d := testsvc.StartDovecot(t)
	c := d.Client(t)
	for i, m := range corpus(t, 5) {
		var flags []string
		if i < 3 {
			flags = []string{mailbox.SpooledFlag}
		}
		if err := c.Append("INBOX", flags, time.Now(), bytes.NewReader(m)); err != nil {
			t.Fatal(err)
		}
	}
	spool := &memSpool{}
	p, err := mailbox.New(config(d), spool, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = p.Run(ctx) }()
	waitFor(t, func() bool { return d.Count(t, "INBOX") == 0 })
	if n, calls := spool.stored(); n != 2 || calls != 2 {
		t.Fatalf("spooled %d (%d calls), want the 2 unflagged", n, calls)
	}
}
