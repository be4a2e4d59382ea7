package sms

import (
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rebond/rebond/channels"
)

// Twilio and Plivo sign each callback with the account's auth token over
// the URL they called and the POST parameters, so the adapter must know
// the URL as the provider wrote it.

// TwilioConfig configures the Twilio status-callback adapter.
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

// NewTwilioWebhook returns the adapter of Twilio Messaging status
// callbacks (a form POST read by ParseTwilio). It verifies
// X-Twilio-Signature as Twilio's "Webhooks security" documents it:
// base64(HMAC-SHA1(auth token, URL + every POST parameter sorted by name,
// name and value concatenated)). Like Twilio's own validators it accepts
// the URL with or without the scheme's default port, which some proxies
// add or strip.
func NewTwilioWebhook(cfg TwilioConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.New("twilio webhook: " + err.Error())
	}
	parse := func(c *callback) ([]channels.Event, error) { return single(ParseTwilio(c.params)) }
	return newWebhook("twilio", FormatTwilio, []string{"MessageStatus|SmsStatus"}, cfg.verify, parse), nil
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

// PlivoConfig configures the Plivo message status adapter.
type PlivoConfig struct {
	// AuthToken is the auth token of the account (or subaccount) that
	// sends, the key of X-Plivo-Signature-V3 (key "secret"; required).
	AuthToken string `koanf:"secret"`
	// URL is the public URL Plivo calls, as written in the message's url
	// parameter without its query (key "url"); see TwilioConfig.URL.
	URL string `koanf:"url"`
}

// Validate names the first key that is wrong.
func (c PlivoConfig) Validate() error {
	if c.AuthToken == "" {
		return errors.New("secret (the auth token): required")
	}
	return validPublicURL(c.URL)
}

// NewPlivoWebhook returns the adapter of Plivo message status callbacks (a
// form POST, or a GET query, read by ParsePlivo). It verifies
// X-Plivo-Signature-V3 as Plivo's "Validating requests" (signature V3)
// documents it: base64(HMAC-SHA256(auth token, URL + "." + nonce)), the
// nonce from X-Plivo-Signature-V3-Nonce; for a POST the URL's query is
// sorted and the POST parameters, sorted by name, are appended as name and
// value. The header may hold several signatures separated by commas; one
// must verify. X-Plivo-Signature-Ma-V3 (signed with the main account's
// token) is accepted too when it verifies with the configured token.
func NewPlivoWebhook(cfg PlivoConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.New("plivo webhook: " + err.Error())
	}
	parse := func(c *callback) ([]channels.Event, error) { return single(ParsePlivo(c.params)) }
	return newWebhook("plivo", FormatPlivo, []string{"Status"}, cfg.verify, parse), nil
}

// verify checks X-Plivo-Signature-V3.
func (cfg PlivoConfig) verify(r *http.Request, c *callback) error {
	nonce := r.Header.Get("X-Plivo-Signature-V3-Nonce")
	sigs := strings.Join(append(r.Header.Values("X-Plivo-Signature-V3"), r.Header.Values("X-Plivo-Signature-Ma-V3")...), ",")
	if nonce == "" || strings.Trim(sigs, ", ") == "" {
		return channels.Unauthorized("plivo: no X-Plivo-Signature-V3 or nonce header")
	}
	base, err := plivoSignedURL(requestURL(cfg.URL, r), c.method, c.form)
	if err != nil {
		return channels.Unauthorized("plivo: cannot rebuild the signed URL: %v", err)
	}
	want := hmacBase64(sha256.New, cfg.AuthToken, base+"."+nonce)
	for _, s := range strings.Split(sigs, ",") {
		if equalSecret(strings.TrimSpace(s), want) {
			return nil
		}
	}
	return channels.Unauthorized("plivo: X-Plivo-Signature-V3 does not verify")
}

// plivoSignedURL is the string Plivo signs before the nonce: scheme, host
// and path, then "?" and the query's parameters sorted ("k=v&k2=v2"); for
// a POST with parameters, "?" and the sorted query, "." when the query
// was not empty, then the POST parameters sorted, name and value
// concatenated.
func plivoSignedURL(u, method string, form url.Values) (string, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	base := pu.Scheme + "://" + pu.Host + pu.EscapedPath()
	q := sortedParams(pu.Query(), "&", nil, func(k, v string) string { return k + "=" + v })
	if method == http.MethodGet || len(form) == 0 {
		if q != "" {
			base += "?" + q
		}
		return base, nil
	}
	base += "?" + q
	if q != "" {
		base += "."
	}
	return base + sortedParams(form, "", nil, concatPair), nil
}

// validPublicURL checks the "url" key: empty, or an absolute http(s) URL.
func validPublicURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("url: not an absolute http or https URL")
	}
	return nil
}
