package dlr

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// PlivoConfig configures the Plivo message status adapter. Plivo, like
// Twilio, signs the URL it called, so the adapter must know it.
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

// NewPlivo returns the adapter of Plivo message status callbacks (a form
// POST, or a GET query, read by ParsePlivo). It verifies
// X-Plivo-Signature-V3 as Plivo's "Validating requests" (signature V3)
// documents it: base64(HMAC-SHA256(auth token, URL + "." + nonce)), the
// nonce from X-Plivo-Signature-V3-Nonce; for a POST the URL's query is
// sorted and the POST parameters, sorted by name, are appended as name and
// value. The header may hold several signatures separated by commas; one
// must verify. X-Plivo-Signature-Ma-V3 (signed with the main account's
// token) is accepted too when it verifies with the configured token.
func NewPlivo(cfg PlivoConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.New("plivo webhook: " + err.Error())
	}
	parse := func(c *callback) ([]channels.Event, error) { return single(ParsePlivo(c.params)) }
	return newWebhook(ProviderPlivo, FormatPlivo, []string{"Status"}, cfg.verify, parse), nil
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

// ParsePlivo reads a Plivo message status callback (form fields
// MessageUUID, Status, ErrorCode, To, MessageTime; Plivo's "Message
// error codes" reference). Stat is Status, Err ErrorCode, Dialect "plivo".
func ParsePlivo(v url.Values) (channels.Event, error) {
	r, err := providerReceipt(ProviderPlivo, first(v, "MessageUUID"), phone(first(v, "To")),
		first(v, "Status"), first(v, "ErrorCode"))
	if err != nil {
		return channels.Event{}, err
	}
	r.At = parseTimeAny(first(v, "MessageTime"))
	return r.Event(), nil
}

// ParsePlivoMO reads a Plivo incoming-message request (form fields From,
// To, Text, Type, MessageUUID; Plivo's "Receive an SMS" guide). Type
// "mms" keeps its text too.
func ParsePlivoMO(v url.Values) (sms.MO, error) {
	id, from := first(v, "MessageUUID"), first(v, "From")
	if id == "" || from == "" {
		return sms.MO{}, errors.New("parse plivo message: MessageUUID and From are required")
	}
	return sms.MO{Provider: ProviderPlivo, ID: id, From: from, Text: v.Get("Text")}, nil
}
