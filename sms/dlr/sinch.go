package dlr

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// SinchConfig configures the Sinch delivery report adapter.
type SinchConfig struct {
	// Secret is the HMAC key of the x-sinch-webhook-signature headers
	// (key "secret"). Set it or SharedSecret, not both.
	Secret string `koanf:"secret"`
	// MaxSkew is how far x-sinch-webhook-signature-timestamp may be from
	// now (key "max_skew"; default DefaultMaxSkew).
	MaxSkew time.Duration `koanf:"max_skew"`
	// SharedSecret is used when Sinch does not sign the account's
	// callbacks: Basic credentials in the callback_url, a custom header or
	// a token in the URL.
	SharedSecret `koanf:",squash"`
}

// Validate names the first key that is wrong.
func (c SinchConfig) Validate() error {
	switch {
	case c.Secret != "" && c.SharedSecret.configured():
		return errors.New("secret and a shared secret (token, password, app_key, header): set one")
	case c.MaxSkew < 0:
		return errors.New("max_skew: negative")
	case c.Secret != "":
		return nil
	}
	return c.SharedSecret.Validate()
}

// NewSinch returns the adapter of Sinch SMS REST API delivery reports (a
// JSON POST, read by ParseSinchReports: a recipient report, or a batch
// report, one event per recipient; a batch "summary" report names no
// recipient and is answered as accepted, marked Unusable). With Secret it verifies Sinch's callback
// signature: x-sinch-webhook-signature = base64(HMAC-SHA256(secret, body +
// "." + nonce + "." + timestamp)), with the -nonce and -timestamp headers
// (Unix seconds, within MaxSkew) and -algorithm HmacSHA256. Sinch
// documents that scheme for its Conversation API callbacks and its SDKs
// validate SMS callbacks with it, but signing SMS delivery reports has to
// be enabled on the account; without it, the callback URL's Basic
// credentials or a token authenticate (SharedSecret).
func NewSinch(cfg SinchConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.New("sinch webhook: " + err.Error())
	}
	if cfg.MaxSkew == 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	verify := sharedCheck(ProviderSinch, cfg.SharedSecret)
	if cfg.Secret != "" {
		verify = cfg.verify
	}
	parse := func(c *callback) ([]channels.Event, error) { return ParseSinchReports(c.body) }
	w := newWebhook(ProviderSinch, FormatSinch, []string{"status"}, verify, parse)
	if cfg.Secret == "" {
		w.shared = &cfg.SharedSecret
	}
	return w, nil
}

// verify checks the x-sinch-webhook-signature headers.
func (cfg SinchConfig) verify(r *http.Request, c *callback) error {
	sig := r.Header.Get("X-Sinch-Webhook-Signature")
	nonce := r.Header.Get("X-Sinch-Webhook-Signature-Nonce")
	ts := r.Header.Get("X-Sinch-Webhook-Signature-Timestamp")
	if sig == "" || nonce == "" {
		return channels.Unauthorized("sinch: no x-sinch-webhook-signature or nonce header")
	}
	if alg := r.Header.Get("X-Sinch-Webhook-Signature-Algorithm"); alg != "" && alg != "HmacSHA256" {
		return channels.Unauthorized("sinch: signature algorithm %q, want HmacSHA256", truncate(alg, 32))
	}
	if err := checkFresh(ProviderSinch, "x-sinch-webhook-signature-timestamp", ts, c.at, cfg.MaxSkew); err != nil {
		return err
	}
	if !equalSecret(sig, hmacBase64(sha256.New, cfg.Secret, string(c.body)+"."+nonce+"."+ts)) {
		return channels.Unauthorized("sinch: x-sinch-webhook-signature does not verify")
	}
	return nil
}

// sinchDLR is a Sinch SMS REST API recipient delivery report
// (developers.sinch.com, "Delivery report" and its error codes).
type sinchDLR struct {
	Type      string     `json:"type"`
	BatchID   string     `json:"batch_id"`
	Recipient string     `json:"recipient"`
	Code      flexString `json:"code"`
	Status    string     `json:"status"`
	At        string     `json:"at"`
	// Operator is the recipient's network as MCC-MNC, when Sinch enabled
	// it on the account (Sinch SMS REST API, recipient delivery report:
	// operator).
	Operator string `json:"operator"`
}

