package dlr

import (
	"crypto/sha1"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// TwilioConfig configures the Twilio status-callback adapter. Twilio signs
// each callback with the account's auth token over the URL it called and
// the POST parameters, so the adapter must know the URL as Twilio wrote it.
type TwilioConfig struct {
	// AuthToken is the account's auth token, the key of
	// X-Twilio-Signature (configuration key "secret"; required).
	AuthToken string `koanf:"secret"`
	// URL is the public URL Twilio calls, as written in StatusCallback
	// without its query ("https://rebond.example.com/v1/webhooks/twilio";
	// key "url"). Set it whenever a proxy or TLS terminator stands in
	// front of rebond: the signature covers the URL Twilio called, not the
	// one rebond sees. Empty: rebuilt from the request.
	URL string `koanf:"url"`
}

// Validate names the first key that is wrong.
func (c TwilioConfig) Validate() error {
	if c.AuthToken == "" {
		return errors.New("secret (the auth token): required")
	}
	return validPublicURL(c.URL)
}

// NewTwilio returns the adapter of Twilio Messaging status callbacks (a
// form POST read by ParseTwilio). It verifies X-Twilio-Signature as
// Twilio's "Webhooks security" documents it: base64(HMAC-SHA1(auth token,
// URL + every POST parameter sorted by name, name and value
// concatenated)). Like Twilio's own validators it accepts the URL with or
// without the scheme's default port, which some proxies add or strip.
func NewTwilio(cfg TwilioConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.New("twilio webhook: " + err.Error())
	}
	parse := func(c *callback) ([]channels.Event, error) { return single(ParseTwilio(c.params)) }
	return newWebhook(ProviderTwilio, FormatTwilio, []string{"MessageStatus|SmsStatus"}, cfg.verify, parse), nil
}

// verify checks X-Twilio-Signature.
func (cfg TwilioConfig) verify(r *http.Request, c *callback) error {
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" {
		return channels.Unauthorized("twilio: no X-Twilio-Signature header")
	}
	params := sortedParams(c.form, "", nil, concatPair)
	for _, u := range portVariants(requestURL(cfg.URL, r)) {
		if equalSecret(sig, hmacBase64(sha1.New, cfg.AuthToken, u+params)) {
			return nil
		}
	}
	return channels.Unauthorized("twilio: X-Twilio-Signature does not verify")
}

// portVariants returns u and u with the scheme's default port added when
// it has none, or removed when it has it.
func portVariants(u string) []string {
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" {
		return []string{u}
	}
	def := map[string]string{"https": "443", "http": "80"}[strings.ToLower(pu.Scheme)]
	if def == "" {
		return []string{u}
	}
	host := pu.Host
	switch pu.Port() {
	case "":
		host += ":" + def
	case def:
		host = strings.TrimSuffix(host, ":"+def)
	default:
		return []string{u}
	}
	return []string{u, strings.Replace(u, "://"+pu.Host, "://"+host, 1)}
}

// ParseTwilio reads a Twilio Messaging status callback (form fields
// MessageSid, MessageStatus, ErrorCode, To; twilio.com/docs/messaging/
// guides/track-outbound-message-status). Stat is MessageStatus (SmsStatus
// on old accounts), Err the 300xx ErrorCode, Dialect "twilio". The callback
// carries no time.
func ParseTwilio(v url.Values) (channels.Event, error) {
	r, err := providerReceipt(ProviderTwilio, first(v, "MessageSid", "SmsSid"), phone(first(v, "To")),
		first(v, "MessageStatus", "SmsStatus"), first(v, "ErrorCode"))
	if err != nil {
		return channels.Event{}, err
	}
	return r.Event(), nil
}

// ParseTwilioMO reads a Twilio incoming-message webhook (form fields
// MessageSid, From, To, Body, NumSegments; Twilio's "Messaging webhooks"
// reference). With Advanced Opt-Out the request also carries OptOutType
// (STOP, START, HELP): Twilio then already refuses to send to a number
// that sent one of its STOP words, so that reading wins over rebond's
// keywords (sms.MO.Type); HELP is an inbound message.
func ParseTwilioMO(v url.Values) (sms.MO, error) {
	id, from := first(v, "MessageSid", "SmsMessageSid", "SmsSid"), first(v, "From")
	if id == "" || from == "" {
		return sms.MO{}, errors.New("parse twilio message: MessageSid and From are required")
	}
	m := sms.MO{Provider: ProviderTwilio, ID: id, From: strings.TrimPrefix(from, "sms:"), Text: v.Get("Body")}
	switch t := strings.ToUpper(first(v, "OptOutType")); t {
	case "STOP":
		m.Type, m.Keyword = channels.OptOut, t
	case "START":
		m.Type, m.Keyword = channels.OptIn, t
	}
	return m, nil
}
