// Package inbound is rebond's SMTP listener for the return-path domain: a
// bounce MX can point at rebond. It accepts mail for the configured domains
// only, bounds sizes, offers STARTTLS when given a certificate, and answers
// 250 only after the raw message is in the spool (JetStream), so a bounce
// the listener accepted is never lost: the sending MTA keeps (and retries)
// anything it did not get a 250 for (RFC 5321 section 4.2.5).
//
// Parsing happens later, off the SMTP session, in Process.
package inbound

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is a received mail with its envelope, as spooled.
type Message struct {
	// ID is derived from the envelope recipients and the data, so a message
	// an MTA sends again after a lost 250 is spooled once.
	ID         string   `json:"id"`
	From       string   `json:"from"`
	To         []string `json:"to"`
	RemoteAddr string   `json:"remote_addr,omitempty"`
	// Tenant, when set, owns the mail's bounces whatever its recipients: a
	// polled mailbox belongs to one tenant (email/mailbox), and has no
	// envelope to read it from.
	Tenant string `json:"tenant,omitempty"`
	// Source names where the mail came from when not the SMTP listener
	// ("imap:<mailbox>").
	Source     string    `json:"source,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	Data       []byte    `json:"data"`
	// Truncated is set when Data holds only the first SpoolLimit bytes.
	Truncated bool `json:"truncated,omitempty"`
}

// Spool keeps a received message durably. Store returns nil only once the
// message is safe; the listener answers 250 after that and a temporary
// error (451) otherwise.
type Spool interface {
	Store(ctx context.Context, m Message) error
}

// Config configures the listener.
type Config struct {
	// Addr is the listen address, e.g. ":2525" (default) or ":25".
	Addr string
	// Hostname is the name in the greeting and EHLO answer.
	Hostname string
	// Domains are the domains it accepts mail for (the return-path and
	// VERP domains); RCPT TO any other domain is refused (550 5.7.1, no
	// relaying). Required.
	Domains []string
	// MaxMessageBytes bounds DATA (default 10 MiB; over it: 552 5.3.4).
	MaxMessageBytes int64
	// MaxRecipients bounds RCPT TO per message (default 100).
	MaxRecipients int
	// SpoolLimit, when positive, keeps only the first SpoolLimit bytes of
	// a larger message (the spool, a NATS message, has a size limit).
	// Bounces put the report first (RFC 3464 section 2: the human part,
	// then the delivery-status part, then the returned message), so what
	// is cut is the returned copy of the original: better than refusing a
	// bounce no MTA will ever send again.
	SpoolLimit int
	// TLS, when set, enables STARTTLS (RFC 3207).
	TLS *tls.Config
	// Timeout bounds each read and write (default 5 minutes, RFC 5321
	// section 4.5.3.2 suggests at least that for most commands).
	Timeout time.Duration
	// MaxConnections bounds the open sessions (default 256), and
	// MaxConnectionsPerIP those of one client address, an IPv6 /64 (default
	// 10); a connection over either is answered 421 and closed.
	MaxConnections      int
	MaxConnectionsPerIP int
	// MaxSession bounds a session's life (default 10 minutes): a read or
	// write past it ends the session with 421.
	MaxSession time.Duration
	// MaxCommands bounds the commands of one session, NOOP and RSET
	// included (default 1000; then 421).
	MaxCommands int
}

func (c Config) withDefaults() Config {
	orDefault(&c.Addr, ":2525")
	orDefault(&c.Hostname, "localhost")
	orDefault(&c.MaxMessageBytes, 10<<20)
	orDefault(&c.MaxRecipients, 100)
	orDefault(&c.Timeout, 5*time.Minute)
	orDefault(&c.MaxConnections, 256)
	orDefault(&c.MaxConnectionsPerIP, 10)
	orDefault(&c.MaxSession, 10*time.Minute)
	orDefault(&c.MaxCommands, 1000)
	return c
}

// orDefault sets *v to d when it is the zero value.
func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Validate names the offending key.
func (c Config) Validate() error {
	if len(c.Domains) == 0 {
		return errors.New("smtp.domains: at least one domain to accept bounces for is required")
	}
	for _, d := range c.Domains {
		if d == "" || strings.ContainsAny(d, "@ \t") {
			return fmt.Errorf("smtp.domains: %q is not a domain", d)
		}
	}
	if c.MaxMessageBytes < 0 || c.MaxRecipients < 0 {
		return errors.New("smtp.max_message_bytes and smtp.max_recipients: must not be negative")
	}
	if c.MaxConnections < 0 || c.MaxConnectionsPerIP < 0 || c.MaxSession < 0 || c.MaxCommands < 0 || c.Timeout < 0 {
		return errors.New("smtp.max_connections, max_connections_per_ip, max_session, max_commands and timeout: must not be negative")
	}
	return nil
}

// Listener is the SMTP server.
type Listener struct {
	cfg     Config
	spool   Spool
	log     *slog.Logger
	domains map[string]bool
	srv     *smtp.Server
	now     func() time.Time
}

// New builds a listener.
func New(cfg Config, spool Spool, log *slog.Logger) (*Listener, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	l := &Listener{cfg: cfg, spool: spool, log: log, domains: map[string]bool{}, now: time.Now}
	for _, d := range cfg.Domains {
		l.domains[strings.ToLower(strings.TrimSuffix(d, "."))] = true
	}
	s := smtp.NewServer(l)
	s.Addr, s.Domain = cfg.Addr, cfg.Hostname
	s.MaxMessageBytes, s.MaxRecipients = cfg.MaxMessageBytes, cfg.MaxRecipients
	s.ReadTimeout, s.WriteTimeout = cfg.Timeout, cfg.Timeout
	s.TLSConfig = cfg.TLS
	s.EnableSMTPUTF8 = true // bounces for internationalized addresses (RFC 6531)
	// RFC 5321 section 4.5.3.1.6 allows 1000 octets a line, but broken MTAs
	// send longer ones in bounces; MaxMessageBytes still bounds the whole.
	s.MaxLineLength = 64 << 10
	s.ErrorLog = slogLogger{log}
	l.srv = s
	return l, nil
}

// Serve accepts connections on ln until ctx ends, then closes the listener
// and lets sessions in DATA finish (up to 10 s).
func (l *Listener) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	limited := newLimitListener(ln, l.cfg, l.log)
	go func() { errc <- l.srv.Serve(limited) }()
	select {
	case err := <-errc:
		return fmt.Errorf("smtp %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := l.srv.Shutdown(sctx); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return fmt.Errorf("smtp shutdown: %w", err)
	}
	return nil
}

// Run listens on the configured address and serves until ctx ends.
func (l *Listener) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", l.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp listen %s: %w", l.cfg.Addr, err)
	}
	return l.Serve(ctx, ln)
}

// NewSession implements smtp.Backend.
func (l *Listener) NewSession(c *smtp.Conn) (smtp.Session, error) {
	remote := ""
	if a := c.Conn().RemoteAddr(); a != nil {
		remote = a.String()
	}
	return &session{l: l, remote: remote}, nil
}

type session struct {
	l      *Listener
	remote string
	from   string
	to     []string
}

// Mail accepts any reverse-path: bounces come with the null sender
// (RFC 5321 section 4.5.5), feedback reports with a real one.
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from, s.to = from, nil
	return nil
}

// Rcpt accepts the configured domains only: rebond is no open relay.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	at := strings.LastIndexByte(to, '@')
	if at < 0 || !s.l.domains[strings.ToLower(strings.TrimSuffix(to[at+1:], "."))] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
			Message: "relaying denied: this server only accepts bounces for its own domains"}
	}
	s.to = append(s.to, to)
	return nil
}

// Data reads the message (go-smtp enforces MaxMessageBytes with 552) and
// spools it before answering.
func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		var se *smtp.SMTPError // go-smtp wraps ErrDataTooLarge (552 5.3.4) but answers only an unwrapped one
		if errors.As(err, &se) {
			return se
		}
		return err
	}
	m := Message{From: s.from, To: s.to, RemoteAddr: s.remote, ReceivedAt: s.l.now().UTC(), Data: data}
	m.ID = messageID(m) // of the whole message: a re-send is the same id
	if lim := s.l.cfg.SpoolLimit; lim > 0 && len(m.Data) > lim {
		m.Data, m.Truncated = m.Data[:lim], true
		s.l.log.Info("large mail truncated for the spool", "id", m.ID, "bytes", len(data), "kept", lim)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.l.spool.Store(ctx, m); err != nil {
		s.l.log.Warn("bounce not spooled; answered 451", "remote", s.remote, "bytes", len(data), "error", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
			Message: "cannot store the message now; try again later"}
	}
	s.l.log.Info("bounce received", "id", m.ID, "remote", s.remote, "rcpts", len(s.to), "bytes", len(data))
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// messageID hashes the envelope recipients and the data: the same message
// delivered twice (a 250 lost on the wire) has the same id.
func messageID(m Message) string {
	h := sha256.New()
	for _, t := range m.To {
		h.Write([]byte(strings.ToLower(t)))
		h.Write([]byte{0})
	}
	h.Write(m.Data)
	return "in_" + hex.EncodeToString(h.Sum(nil)[:16])
}

// slogLogger adapts go-smtp's logger to slog.
type slogLogger struct{ log *slog.Logger }

func (s slogLogger) Printf(format string, v ...any) { s.log.Info("smtp: " + fmt.Sprintf(format, v...)) }
func (s slogLogger) Println(v ...any)               { s.log.Info("smtp: " + strings.TrimSpace(fmt.Sprintln(v...))) }
