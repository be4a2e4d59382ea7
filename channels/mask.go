package channels

import (
	"encoding/json"
	"net/url"
	"strings"
)

// Masked replaces a secret in a raw source shown to an operator.
const Masked = "********"

// secretParams are the names of query parameters, form fields and JSON
// keys that carry a credential: a gateway's dlr-url carries its shared
// secret in the query, and some providers echo a token in their bodies.
var secretParams = []string{"token", "secret", "password", "pass", "key", "signature", "sig", "auth_token", "api_key", "apikey"}

// SecretParam reports whether a parameter or key of that name holds a
// secret (case-insensitive, exact names only: "keyword" is no secret).
func SecretParam(name string) bool {
	for _, p := range secretParams {
		if strings.EqualFold(name, p) {
			return true
		}
	}
	return false
}

// MaskRaw returns an event's raw source (Event.Raw) with its secrets
// replaced by Masked, for the activity log to show: in a JSON document
// (a webhook body, the envelope an SMS webhook records: its raw_query,
// query, form and body), the value of every secret key and the secret
// parameters of every string that is a query; in a query string or a
// request line ("GET /path?a=1&token=x"), the secret parameters. Anything
// else (a bounce mail, an SMPP receipt) is returned as it is: it holds no
// credential of the sender's.
func MaskRaw(raw string) string {
	t := strings.TrimSpace(raw)
	if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		var v any
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		if dec.Decode(&v) == nil {
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if enc.Encode(maskJSON(v)) == nil {
				return strings.TrimSuffix(b.String(), "\n")
			}
		}
		return raw
	}
	return maskQuery(raw)
}

// maskJSON masks the secrets of a decoded JSON value.
func maskJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if SecretParam(k) {
				x[k] = Masked
				continue
			}
			x[k] = maskJSON(e)
		}
	case []any:
		for i, e := range x {
			x[i] = maskJSON(e)
		}
	case string:
		return maskQuery(x)
	}
	return v
}

// maskQuery masks the secret parameters of s when s is a query string,
// or a request line or URL with one; otherwise it returns s.
func maskQuery(s string) string {
	prefix, q := "", s
	if i := strings.IndexByte(s, '?'); i >= 0 {
		prefix, q = s[:i+1], s[i+1:]
	}
	if !strings.Contains(q, "=") || strings.ContainsAny(q, " \n") {
		return s
	}
	parts := strings.Split(q, "&")
	changed := false
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		if name, err := url.QueryUnescape(k); ok && err == nil && SecretParam(name) {
			parts[i] = k + "=" + Masked
			changed = true
		}
	}
	if !changed {
		return s
	}
	return prefix + strings.Join(parts, "&")
}
