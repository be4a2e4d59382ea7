package sms

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/rebond/rebond/channels"
)

// The adapters of providers that do not sign their callbacks, or sign
// them only on request: a shared secret proves the caller (SharedSecret).

// GatewayConfig configures the Kannel and Jasmin adapters: the gateway is
// the operator's own, calls back on a URL the sender wrote, and signs
// nothing.
type GatewayConfig struct {
	// SharedSecret is how the gateway proves itself: in practice Token,
	// written into the dlr-url ("…/v1/webhooks/kannel?token=…"), or Basic
	// credentials in it (keys "token", "username", "password", "app_key",
	// "header", "header_value").
	SharedSecret `koanf:",squash"`
	// Dialect is the err: code table of the SMSC connection behind the
	// gateway ("map", "twilio-smpp", "8x8", "w2wts"; see
	// channels.SMSReceipt), for the receipt text the gateway passes on
	// (key "dialect"; empty: none).
	Dialect string `koanf:"dialect"`
}

// Validate names the first key that is wrong.
func (c GatewayConfig) Validate() error { return c.SharedSecret.Validate() }

// NewKannelWebhook returns the adapter of Kannel's dlr-url requests (a GET
// query in Kannel 1.4; read by ParseKannel). The dlr-url the sender
// submits names its own message id and campaign, the escapes, and the
// handset's number (from=%p, or a recipient parameter the sender writes):
//
//	https://rebond.example.com/v1/webhooks/kannel?token=SECRET&ref=<sender's id>&campaign=<campaign>&type=%d&fid=%F&answer=%A&from=%p&ts=%t&meta=%D
//
// type is Kannel's DLR bit mask (gw/dlr.h: 1 delivered, 2 failed, 4
// buffered, 8 SMSC accepted, 16 SMSC rejected). A composite such as 34 or
// 65 is read by the first of its bits in the order delivered, failed,
// SMSC rejected, buffered, SMSC accepted; other bits are ignored, and a
// mask with none of the five is malformed.
func NewKannelWebhook(cfg GatewayConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.New("kannel webhook: " + err.Error())
	}
	parse := func(c *callback) ([]channels.Event, error) {
		if _, err := kannelType(c.params); err != nil {
			return nil, &channels.FieldError{Field: "type", Msg: err.Error()}
		}
		return single(ParseKannel(c.params, cfg.Dialect))
	}
	w := newWebhook("kannel", FormatKannel, []string{"type|dlr|status"}, sharedCheck("kannel", cfg.SharedSecret), parse)
	w.shared = &cfg.SharedSecret
	w.recipientParam = true
	return w, nil
}

// NewJasminWebhook returns the adapter of Jasmin's DLR thrower (a form
// POST, or a GET with dlr-method GET; read by ParseJasmin). Jasmin's DLR
// names no number, so the sender's dlr-url carries it with the token:
//
//	https://rebond.example.com/v1/webhooks/jasmin?token=SECRET&recipient=447700900123&ref=<sender's id>&campaign=<campaign>
//
// The success answer is exactly "ACK/Jasmin" (jasmin/routing/throwers.py):
// anything else makes Jasmin throw the DLR again.
func NewJasminWebhook(cfg GatewayConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.New("jasmin webhook: " + err.Error())
	}
	parse := func(c *callback) ([]channels.Event, error) { return single(ParseJasmin(c.params, cfg.Dialect)) }
	w := newWebhook("jasmin", FormatJasmin, []string{"id", "message_status", "level"}, sharedCheck("jasmin", cfg.SharedSecret), parse)
	w.shared = &cfg.SharedSecret
	w.answer, w.recipientParam = "ACK/Jasmin", true
	return w, nil
}

// InfobipConfig configures the Infobip delivery report adapter.
type InfobipConfig struct {
	// SharedSecret is what the notifyUrl or the webhook subscription
	// sends: Basic credentials, an "Authorization: App <key>" header, a
	// custom header, or a token in the URL (keys "username", "password",
	// "app_key", "header", "header_value", "token").
	SharedSecret `koanf:",squash"`
}

// Validate names the first key that is wrong.
func (c InfobipConfig) Validate() error { return c.SharedSecret.Validate() }

// NewInfobipWebhook returns the adapter of Infobip delivery reports (a
// JSON POST of results[], read by ParseInfobip; one event per result, each
// with its own result as Raw).
func NewInfobipWebhook(cfg InfobipConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.New("infobip webhook: " + err.Error())
	}
	parse := func(c *callback) ([]channels.Event, error) {
		evs, err := ParseInfobip(c.body)
		for i := range evs {
			evs[i].Raw = c.record(json.RawMessage(`{"results":[` + evs[i].Raw + `]}`))
		}
		return evs, err
	}
	w := newWebhook("infobip", FormatInfobip, []string{"results"}, sharedCheck("infobip", cfg.SharedSecret), parse)
	w.shared = &cfg.SharedSecret
	return w, nil
}

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

// NewSinchWebhook returns the adapter of Sinch SMS REST API delivery
// reports (a JSON POST, read by ParseSinchReports: a recipient report, or a
// batch report, one event per recipient; a batch "summary" report names
// no recipient and is answered as accepted, marked Unusable). With Secret
// it verifies Sinch's
// callback signature: x-sinch-webhook-signature =
// base64(HMAC-SHA256(secret, body + "." + nonce + "." + timestamp)), with
// the -nonce and -timestamp headers (Unix seconds, within MaxSkew) and
// -algorithm HmacSHA256. Sinch documents that scheme for its Conversation
// API callbacks and its SDKs validate SMS callbacks with it, but signing
// SMS delivery reports has to be enabled on the account; without it, the
// callback URL's Basic credentials or a token authenticate (SharedSecret).
func NewSinchWebhook(cfg SinchConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.New("sinch webhook: " + err.Error())
	}
	if cfg.MaxSkew == 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	verify := sharedCheck("sinch", cfg.SharedSecret)
	if cfg.Secret != "" {
		verify = cfg.verify
	}
	parse := func(c *callback) ([]channels.Event, error) { return ParseSinchReports(c.body) }
	w := newWebhook("sinch", FormatSinch, []string{"status"}, verify, parse)
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
	if err := checkFresh("sinch", "x-sinch-webhook-signature-timestamp", ts, c.at, cfg.MaxSkew); err != nil {
		return err
	}
	if !equalSecret(sig, hmacBase64(sha256.New, cfg.Secret, string(c.body)+"."+nonce+"."+ts)) {
		return channels.Unauthorized("sinch: x-sinch-webhook-signature does not verify")
	}
	return nil
}

// sharedCheck is the verify step of a shared secret.
func sharedCheck(provider string, s SharedSecret) func(*http.Request, *callback) error {
	return func(r *http.Request, c *callback) error { return s.check(provider, r, c) }
}
