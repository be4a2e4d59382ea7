package dlr

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// The authentication helpers the adapters share, each written once:
// constant-time comparison, HMAC, the sorted-parameter canonical strings
// the providers sign, timestamp windows, the signed URL, and the shared
// secrets of providers that do not sign at all (Kannel, Jasmin, Infobip,
// Sinch without an HMAC secret).

// minSharedSecretLen is the shortest shared secret rebond accepts: the
// operator generates it, and 16 bytes of random text cannot be guessed.
const minSharedSecretLen = 16

// DefaultMaxSkew is how far a signed timestamp may be from rebond's clock
// (Vonage "Signing requests": 5 minutes; Sinch's signature timestamp gets
// the same window).
const DefaultMaxSkew = 5 * time.Minute

// SharedSecret authenticates a provider that cannot sign its callbacks
// (Kannel, Jasmin, Infobip, Sinch without an HMAC secret): a secret the
// operator generates and writes into the callback URL or the provider's
// webhook settings. Every field set is a way in; a request is accepted
// when one of them matches, compared in constant time. Secrets are at
// least 16 bytes.
type SharedSecret struct {
	// Token is compared with the query parameter "token" of the callback
	// URL (dlr-url=https://…/v1/webhooks/kannel?token=…&type=%d…).
	Token string `koanf:"token"`
	// Username and Password are HTTP Basic credentials (RFC 7617), as
	// Kannel sends them from a dlr-url of the form https://user:pass@host/…
	// and Infobip from its webhook security settings. An empty Username
	// accepts any user name.
	Username string `koanf:"username"`
	Password string `koanf:"password"`
	// AppKey is compared with an "Authorization: App <key>" header, the
	// scheme of Infobip's API keys.
	AppKey string `koanf:"app_key"`
	// Header names a header the provider is configured to send with the
	// value HeaderValue (Infobip and Sinch custom headers).
	Header      string `koanf:"header"`
	HeaderValue string `koanf:"header_value"`
}

// configured reports whether any way in is set.
func (s SharedSecret) configured() bool {
	return s.Token != "" || s.Password != "" || s.AppKey != "" || s.Header != ""
}

// Validate checks that at least one way in is set and that each is
// complete and long enough; the error names the key.
func (s SharedSecret) Validate() error {
	if !s.configured() {
		return fmt.Errorf("token, password, app_key or header: one is required")
	}
	if s.Username != "" && s.Password == "" {
		return fmt.Errorf("password: required with username")
	}
	if (s.Header == "") != (s.HeaderValue == "") {
		return fmt.Errorf("header and header_value: set both or neither")
	}
	if s.Header != "" && !validHeaderName(s.Header) {
		return fmt.Errorf("header: %q is not an HTTP header name", s.Header)
	}
	for _, f := range []struct{ key, v string }{
		{"token", s.Token}, {"password", s.Password}, {"app_key", s.AppKey}, {"header_value", s.HeaderValue},
	} {
		if f.v != "" && len(f.v) < minSharedSecretLen {
			return fmt.Errorf("%s: shorter than %d bytes", f.key, minSharedSecretLen)
		}
	}
	return nil
}

// check authenticates r with the configured ways in.
func (s SharedSecret) check(provider string, r *http.Request, c *callback) error {
	presented := false
	if s.Token != "" {
		if t := c.query.Get("token"); t != "" {
			presented = true
			if equalSecret(t, s.Token) {
				return nil
			}
		}
	}
	if s.Password != "" {
		if user, pass, ok := r.BasicAuth(); ok {
			presented = true
			userOK := s.Username == "" || equalSecret(user, s.Username)
			if equalSecret(pass, s.Password) && userOK {
				return nil
			}
		}
	}
	if s.AppKey != "" {
		if scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "App") {
			presented = true
			if equalSecret(strings.TrimSpace(key), s.AppKey) {
				return nil
			}
		}
	}
	if s.Header != "" {
		if v := r.Header.Get(s.Header); v != "" {
			presented = true
			if equalSecret(v, s.HeaderValue) {
				return nil
			}
		}
	}
	if !presented {
		return channels.Unauthorized("%s: no credentials", provider)
	}
	return channels.Unauthorized("%s: credentials do not match", provider)
}

// sharedCheck is the verify step of a shared secret.
func sharedCheck(provider string, s SharedSecret) func(*http.Request, *callback) error {
	return func(r *http.Request, c *callback) error { return s.check(provider, r, c) }
}

// equalSecret compares two secrets in constant time. Both are hashed
// first, so the time does not even depend on their lengths.
func equalSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// hmacSum is HMAC (RFC 2104) of msg under key with the hash h.
func hmacSum(h func() hash.Hash, key, msg string) []byte {
	m := hmac.New(h, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// hmacBase64 is hmacSum in standard base64, the encoding of the Twilio,
// Plivo and Sinch signature headers.
func hmacBase64(h func() hash.Hash, key, msg string) string {
	return base64.StdEncoding.EncodeToString(hmacSum(h, key, msg))
}

// sortedParams renders v as the providers' canonical strings: the
// parameters sorted by name (byte order, which is Unicode code point
// order for UTF-8), the values of a repeated name sorted too, each pair
// written by pair and the pairs joined with sep. Names for which skip
// returns true are left out.
func sortedParams(v url.Values, sep string, skip func(name, value string) bool, pair func(name, value string) string) string {
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	n := 0
	for _, k := range names {
		vals := append([]string(nil), v[k]...)
		sort.Strings(vals)
		for _, val := range vals {
			if skip != nil && skip(k, val) {
				continue
			}
			if n > 0 {
				b.WriteString(sep)
			}
			b.WriteString(pair(k, val))
			n++
		}
	}
	return b.String()
}

// concatPair writes name and value with no delimiter (Twilio's and
// Plivo's POST parameter strings).
func concatPair(name, value string) string { return name + value }

// checkFresh refuses a signed Unix timestamp (seconds) further than
// maxSkew from now either way: a captured request replayed later fails.
func checkFresh(provider, field, ts string, now time.Time, maxSkew time.Duration) error {
	if ts == "" {
		return channels.Unauthorized("%s: no %s", provider, field)
	}
	sec, err := strconv.ParseFloat(strings.TrimSpace(ts), 64)
	if err != nil || math.IsNaN(sec) || math.IsInf(sec, 0) {
		return channels.Unauthorized("%s: %s %q is not a Unix time", provider, field, truncate(ts, 32))
	}
	skew := float64(now.UnixNano())/1e9 - sec
	if math.Abs(skew) > maxSkew.Seconds() {
		return channels.Unauthorized("%s: %s is %.0fs from now, more than %s", provider, field, skew, maxSkew)
	}
	return nil
}

// requestURL is the URL the provider signed: the configured public URL
// (behind a proxy or a TLS terminator the request's own URL differs), with
// the request's query appended when the public URL has none; without one,
// the URL rebuilt from the request (scheme from the connection, Host
// header, request URI).
func requestURL(public string, r *http.Request) string {
	if public != "" {
		if r.URL.RawQuery != "" && !strings.Contains(public, "?") {
			return public + "?" + r.URL.RawQuery
		}
		return public
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

// validPublicURL checks the "url" key of a provider that signs the URL it
// called (Twilio, Plivo): empty, or an absolute http(s) URL.
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

// validHeaderName reports whether s is an RFC 9110 field name (a token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// truncate shortens s for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
