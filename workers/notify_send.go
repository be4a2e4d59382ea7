package workers

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// SignatureHeader carries a webhook notice's signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>". The
// timestamp is signed with the body, so a receiver that refuses a t more
// than a few minutes old cannot be fed a replayed notice.
const SignatureHeader = "Rebond-Signature"

// maxResponseBody is how much of a destination's answer is read: enough
// for an error message, never a memory hazard.
const maxResponseBody = 64 << 10

// WebhookNotice is the JSON body of a webhook notice. DeliveryID is the
// same on every attempt of one delivery: a receiver deduplicates by it.
type WebhookNotice struct {
	DeliveryID int64                `json:"delivery_id"`
	Notice     string               `json:"notice"`
	Text       string               `json:"text"`
	Alert      channels.AlertChange `json:"alert"`
}

// Sign returns the SignatureHeader value of body signed with secret at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// noticeText is the one-line human summary of a notice. Campaign and
// provider come from senders' events: control characters (a line break
// that would start a mail header, or a bare CR) become spaces.
func noticeText(notice string, c channels.AlertChange) string {
	c.Campaign, c.Provider = oneLine(c.Campaign), oneLine(c.Provider)
	where := string(c.Channel) + " campaign " + strconv.Quote(c.Campaign)
	if c.Provider != "" {
		where += " at " + c.Provider
	}
	tenant := ""
	if c.Tenant != "" && c.Tenant != channels.DefaultTenant {
		tenant = " (tenant " + c.Tenant + ")"
	}
	switch notice {
	case NoticeResolve:
		return fmt.Sprintf("[rebond] RESOLVED: %s %s is back under its threshold (was %s)%s", where, c.Metric, c.From, tenant)
	case NoticeEscalate:
		return fmt.Sprintf("[rebond] ESCALATED to CRITICAL: %s %s is %.2f%% (at least %.2f%% with 95%% confidence, threshold %.2f%%, %d sent)%s",
			where, c.Metric, 100*c.Rate, 100*c.CI.Low, 100*c.Threshold, c.Sent, tenant)
	}
	return fmt.Sprintf("[rebond] %s: %s %s is %.2f%% (at least %.2f%% with 95%% confidence, threshold %.2f%%, %d sent)%s",
		strings.ToUpper(c.To), where, c.Metric, 100*c.Rate, 100*c.CI.Low, 100*c.Threshold, c.Sent, tenant)
}

// sender delivers notices; one per worker, safe for concurrent use.
type sender struct {
	http    *http.Client
	timeout time.Duration
	now     func() time.Time
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
}

func newSender(timeout time.Duration) *sender {
	return &sender{timeout: timeout, now: time.Now, dial: (&net.Dialer{}).DialContext, http: &http.Client{
		Timeout: timeout,
		// A destination that redirects is misconfigured; following it
		// would send a signed alert where nobody configured it to go.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// send delivers d to dest once.
func (s *sender) send(ctx context.Context, dest Destination, d store.AlertDelivery) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	text := noticeText(d.Notice, d.Change)
	switch dest.Kind {
	case DestWebhook:
		body, err := json.Marshal(WebhookNotice{DeliveryID: d.ID, Notice: d.Notice, Text: text, Alert: d.Change})
		if err != nil {
			return err
		}
		return s.post(ctx, dest.URL, body, map[string]string{SignatureHeader: Sign(dest.Secret, s.now(), body),
			"Rebond-Delivery": strconv.FormatInt(d.ID, 10)})
	case DestSlack:
		body, err := json.Marshal(map[string]string{"text": slackEscape(text)})
		if err != nil {
			return err
		}
		return s.post(ctx, dest.URL, body, nil)
	case DestEmail:
		return s.mail(ctx, dest.SMTP, d, text)
	}
	return fmt.Errorf("destination %s: unknown kind %q", dest.Name, dest.Kind)
}

// post sends body as JSON and wants a 2xx.
func (s *sender) post(ctx context.Context, url string, body []byte, headers map[string]string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "rebond-alerts")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		// url.Error names the URL, whose path may be a credential.
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			err = ue.Unwrap()
		}
		return fmt.Errorf("post to %s: %w", redactURL(url), err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post to %s: status %d: %.200s", redactURL(url), resp.StatusCode, answer)
	}
	return nil
}

