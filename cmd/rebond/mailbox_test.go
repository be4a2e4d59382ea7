//go:build mailbox

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/client"

	"github.com/rebond/rebond/email/inbound"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/natsbus"
	"github.com/rebond/rebond/store"
)

// mailboxDate is the INTERNALDATE of the test's mails: the parser uses it
// for reports that carry no date, so the expected events can be derived.
var mailboxDate = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// mailboxCorpus is n mails cycled from email/testdata (corpus and lab),
// each made distinct by its Date header (the time of the events of a
// report without its own), and every tenth a mail that is no bounce.
func mailboxCorpus(t *testing.T, n int) [][]byte {
	t.Helper()
	var files [][]byte
	for _, dir := range []string{"../../email/testdata/corpus/maildir", "../../email/testdata/lab"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") {
				return err
			}
			b, err := os.ReadFile(path)
			files = append(files, b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	out := make([][]byte, n)
	for i := range out {
		date := "Date: " + mailboxDate.Add(time.Duration(i)*time.Second).Format(time.RFC1123Z)
		if i%10 == 9 {
			out[i] = fmt.Appendf(nil, "From: ann@example.org\r\nTo: bounces@example.com\r\n%s\r\n"+
				"Message-ID: <lunch-%d@example.org>\r\nSubject: lunch?\r\n\r\nNo bounce here.\r\n", date, i)
			continue
		}
		out[i] = redate(files[i%len(files)], date)
	}
	return out
}

// redate replaces the first Date header of mail's header, or adds one.
func redate(mail []byte, date string) []byte {
	head, _, _ := bytes.Cut(mail, []byte("\n\n"))
	if h, _, ok := bytes.Cut(mail, []byte("\r\n\r\n")); ok && len(h) < len(head) {
		head = h
	}
	loc := dateHeader.FindIndex(head)
	if loc == nil {
		return append([]byte(date+"\r\n"), mail...)
	}
	return slices.Concat(mail[:loc[0]], []byte(date), mail[loc[1]:])
}

var dateHeader = regexp.MustCompile(`(?mi)^Date:[^\r\n]*`)

// expectMailbox is what the pipeline must store for mails: the distinct
// event keys, and the mails that give no event (each kept as rejected).
func expectMailbox(t *testing.T, cfg Config, mails [][]byte) (events, rejected int) {
	t.Helper()
	parse, err := mailParser(cfg)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, m := range mails {
		evs, _, err := parse(inbound.Message{ID: "x", Data: m, ReceivedAt: mailboxDate})
		if err != nil || len(evs) == 0 {
			rejected++
			continue
		}
		for _, e := range evs {
			if err := e.Normalize(); err != nil {
				t.Fatalf("corpus event does not normalize: %v", err)
			}
			keys[e.Key()] = true
		}
	}
	return len(keys), rejected
}

// TestMailboxKilled is issue 18's acceptance test: 2,000 bounce mails in
// a real Dovecot mailbox, `rebond serve` polling it killed with SIGKILL
// half-way, restarted: every mail spooled once (JetStream holds 2,000),
// classified once (the exact events and rejected rows), all moved out of
// INBOX, none lost.
func TestMailboxKilled(t *testing.T) {
	t.Parallel()
	d := testsvc.StartDovecot(t)
	const total = 2000
	mails := mailboxCorpus(t, total)
	appendAt(t, d, mails)
	bin := buildBinary(t)
	cfg := testConfig(t, 3, map[string]string{"REBOND_NATS_EMBEDDED_PASSWORD": testNATSPassword})
	wantEvents, wantRejected := expectMailbox(t, cfg, mails)
	t.Logf("expect %d events, %d rejected", wantEvents, wantRejected)

	file := filepath.Join(t.TempDir(), "rebond.yaml")
	yaml := fmt.Sprintf(`mailboxes:
  - name: killed
    addr: %s
    tls: none
    username: %s
    password: %s
    poll_interval: 1s
    batch: 25
`, d.Addr, testsvc.DovecotUser, testsvc.DovecotPassword)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(procEnv(cfg), "REBOND_CONFIG="+file, "REBOND_NATS_EMBEDDED_PASSWORD="+testNATSPassword)
	base := "http://" + cfg.HTTP.Addr
	st, err := store.Open(context.Background(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	imap := d.Client(t)

	p := startProc(t, bin, env, base)
	for left := inboxCount(t, imap); left > total/2; left = inboxCount(t, imap) {
		time.Sleep(5 * time.Millisecond)
	}
	p.kill()
	t.Logf("killed with %d mails left in INBOX", inboxCount(t, imap))
	startProc(t, bin, env, base)

	deadline := time.Now().Add(3 * time.Minute)
	for {
		applied, pending, _ := st.CountEvents(context.Background())
		rejected, _ := st.CountRejected(context.Background(), "smtp")
		left := inboxCount(t, imap)
		if left == 0 && applied == int64(wantEvents) && pending == 0 && rejected == int64(wantRejected) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 3 minutes: %d in INBOX, %d events applied (%d pending), %d rejected; want 0, %d, 0, %d",
				left, applied, pending, rejected, wantEvents, wantRejected)
		}
		time.Sleep(100 * time.Millisecond)
	}
	moved := d.Count(t, "rebond/processed") + d.Count(t, "rebond/unparsed")
	if moved != total {
		t.Fatalf("moved %d mails, want %d", moved, total)
	}
	bus, err := natsbus.Connect(context.Background(), natsbus.Config{URL: natsTestURL(cfg), Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	usage, err := bus.Usage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range usage {
		if u.Stream == "REBOND_INBOUND" && u.Messages != total {
			t.Fatalf("the spool holds %d mails, want %d (each once)", u.Messages, total)
		}
	}
	// Settled: nothing more arrives later (a late duplicate would).
	time.Sleep(2 * time.Second)
	applied, _, _ := st.CountEvents(context.Background())
	rejected, _ := st.CountRejected(context.Background(), "smtp")
	if applied != int64(wantEvents) || rejected != int64(wantRejected) {
		t.Fatalf("later: %d events, %d rejected; want %d, %d", applied, rejected, wantEvents, wantRejected)
	}
}

// appendAt stores mails in INBOX with mailboxDate as INTERNALDATE.
func appendAt(t *testing.T, d *testsvc.Dovecot, mails [][]byte) {
	t.Helper()
	c := d.Client(t)
	for i, m := range mails {
		if err := c.Append("INBOX", nil, mailboxDate, strings.NewReader(string(m))); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

// inboxCount is the number of mails in INBOX.
func inboxCount(t *testing.T, c *client.Client) uint32 {
	t.Helper()
	mb, err := c.Select("INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	return mb.Messages
}
