package mailbox

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"

	"github.com/rebond/rebond/email/inbound"
)

// fetched is one mail of a batch.
type fetched struct {
	uid     uint32
	spooled bool // flagged SpooledFlag by an earlier round
	msg     inbound.Message
}

// batch spools the first n mails of the selected folder, flags them
// spooled, then moves them: nothing leaves the folder before the spool
// holds it.
func (p *Poller) batch(ctx context.Context, c *client.Client, uidValidity, n uint32) error {
	mails, err := p.fetch(c, uidValidity, n)
	if err != nil {
		return err
	}
	var spooled, done, bad imap.SeqSet
	for _, m := range mails {
		if !m.spooled {
			if err := p.spool.Store(ctx, m.msg); err != nil {
				return fmt.Errorf("spool uid %d: %w", m.uid, err)
			}
			spooled.AddNum(m.uid)
		}
		if unparsed(m.msg.Data) {
			bad.AddNum(m.uid)
		} else {
			done.AddNum(m.uid)
		}
	}
	if !spooled.Empty() && keywords(c) {
		if err := c.UidStore(&spooled, imap.FormatFlagsOp(imap.AddFlags, true), []any{SpooledFlag}, nil); err != nil {
			return fmt.Errorf("flag spooled: %w", err)
		}
	}
	if err := p.move(c, &done, &bad); err != nil {
		return err
	}
	nDone, nBad := count(&done), count(&bad)
	p.count(count(&spooled), nDone, nBad)
	p.log.DebugContext(ctx, "mailbox batch moved", "spooled", count(&spooled), "processed", nDone, "unparsed", nBad)
	return nil
}

// fetch reads the first n mails (sequence numbers 1:n), at most
// SpoolLimit bytes of each.
func (p *Poller) fetch(c *client.Client, uidValidity, n uint32) ([]fetched, error) {
	section := &imap.BodySectionName{Peek: true, Partial: []int{0, p.cfg.SpoolLimit}}
	items := []imap.FetchItem{imap.FetchUid, imap.FetchFlags, imap.FetchInternalDate, imap.FetchRFC822Size, section.FetchItem()}
	var seq imap.SeqSet
	seq.AddRange(1, n)
	ch := make(chan *imap.Message, n)
	errc := make(chan error, 1)
	go func() { errc <- c.Fetch(&seq, items, ch) }()
	var out []fetched
	for m := range ch {
		body := m.GetBody(section)
		if body == nil || m.Uid == 0 {
			continue // drained; the mail is fetched again next batch
		}
		data, err := io.ReadAll(body)
		if err != nil {
			continue
		}
		out = append(out, fetched{uid: m.Uid, spooled: hasFlag(m.Flags, SpooledFlag),
			msg: inbound.Message{ID: p.ID(uidValidity, m.Uid), Tenant: p.cfg.Tenant, Source: "imap:" + p.cfg.Name,
				ReceivedAt: m.InternalDate.UTC(), Data: data, Truncated: int64(m.Size) > int64(len(data))}})
	}
	if err := <-errc; err != nil {
		return nil, fmt.Errorf("fetch 1:%d: %w", n, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("fetch 1:%d: no readable mail", n)
	}
	return out, nil
}

// move takes the spooled mails out of the folder: UID MOVE (RFC 6851), or
// COPY, STORE \Deleted and EXPUNGE where MOVE is missing (go-imap's
// fallback; that EXPUNGE removes every mail flagged \Deleted in the
// folder). With Delete, processed mails are deleted instead.
func (p *Poller) move(c *client.Client, done, bad *imap.SeqSet) error {
	if !bad.Empty() {
		if err := c.UidMove(bad, p.cfg.Unparsed); err != nil {
			return fmt.Errorf("move to %s: %w", p.cfg.Unparsed, err)
		}
	}
	if done.Empty() {
		return nil
	}
	if !p.cfg.Delete {
		if err := c.UidMove(done, p.cfg.Processed); err != nil {
			return fmt.Errorf("move to %s: %w", p.cfg.Processed, err)
		}
		return nil
	}
	if err := c.UidStore(done, imap.FormatFlagsOp(imap.AddFlags, true), []any{imap.DeletedFlag}, nil); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if err := c.Expunge(nil); err != nil {
		return fmt.Errorf("expunge: %w", err)
	}
	return nil
}

// keywords reports whether the selected folder keeps new keywords
// (PERMANENTFLAGS with \*, RFC 3501 section 7.1).
func keywords(c *client.Client) bool {
	mb := c.Mailbox()
	return mb != nil && (hasFlag(mb.PermanentFlags, `\*`) || hasFlag(mb.PermanentFlags, SpooledFlag))
}

// hasFlag compares flags case-insensitively, as RFC 3501 section 2.3.2
// has them (go-imap lower-cases keywords it reads).
func hasFlag(flags []string, flag string) bool {
	return slices.ContainsFunc(flags, func(f string) bool { return strings.EqualFold(f, flag) })
}

func count(s *imap.SeqSet) int {
	n := 0
	for _, r := range s.Set {
		n += int(r.Stop-r.Start) + 1
	}
	return n
}

// dial connects and signs in, with TLS as configured.
func (p *Poller) dial(ctx context.Context) (*client.Client, error) {
	host, _, _ := net.SplitHostPort(p.cfg.Addr)
	tc := p.cfg.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	d := &net.Dialer{Timeout: p.cfg.Timeout}
	var c *client.Client
	var err error
	if p.cfg.TLS == TLSImplicit {
		c, err = client.DialWithDialerTLS(d, p.cfg.Addr, tc)
	} else {
		c, err = client.DialWithDialer(d, p.cfg.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", p.cfg.Addr, err)
	}
	c.Timeout = p.cfg.Timeout
	c.ErrorLog = debugLog{p.log}
	if err := p.signIn(ctx, c, tc); err != nil {
		_ = c.Terminate()
		return nil, err
	}
	return c, nil
}

func (p *Poller) signIn(_ context.Context, c *client.Client, tc *tls.Config) error {
	if p.cfg.TLS == TLSStartTLS {
		ok, err := c.SupportStartTLS()
		if err != nil {
			return fmt.Errorf("capability: %w", err)
		}
		if !ok {
			return fmt.Errorf("%s offers no STARTTLS (tls: starttls)", p.cfg.Addr)
		}
		if err := c.StartTLS(tc); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	}
	if err := c.Login(p.cfg.Username, p.cfg.Password); err != nil {
		return fmt.Errorf("login as %s: %w", p.cfg.Username, err)
	}
	return nil
}

// ensureFolders creates Processed and Unparsed when missing.
func (p *Poller) ensureFolders(c *client.Client) error {
	for _, name := range []string{p.cfg.Processed, p.cfg.Unparsed} {
		ch := make(chan *imap.MailboxInfo, 4)
		if err := c.List("", name, ch); err != nil {
			return fmt.Errorf("list %s: %w", name, err)
		}
		found := false
		for range ch {
			found = true
		}
		if found {
			continue
		}
		if err := c.Create(name); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
	}
	return nil
}

// debugLog takes go-imap's own messages (a read on a connection rebond
// closed): Debug, the session's error is what Run reports.
type debugLog struct{ log *slog.Logger }

func (l debugLog) Printf(format string, v ...any) { l.log.Debug("imap: " + fmt.Sprintf(format, v...)) }
func (l debugLog) Println(v ...any)               { l.log.Debug("imap: " + fmt.Sprint(v...)) }