// mail sends the notice through relay r as a plain-text RFC 5322 message:
// TLS first (STARTTLS, or from the first byte with smtps; not with tls:
// none), then AUTH when a username is set. Credentials never cross in
// clear text except to this host. Every read and write ends by ctx's
// deadline, the relay's greeting included.
func (s *sender) mail(ctx context.Context, r SMTPRelay, d store.AlertDelivery, text string) error {
	msg, err := noticeMessage(r, d, text, s.now())
	if err != nil {
		return err
	}
	tlsCfg, err := r.tlsConfig()
	if err != nil {
		return fmt.Errorf("smtp relay %s: ca_file: %w", r.Addr, err)
	}
	conn, err := s.dial(ctx, "tcp", r.Addr)
	if err != nil {
		return fmt.Errorf("smtp relay %s: %w", r.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn = clampedConn{Conn: conn, end: dl}
		_ = conn.SetDeadline(dl)
	}
	mode := cmp.Or(r.TLS, smtpStartTLS)
	var c *smtp.Client
	switch {
	case tlsCfg == nil:
		c = smtp.NewClient(conn)
	case mode == smtpSMTPS:
		// The handshake first, on its own: a certificate that fails is
		// reported as such, and nothing, EHLO included, is sent before.
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("smtp relay %s: smtps: TLS handshake: %w%s", r.Addr, err, tlsHint(err, mode))
		}
		c = smtp.NewClient(tc)
	default:
		if c, err = smtp.NewClientStartTLS(conn, tlsCfg); err != nil {
			conn.Close()
			return fmt.Errorf("smtp relay %s: starttls: %w%s", r.Addr, err, tlsHint(err, mode))
		}
	}
	defer c.Close()
	// The TLS handshake happens on the first command after STARTTLS:
	// say EHLO now, so a certificate that fails verification is reported
	// as such rather than as a relay without AUTH.
	if err := c.Hello("localhost"); err != nil {
		if tlsCfg != nil {
			return fmt.Errorf("smtp relay %s: %s: %w%s", r.Addr, mode, err, tlsHint(err, mode))
		}
		return fmt.Errorf("smtp relay %s: %w", r.Addr, err)
	}
	if r.Username != "" {
		if err := authenticate(c, r); err != nil {
			return fmt.Errorf("smtp relay %s: %w", r.Addr, err)
		}
	}
	from, _ := mail.ParseAddress(r.From)
	to := make([]string, len(r.To))
	for i, a := range r.To {
		p, _ := mail.ParseAddress(a)
		to[i] = p.Address
	}
	if err := c.SendMail(from.Address, to, bytes.NewReader(msg)); err != nil {
		return fmt.Errorf("smtp relay %s: %w", r.Addr, err)
	}
	// The relay took the message when it answered the data: a failed
	// QUIT must not make a retry send it twice.
	_ = c.Quit()
	return nil
}

// clampedConn ends every deadline by the attempt's: go-smtp sets its own
// before each command (5 minutes for the greeting) and clears it after,
// which would let a silent relay hold an attempt far past
// alerts.notify.timeout (a starttls client and an smtps relay each wait
// for the other to speak first).
type clampedConn struct {
	net.Conn
	end time.Time
}

func (c clampedConn) clamp(t time.Time) time.Time {
	if t.IsZero() || t.After(c.end) {
		return c.end
	}
	return t
}

// SetDeadline is net.Conn's, ended by the attempt's deadline (go-smtp
// would otherwise clear it).
func (c clampedConn) SetDeadline(t time.Time) error { return c.Conn.SetDeadline(c.clamp(t)) }

// SetReadDeadline is net.Conn's, ended by the attempt's deadline.
func (c clampedConn) SetReadDeadline(t time.Time) error { return c.Conn.SetReadDeadline(c.clamp(t)) }

// SetWriteDeadline is net.Conn's, ended by the attempt's deadline.
func (c clampedConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.clamp(t)) }