// ParseSinch reads a Sinch recipient delivery report (type
// recipient_delivery_report_sms). Stat is status, Err the code (0, 401
// Dispatched, 402 unroutable…), Dialect "sinch"; the message id is the
// batch id, and the event id also names the recipient, as one batch goes
// to many.
func ParseSinch(body []byte) (channels.Event, error) {
	var d sinchDLR
	if err := json.Unmarshal(body, &d); err != nil {
		return channels.Event{}, fmt.Errorf("parse sinch callback: %w", err)
	}
	if d.Type != "" && d.Type != "recipient_delivery_report_sms" {
		return channels.Event{}, fmt.Errorf("parse sinch callback: type %q: %w", d.Type, sms.ErrNotReceipt)
	}
	r, err := providerReceipt(ProviderSinch, d.BatchID, phone(d.Recipient), d.Status, string(d.Code))
	if err != nil {
		return channels.Event{}, err
	}
	r.At = parseTimeAny(d.At)
	r.SMS.MCCMNC = carrier(d.Operator)
	e := r.Event()
	if d.BatchID != "" {
		e.ID = sms.EventID(ProviderSinch, d.BatchID+"/"+d.Recipient, d.Status)
	}
	return e, nil
}

// maxSinchRecipients bounds the recipients one batch report may name: a
// Sinch batch goes to at most 1,000 (Sinch SMS REST API, "Send": to).
const maxSinchRecipients = 1000

// sinchBatchReport is a Sinch SMS REST API batch delivery report (type
// delivery_report_sms; developers.sinch.com, "Delivery report"): one
// status per group of recipients. A "full" report lists each group's
// recipients; a "summary" report gives only their count.
type sinchBatchReport struct {
	Type     string `json:"type"`
	BatchID  string `json:"batch_id"`
	Statuses []struct {
		Code       flexString `json:"code"`
		Status     string     `json:"status"`
		Count      int        `json:"count"`
		Recipients []string   `json:"recipients"`
	} `json:"statuses"`
}

// ErrNoDelivery marks a well-formed report of outcomes that names no
// delivery they belong to (a Sinch "summary" report: counts per status,
// no recipients): no per-delivery fact can be read from it. It wraps
// sms.ErrNotReceipt; the webhook answers it as accepted, marked Unusable
// (channels.WebhookResult), rather than drop it silently.
var ErrNoDelivery = fmt.Errorf("%w: outcomes of no named delivery", sms.ErrNotReceipt)

// ParseSinchReports reads a Sinch delivery report: a recipient report
// (recipient_delivery_report_sms, ParseSinch) or a batch report
// (delivery_report_sms), one event per recipient a batch report names,
// with the id ParseSinch gives the same recipient's report of the same
// status, so the two count once. A summary report names no recipient: it
// gives no event but ErrNoDelivery (rebond cannot tell whose outcome it
// is; the batch's delivery_report must be "full" or "per_recipient").
// Other types are sms.ErrNotReceipt.
func ParseSinchReports(body []byte) ([]channels.Event, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, fmt.Errorf("parse sinch callback: %w", err)
	}
	if head.Type != "delivery_report_sms" {
		return single(ParseSinch(body))
	}
	var b sinchBatchReport
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("parse sinch callback: %w", err)
	}
	var events []channels.Event
	for _, st := range b.Statuses {
		for _, rcpt := range st.Recipients {
			if len(events) == maxSinchRecipients {
				return nil, fmt.Errorf("parse sinch callback: more than %d recipients in one report", maxSinchRecipients)
			}
			r, err := providerReceipt(ProviderSinch, b.BatchID, phone(rcpt), st.Status, string(st.Code))
			if err != nil {
				return nil, err
			}
			e := r.Event()
			e.ID = sms.EventID(ProviderSinch, b.BatchID+"/"+rcpt, st.Status)
			events = append(events, e)
		}
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("sinch summary delivery report of batch %q (counts per status, no recipients): %w;"+
			" send batches with delivery_report \"full\" or \"per_recipient\"", b.BatchID, ErrNoDelivery)
	}
	return events, nil
}

// sinchMO is a Sinch SMS REST API inbound message (type mo_text or
// mo_binary; developers.sinch.com, "Inbounds": id, from, to, body,
// received_at, and udh for a binary one).
type sinchMO struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	From       string `json:"from"`
	Body       string `json:"body"`
	ReceivedAt string `json:"received_at"`
}

// ParseSinchMO reads a Sinch inbound message callback. A mo_binary body
// (base64 octets) has no text; another type is malformed.
func ParseSinchMO(body []byte) (sms.MO, error) {
	var d sinchMO
	if err := json.Unmarshal(body, &d); err != nil {
		return sms.MO{}, fmt.Errorf("parse sinch message: %w", err)
	}
	switch d.Type {
	case "mo_text", "":
	case "mo_binary":
		d.Body = ""
	default:
		return sms.MO{}, &channels.FieldError{Field: "type", Msg: fmt.Sprintf("%q is not mo_text or mo_binary", truncate(d.Type, 32))}
	}
	if d.From == "" {
		return sms.MO{}, errors.New("parse sinch message: no from")
	}
	return sms.MO{Provider: ProviderSinch, ID: d.ID, From: d.From, Text: d.Body, At: parseTimeAny(d.ReceivedAt)}, nil
}
