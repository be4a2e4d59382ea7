package workers

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
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
}

func newSender(timeout time.Duration) *sender {
	return &sender{timeout: timeout, now: time.Now, http: &http.Client{
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

// mail sends the notice through relay r as a plain-text RFC 5322 message.
func (s *sender) mail(ctx context.Context, r SMTPRelay, d store.AlertDelivery, text string) error {
	msg, err := noticeMessage(r, d, text, s.now())
	if err != nil {
		return err
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", r.Addr)
	if err != nil {
		return fmt.Errorf("smtp relay %s: %w", r.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	host, _, _ := net.SplitHostPort(r.Addr)
	c := smtp.NewClient(conn)
	if r.TLS != "none" {
		if c, err = smtp.NewClientStartTLS(conn, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			conn.Close()
			return fmt.Errorf("smtp relay %s: starttls: %w", r.Addr, err)
		}
	}
	defer c.Close()
	if r.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", r.Username, r.Password)); err != nil {
			return fmt.Errorf("smtp relay %s: auth: %w", r.Addr, err)
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
