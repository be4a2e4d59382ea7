package workers

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"time"

	"github.com/rebond/rebond/channels"
)

// Kinds of alert destination.
const (
	DestWebhook = "webhook"
	DestSlack   = "slack"
	DestEmail   = "email"
)

// Destination is one place a tenant's alert notices go (alerts.destinations).
type Destination struct {
	// Name identifies the destination in the delivery log and in the
	// delivery key: renaming it re-addresses future notices only.
	Name string `koanf:"name" json:"name"`
	// Kind is webhook (signed JSON POST), slack (a Slack-compatible
	// incoming webhook) or email (through an SMTP relay).
	Kind string `koanf:"kind" json:"kind"`
	// Tenant whose alerts go here (default channels.DefaultTenant).
	Tenant string `koanf:"tenant" json:"tenant"`
	// URL receives the POST (webhook and slack). A Slack URL is itself
	// the credential: `rebond config` masks its path.
	URL string `koanf:"url" json:"url"`
	// Secret signs webhook bodies (HMAC-SHA256); at least 16 bytes.
	Secret string `koanf:"secret" json:"secret"`
	// SMTP is the relay of an email destination.
	SMTP SMTPRelay `koanf:"smtp" json:"smtp"`
}

// The modes of SMTPRelay.TLS. Implicit TLS is named smtps as the
// mailboxes' is imaps: the name relays and URLs (smtps://) give port 465.
const (
	smtpStartTLS = "starttls"
	smtpSMTPS    = "smtps"
	smtpNone     = "none"
)

// SMTPRelay is how an email destination reaches its recipients.
type SMTPRelay struct {
	// Addr is the relay's host:port: 587 for submission with starttls,
	// 465 with smtps. The port is required, never assumed: a port that
	// does not match the mode fails only when an alert is sent.
	Addr string `koanf:"addr" json:"addr"`
	// TLS is starttls (the default: refuse a relay without it, before
	// any credential is sent), smtps (implicit TLS, RFC 8314 section
	// 3.3: TLS from the first byte, which RFC 8314 prefers for
	// submission) or none (plain text: only for a relay on the same
	// host; a password is then refused unless Addr's host is localhost
	// or a loopback address, net/smtp's rule). starttls and smtps verify
	// the certificate alike.
	TLS string `koanf:"tls" json:"tls"`
	// CAFile is a PEM file of the certificates that sign the relay's: a
	// private relay whose certificate no public CA signed. Set, it
	// replaces the system's roots for this relay (the trust is pinned to
	// that CA); the certificate must still name Addr's host. There is no
	// way to skip verification: it would hand the password to whoever
	// sits on the path.
	CAFile string `koanf:"ca_file" json:"ca_file"`
	// Username and Password authenticate with AUTH PLAIN when set (AUTH
	// LOGIN when the relay offers only that), over TLS only (after
	// STARTTLS, or from the start with smtps) unless the relay is local.
	Username string `koanf:"username" json:"username"`
	Password string `koanf:"password" json:"password"`
	// From is the envelope and header sender; To the recipients.
	From string   `koanf:"from" json:"from"`
	To   []string `koanf:"to" json:"to"`
}

// NotifyConfig sets how notices are delivered (alerts.notify).
type NotifyConfig struct {
	// ResolveAfter is how long an alert must stay ok before its
	// resolution is announced (default 1h): an alert that flaps around
	// its threshold sends nothing while it flaps.
	ResolveAfter time.Duration `koanf:"resolve_after"`
	// Timeout bounds one attempt (default 10s).
	Timeout time.Duration `koanf:"timeout"`
	// RetryBase and RetryMax shape the backoff between attempts: base
	// times 2^(attempt-1), capped at max (defaults 30s and 1h).
	RetryBase time.Duration `koanf:"retry_base"`
	RetryMax  time.Duration `koanf:"retry_max"`
	// MaxRetry is the number of retries after the first attempt
	// (default 12: about 8 hours with the default backoff).
	MaxRetry int `koanf:"max_retry"`
}

// withDefaults fills every zero field.
func (c NotifyConfig) withDefaults() NotifyConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.ResolveAfter, time.Hour)
	def(&c.Timeout, 10*time.Second)
	def(&c.RetryBase, 30*time.Second)
	def(&c.RetryMax, time.Hour)
	if c.MaxRetry == 0 {
		c.MaxRetry = 12
	}
	return c
}