// tlsHint says what to do about a failed TLS setup (mode starttls or
// smtps): nothing was sent, credentials included.
func tlsHint(err error, mode string) string {
	var unknown x509.UnknownAuthorityError
	var name x509.HostnameError
	var plain tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.As(err, &unknown):
		return " (the relay's certificate is not signed by a trusted CA: for a private relay, set smtp.ca_file to its CA's PEM)"
	case errors.As(err, &name):
		return " (the relay's certificate does not name the host of smtp.addr: use the name it was issued for)"
	case errors.As(err, &plain):
		return " (the relay answered in plain text, not TLS: a relay that offers STARTTLS, usually on port 587 or 25, wants tls: starttls)"
	case strings.Contains(err.Error(), "STARTTLS"):
		return " (refused: the relay offers no TLS, and credentials and alerts are not sent in clear text; tls: none is for a relay on this host)"
	case mode == smtpStartTLS && errors.As(err, &netErr) && netErr.Timeout():
		return " (the relay sent no greeting in time: one that speaks TLS from the first byte, usually on port 465, waits silently for a handshake: set tls: smtps)"
	}
	return ""
}

// authenticate logs in with AUTH PLAIN, or LOGIN when the relay offers
// only that (some relays, Microsoft's among them). Over plain text it
// refuses unless the relay is on this host.
func authenticate(c *smtp.Client, r SMTPRelay) error {
	host, _, _ := net.SplitHostPort(r.Addr)
	if _, isTLS := c.TLSConnectionState(); !isTLS && !localHost(host) {
		return errors.New("refusing to send the password in clear text to a relay not on this host (tls: none)")
	}
	var a sasl.Client
	mech := sasl.Plain
	switch {
	case c.SupportsAuth(sasl.Plain):
		a = sasl.NewPlainClient("", r.Username, r.Password)
	case c.SupportsAuth(sasl.Login):
		a, mech = sasl.NewLoginClient(r.Username, r.Password), sasl.Login
	default:
		if ok, offered := c.Extension("AUTH"); ok {
			return fmt.Errorf("smtp.username is set but the relay offers neither AUTH PLAIN nor LOGIN (only %s)", offered)
		}
		return errors.New("smtp.username is set but the relay offers no AUTH")
	}
	if err := c.Auth(a); err != nil {
		return fmt.Errorf("AUTH %s as %q refused: %w (check smtp.username and smtp.password)", mech, r.Username, err)
	}
	return nil
}

// noticeMessage builds the mail: the RFC 5322 headers (Date, Message-ID,
// From, To, Subject) and the text, CRLF line ends. The Message-ID is
// derived from the delivery, so a resend after a lost answer threads as
// the same message.
func noticeMessage(r SMTPRelay, d store.AlertDelivery, text string, now time.Time) ([]byte, error) {
	from, err := mail.ParseAddress(r.From)
	if err != nil {
		return nil, fmt.Errorf("smtp.from: %w", err)
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	nonce := make([]byte, 4)
	_, _ = rand.Read(nonce)
	var b strings.Builder
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", fmt.Sprintf("<alert-delivery-%d.%s@%s>", d.ID, hex.EncodeToString(nonce), domain))
	h("From", from.String())
	h("To", strings.Join(r.To, ", "))
	h("Subject", mimeWord(text))
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "8bit")
	h("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies
	b.WriteString("\r\n")
	c := d.Change
	c.Tenant, c.Campaign, c.Provider = oneLine(c.Tenant), oneLine(c.Campaign), oneLine(c.Provider)
	body := text + "\n\n" + fmt.Sprintf("Tenant: %s\nChannel: %s\nCampaign: %s\nProvider: %s\nMetric: %s\nState: %s -> %s at %s\n"+
		"Sent: %d, counted: %d, rate %.4f (95%% interval %.4f-%.4f), threshold %.4f\nAlert change: %d, delivery: %d\n",
		c.Tenant, c.Channel, c.Campaign, cmp.Or(c.Provider, "(all)"), c.Metric, c.From, c.To, c.At.Format(time.RFC3339),
		c.Sent, c.Hits, c.Rate, c.CI.Low, c.CI.High, c.Threshold, c.ID, d.ID)
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return []byte(b.String()), nil
}

// mimeWord encodes a header value that is not plain ASCII (RFC 2047).
func mimeWord(s string) string {
	return mime.QEncoding.Encode("utf-8", oneLine(s))
}

// oneLine replaces control characters with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// slackEscape escapes the three characters Slack reads as markup ("Formatting
// text for app surfaces": &, <, >), so a campaign named "<!channel>"
// notifies no one.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
