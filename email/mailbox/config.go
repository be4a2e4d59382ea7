package mailbox

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// TLS modes of Config.TLS.
const (
	// TLSImplicit is IMAPS: TLS from the first byte (RFC 8314, port 993).
	TLSImplicit = "imaps"
	// TLSStartTLS upgrades a plain connection (RFC 3501 section 6.2.1,
	// port 143); a server that does not offer STARTTLS is refused.
	TLSStartTLS = "starttls"
	// TLSNone is plain text, allowed only to a loopback address (tests, a
	// local relay): a password and bounces must not cross a network in clear.
	TLSNone = "none"
)

// Config is one mailbox rebond polls for bounces.
type Config struct {
	// Name identifies the mailbox in logs, metrics, /readyz and the spool
	// ids; required, unique, and never to be changed while mail is in it
	// (see Poller's de-duplication).
	Name string
	// Tenant owns the mailbox's bounces (empty: the default tenant).
	Tenant string
	// Addr is host:port of the IMAP server (required).
	Addr string
	// TLS is imaps (default), starttls or none (loopback only).
	TLS string
	// Username and Password sign in (LOGIN). The password is the mail
	// provider's, so rebond imposes no length on it, but it must be set.
	Username string
	Password string
	// Folder is polled (default INBOX); each mail is spooled and then moved
	// to Processed (default rebond/processed) or, when rebond reads no
	// report in it, Unparsed (default rebond/unparsed). Both are created
	// when missing.
	Folder, Processed, Unparsed string
	// Delete, when set, deletes processed mail instead of moving it;
	// unparsed mail is still moved, for a human to look at.
	Delete bool
	// PollInterval is the wait between rounds when the server offers no
	// IDLE, and the longest one with IDLE (default 1 minute).
	PollInterval time.Duration
	// Batch is the mails fetched at once (default 50): memory is bounded by
	// Batch × SpoolLimit whatever the mailbox holds.
	Batch int
	// SpoolLimit keeps only the first SpoolLimit bytes of a larger mail
	// (default 1 MiB), as the SMTP listener does: bounces put the report
	// first (RFC 3464 section 2).
	SpoolLimit int
	// Timeout bounds each IMAP command (default 1 minute).
	Timeout time.Duration
	// TLSConfig overrides the TLS client configuration (tests; nil: the
	// system roots and Addr's host name).
	TLSConfig *tls.Config
}

func (c Config) withDefaults() Config {
	orDefault(&c.TLS, TLSImplicit)
	orDefault(&c.Folder, "INBOX")
	orDefault(&c.Processed, "rebond/processed")
	orDefault(&c.Unparsed, "rebond/unparsed")
	orDefault(&c.PollInterval, time.Minute)
	orDefault(&c.Batch, 50)
	orDefault(&c.SpoolLimit, 1<<20)
	orDefault(&c.Timeout, time.Minute)
	return c
}

// orDefault sets *v to d when it is the zero value.
func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Validate names the offending key (mailboxes[i] is the caller's prefix).
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Name == "" || strings.ContainsAny(c.Name, " \t/") {
		return fmt.Errorf("name: %q must be set, without spaces or slashes", c.Name)
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("addr: %q is not host:port: %v", c.Addr, err)
	}
	switch c.TLS {
	case TLSImplicit, TLSStartTLS:
	case TLSNone:
		if !loopback(host) {
			return fmt.Errorf("tls: none is allowed only to a loopback address, not %q", host)
		}
	default:
		return fmt.Errorf("tls: %q is none of imaps, starttls, none", c.TLS)
	}
	if c.Username == "" || c.Password == "" {
		return errors.New("username and password: required")
	}
	if c.Processed == c.Folder || c.Unparsed == c.Folder {
		return errors.New("processed and unparsed: must differ from folder")
	}
	if c.PollInterval < time.Second || c.Batch < 0 || c.SpoolLimit < 0 || c.Timeout < 0 {
		return errors.New("poll_interval (at least 1s), batch, spool_limit, timeout: out of range")
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