// RetryDelay is the wait after a failed attempt when n retries were made
// before it (Asynq's count: 0 after the first attempt): RetryBase * 2^n,
// capped at RetryMax.
func (c NotifyConfig) RetryDelay(n int) time.Duration {
	d := c.RetryBase
	for i := 0; i < n && d < c.RetryMax; i++ {
		d *= 2
	}
	return min(d, c.RetryMax)
}

func (c NotifyConfig) validate() error {
	if c.ResolveAfter < 0 || c.Timeout <= 0 || c.RetryBase <= 0 || c.RetryMax < c.RetryBase || c.MaxRetry < 0 {
		return fmt.Errorf("alerts.notify: resolve_after %s, timeout %s, retry_base %s, retry_max %s, max_retry %d: want durations > 0 with retry_max >= retry_base",
			c.ResolveAfter, c.Timeout, c.RetryBase, c.RetryMax, c.MaxRetry)
	}
	return nil
}

// validate names the offending field of destination i.
func (d Destination) validate(i int) error {
	key := fmt.Sprintf("alerts.destinations[%d]", i)
	if d.Name == "" {
		return fmt.Errorf("%s.name: required", key)
	}
	key = fmt.Sprintf("alerts.destinations[%d] (%s)", i, d.Name)
	switch d.Kind {
	case DestWebhook, DestSlack:
		u, err := url.Parse(d.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%s.url: %q is not an http(s) URL", key, redactURL(d.URL))
		}
		if d.Kind == DestWebhook && d.Secret == "" {
			return fmt.Errorf("%s.secret: required to sign the webhook", key)
		}
	case DestEmail:
		if _, _, err := net.SplitHostPort(d.SMTP.Addr); err != nil {
			return fmt.Errorf("%s.smtp.addr: %q: want host:port (587 with tls: starttls, 465 with tls: smtps)", key, d.SMTP.Addr)
		}
		switch d.SMTP.TLS {
		case "", smtpStartTLS, smtpSMTPS, smtpNone:
		default:
			return fmt.Errorf("%s.smtp.tls: %q: want starttls (the default), smtps (implicit TLS, usually port 465) or none", key, d.SMTP.TLS)
		}
		if d.SMTP.TLS == smtpNone && d.SMTP.CAFile != "" {
			return fmt.Errorf("%s.smtp.ca_file: set with tls: none, which verifies no certificate", key)
		}
		if _, err := d.SMTP.tlsConfig(); err != nil {
			return fmt.Errorf("%s.smtp.ca_file: %w", key, err)
		}
		if host, _, _ := net.SplitHostPort(d.SMTP.Addr); d.SMTP.TLS == smtpNone && d.SMTP.Username != "" && !localHost(host) {
			return fmt.Errorf("%s.smtp: tls: none with a username would send the password in clear text to %s: "+
				"use starttls or smtps (tls: none is for a relay on this host: localhost or a loopback address)", key, host)
		}
		if _, err := mail.ParseAddress(d.SMTP.From); err != nil {
			return fmt.Errorf("%s.smtp.from: %q: %w", key, d.SMTP.From, err)
		}
		if len(d.SMTP.To) == 0 {
			return fmt.Errorf("%s.smtp.to: at least one recipient", key)
		}
		for _, to := range d.SMTP.To {
			if _, err := mail.ParseAddress(to); err != nil {
				return fmt.Errorf("%s.smtp.to: %q: %w", key, to, err)
			}
		}
	default:
		return fmt.Errorf("%s.kind: %q: want webhook, slack or email", key, d.Kind)
	}
	return nil
}

// tlsConfig is how the relay's certificate is verified: against the
// system's roots, or CAFile's certificates alone, the same for starttls
// and smtps; nil with tls: none.
func (r SMTPRelay) tlsConfig() (*tls.Config, error) {
	if r.TLS == smtpNone {
		return nil, nil
	}
	host, _, _ := net.SplitHostPort(r.Addr)
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if r.CAFile == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(r.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: no PEM certificate", r.CAFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// localHost tells whether host is this machine (net/smtp's PlainAuth
// rule): the only place a password may go without TLS.
func localHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tenant is the destination's tenant, the default one when unset.
func (d Destination) tenant() string {
	if d.Tenant == "" {
		return channels.DefaultTenant
	}
	return d.Tenant
}

// redactURL keeps a URL's scheme and host: its path may be a credential
// (Slack's is).
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(unparseable)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// validateDestinations checks every destination and that names are unique.
func validateDestinations(ds []Destination) error {
	seen := map[string]bool{}
	for i, d := range ds {
		if err := d.validate(i); err != nil {
			return err
		}
		if seen[d.Name] {
			return fmt.Errorf("alerts.destinations[%d].name: %q used twice", i, d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}
