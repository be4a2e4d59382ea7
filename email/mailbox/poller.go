// Package mailbox polls bounce mailboxes over IMAP (RFC 3501): for senders
// who cannot point an MX at rebond, their bounces land in a mailbox at
// their provider. Each mail is spooled exactly as the SMTP listener spools
// what it receives (email/inbound), and only once the spool holds it is it
// moved out of the polled folder, to Processed or, when rebond reads no
// report in it, Unparsed. POP3 is not supported.
//
// Exactly once: the spool id of a mail is derived from the mailbox's
// identity, the folder's UIDVALIDITY and the mail's UID (RFC 3501 section
// 2.3.1.1: together they name one mail for ever), and the spool is
// de-duplicated on it; a mail spooled but not yet moved (a crash between
// the two) is spooled again under the same id and dropped as a duplicate.
// A mail is also flagged $RebondSpooled once spooled, so a mail whose move
// keeps failing, or that waits past the spool's de-duplication window, is
// not spooled again. Events are de-duplicated downstream on their keys too.
package mailbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-imap/client"

	"github.com/rebond/rebond/email"
	"github.com/rebond/rebond/email/inbound"
)

// SpooledFlag marks a mail the spool holds (an IMAP keyword, RFC 3501
// section 2.3.2).
const SpooledFlag = "$RebondSpooled"

// Poller polls one mailbox. Run drives it; Status and Ping report its
// health.
type Poller struct {
	cfg     Config
	spool   inbound.Spool
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time

	// uidValidity is the folder's UIDVALIDITY last seen (0: none yet).
	uidValidity uint32

	mu     sync.Mutex
	status Status
}

// Status is a mailbox's health, as /readyz and the metrics report it.
type Status struct {
	Name string `json:"name"`
	// OK is true once a round succeeded and until one fails.
	OK        bool      `json:"ok"`
	LastError string    `json:"last_error,omitempty"`
	LastRound time.Time `json:"last_round,omitzero"`
	// Spooled, Processed and Unparsed count mails since start.
	Spooled   int64 `json:"spooled"`
	Processed int64 `json:"processed"`
	Unparsed  int64 `json:"unparsed"`
}

// New builds a poller; m may be nil (no metrics).
func New(cfg Config, spool inbound.Spool, m *Metrics, log *slog.Logger) (*Poller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mailbox %s: %w", cfg.Name, err)
	}
	cfg = cfg.withDefaults()
	return &Poller{cfg: cfg, spool: spool, log: log.With("mailbox", cfg.Name), metrics: m,
		now: time.Now, status: Status{Name: cfg.Name, LastError: "not polled yet"}}, nil
}

// Name is the mailbox's configured name.
func (p *Poller) Name() string { return p.cfg.Name }

// Status returns a copy of the mailbox's health.
func (p *Poller) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// Ping reports the last round's error (api.Pinger, for /readyz).
func (p *Poller) Ping(context.Context) error {
	s := p.Status()
	if s.OK {
		return nil
	}
	return fmt.Errorf("mailbox %s: %s", s.Name, s.LastError)
}

// Run polls until ctx ends. Errors (the server down, a refused login, a
// failed spool) end the session; the next one starts after a backoff that
// doubles from 1 s to 5 minutes and resets after a good round.
func (p *Poller) Run(ctx context.Context) error {
	wait := time.Second
	for ctx.Err() == nil {
		good, err := p.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		p.fail(err)
		if good {
			wait = time.Second
		}
		p.log.WarnContext(ctx, "mailbox session failed; retrying", "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Minute)
	}
	return nil
}

// session signs in and polls until an error; good is whether a round
// succeeded first.
func (p *Poller) session(ctx context.Context) (good bool, err error) {
	c, err := p.dial(ctx)
	if err != nil {
		return false, err
	}
	stop := context.AfterFunc(ctx, func() { _ = c.Terminate() })
	defer stop()
	defer func() { _ = c.Terminate() }()
	updates := make(chan client.Update, 64)
	c.Updates = updates
	wake := make(chan struct{}, 1)
	go forwardUpdates(updates, wake, c.LoggedOut())
	if err := p.ensureFolders(c); err != nil {
		return false, err
	}
	for {
		if err := p.round(ctx, c); err != nil {
			return good, err
		}
		good = true
		if err := p.idle(ctx, c, wake); err != nil {
			return good, err
		}
	}
}

// forwardUpdates turns the server's unsolicited responses into a wake-up
// (new mail: EXISTS), never blocking the client's reader.
func forwardUpdates(updates <-chan client.Update, wake chan<- struct{}, gone <-chan struct{}) {
	for {
		var u client.Update
		select {
		case u = <-updates:
		case <-gone:
			return
		}
		if _, ok := u.(*client.MailboxUpdate); ok {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}
}

// round moves every mail of the folder, Batch at a time: memory holds
// one batch whatever the folder's size. The folder is selected again
// for each batch, which reads its message count and UIDVALIDITY afresh.
func (p *Poller) round(ctx context.Context, c *client.Client) error {
	for ctx.Err() == nil {
		mb, err := c.Select(p.cfg.Folder, false)
		if err != nil {
			return fmt.Errorf("select %s: %w", p.cfg.Folder, err)
		}
		if p.uidValidity != 0 && mb.UidValidity != p.uidValidity {
			// RFC 3501 section 2.3.1.1: the UIDs of before name nothing now.
			// Mails still in the folder get new spool ids: those flagged
			// SpooledFlag are moved without being spooled again; the others
			// are spooled (again only after a crash between a spool and its
			// flag: their events are de-duplicated on their ids).
			p.log.WarnContext(ctx, "mailbox UIDVALIDITY changed", "folder", p.cfg.Folder, "was", p.uidValidity, "now", mb.UidValidity)
		}
		p.uidValidity = mb.UidValidity
		if mb.Messages == 0 {
			p.ok()
			return nil
		}
		if err := p.batch(ctx, c, mb.UidValidity, min(mb.Messages, uint32(p.cfg.Batch))); err != nil {
			return err
		}
	}
	return nil
}

// idle waits for new mail: IDLE (RFC 2177) when offered, else NOOP polls
// (go-imap's fallback), and at most PollInterval either way.
func (p *Poller) idle(ctx context.Context, c *client.Client, wake <-chan struct{}) error {
	// The command timeout would cut a long IDLE: it bounds the wait plus
	// the server's answer instead.
	c.Timeout = p.cfg.PollInterval + p.cfg.Timeout
	defer func() { c.Timeout = p.cfg.Timeout }()
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- c.Idle(stop, &client.IdleOptions{LogoutTimeout: 25 * time.Minute, PollInterval: p.cfg.PollInterval})
	}()
	t := time.NewTimer(p.cfg.PollInterval)
	defer t.Stop()
	select {
	case err := <-done:
		return fmt.Errorf("idle: %w", err)
	case <-ctx.Done():
	case <-wake:
	case <-t.C:
	}
	close(stop)
	if err := <-done; err != nil && ctx.Err() == nil {
		return fmt.Errorf("idle: %w", err)
	}
	return nil
}

// ID is the spool id of the mail uid of the folder with uidValidity: the
// mailbox's identity (name, server, user, folder) with both numbers.
func (p *Poller) ID(uidValidity, uid uint32) string {
	h := sha256.New()
	for _, s := range []string{p.cfg.Name, p.cfg.Addr, p.cfg.Username, p.cfg.Folder,
		strconv.FormatUint(uint64(uidValidity), 10), strconv.FormatUint(uint64(uid), 10)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "imap-" + hex.EncodeToString(h.Sum(nil))[:40]
}

// unparsed reports whether rebond reads no report in data: such a mail
// goes to the Unparsed folder (it is spooled all the same, and kept in
// the rejected table with the reason).
func unparsed(data []byte) bool {
	r, err := email.Parse(data)
	return err != nil || r.Kind == email.KindNone
}

func (p *Poller) ok() {
	p.mu.Lock()
	p.status.OK, p.status.LastError, p.status.LastRound = true, "", p.now()
	p.mu.Unlock()
	p.metrics.up(p.cfg.Name, true)
}

func (p *Poller) fail(err error) {
	if err == nil {
		err = errors.New("session ended")
	}
	p.mu.Lock()
	p.status.OK, p.status.LastError = false, err.Error()
	p.mu.Unlock()
	p.metrics.up(p.cfg.Name, false)
	p.metrics.errors(p.cfg.Name)
}

func (p *Poller) count(spooled, processed, unparsedN int) {
	p.mu.Lock()
	p.status.Spooled += int64(spooled)
	p.status.Processed += int64(processed)
	p.status.Unparsed += int64(unparsedN)
	p.mu.Unlock()
	p.metrics.mails(p.cfg.Name, spooled, processed, unparsedN)
}
