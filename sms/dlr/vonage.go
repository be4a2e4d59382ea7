package dlr

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// VonageConfig configures the Vonage (Nexmo) SMS delivery receipt adapter.
type VonageConfig struct {
	// SignatureSecret is the account's signature secret (dashboard, API
	// settings), the key of both signing schemes (key "secret"; required).
	SignatureSecret string `koanf:"secret"`
	// SignatureMethod is the account's signature method for the sig
	// parameter: md5hash, md5, sha1, sha256 or sha512 (the HMAC ones) (key
	// "signature_method"; default sha256).
	SignatureMethod string `koanf:"signature_method"`
	// MaxSkew is how far the signed timestamp may be from now (key
	// "max_skew"; default DefaultMaxSkew).
	MaxSkew time.Duration `koanf:"max_skew"`
}

// vonageHashes are the sig methods of Vonage's "Signing requests"; md5hash
// is the plain MD5 of the string with the secret appended, the others HMAC.
var vonageHashes = map[string]func() hash.Hash{"md5": md5.New, "sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New}

// Validate names the first key that is wrong.
func (c VonageConfig) Validate() error {
	if c.SignatureSecret == "" {
		return errors.New("secret (the signature secret): required")
	}
	if m := c.method(); m != "md5hash" && vonageHashes[m] == nil {
		return fmt.Errorf("signature_method: %q is not md5hash, md5, sha1, sha256 or sha512", c.SignatureMethod)
	}
	if c.MaxSkew < 0 {
		return errors.New("max_skew: negative")
	}
	return nil
}

// method is the sig method, lower case, sha256 when unset.
func (c VonageConfig) method() string {
	if c.SignatureMethod == "" {
		return "sha256"
	}
	return strings.ToLower(c.SignatureMethod)
}

// NewVonage returns the adapter of Vonage SMS API delivery receipts,
// sent as a GET query, a form POST or a JSON POST (the account's webhook
// format) and read by ParseVonage or ParseVonageValues. Two signatures are
// accepted, both keyed by the signature secret:
//
//   - a signed webhook: "Authorization: Bearer <JWT>" (Vonage "Signed
//     webhooks"), HS256 only, whose iat is within MaxSkew and whose
//     payload_hash is the hex SHA-256 of the body;
//   - a signed request (Vonage "Signing requests"): a sig parameter in the
//     query, the form or the JSON body, computed over the other parameters
//     sorted by name as "&name=value" ("&" and "=" in values replaced
//     by "_") with the configured method, and a timestamp parameter (Unix
//     seconds) within MaxSkew.
//
// A Messages API status webhook (message_uuid) is refused as malformed:
// its statuses and error codes are not the SMS API's, and no rule reads
// them.
func NewVonage(cfg VonageConfig) (*Webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.New("vonage webhook: " + err.Error())
	}
	if cfg.MaxSkew == 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	return newWebhook(ProviderVonage, FormatVonage, []string{"status"}, cfg.verify, parseVonageCallback), nil
}

// parseVonageCallback reads the JSON body, or the query and form.
func parseVonageCallback(c *callback) ([]channels.Event, error) {
	if !c.json {
		return single(ParseVonageValues(c.params))
	}
	var probe struct {
		MessageUUID *json.RawMessage `json:"message_uuid"`
	}
	if json.Unmarshal(c.body, &probe) == nil && probe.MessageUUID != nil {
		return nil, &channels.FieldError{Field: "message_uuid", Msg: "a Messages API status webhook; this adapter reads SMS API delivery receipts"}
	}
	return single(ParseVonage(c.body))
}

// verify checks the JWT when there is one, else the sig parameter.
func (cfg VonageConfig) verify(r *http.Request, c *callback) error {
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return verifyVonageJWT(strings.TrimSpace(tok), cfg.SignatureSecret, c.body, c.at, cfg.MaxSkew)
	}
	params := c.params
	if c.json {
		params = jsonParams(c.body)
	}
	sig := strings.ToLower(strings.TrimSpace(params.Get("sig")))
	if sig == "" {
		return channels.Unauthorized("vonage: neither an Authorization: Bearer JWT nor a sig parameter")
	}
	if err := checkFresh("vonage", "timestamp", params.Get("timestamp"), c.at, cfg.MaxSkew); err != nil {
		return err
	}
	// Vonage's SDKs differ on empty values: the Java one leaves them out
	// of the string, the others keep them. Either string is signed with
	// the secret, so accepting both admits nothing unsigned.
	for _, skipEmpty := range []bool{false, true} {
		if equalSecret(sig, vonageSig(params, cfg.SignatureSecret, cfg.method(), skipEmpty)) {
			return nil
		}
	}
	return channels.Unauthorized("vonage: sig does not verify")
}

// vonageEscaper replaces the characters Vonage's signing replaces in
// values (Vonage's Python and Node SDKs; names are left as they are).
var vonageEscaper = strings.NewReplacer("&", "_", "=", "_")

// vonageSig is the lower-case hex signature of the parameters other than
// sig, each name with its first value.
func vonageSig(params url.Values, secret, method string, skipEmpty bool) string {
	first := make(url.Values, len(params))
	for k, v := range params {
		if len(v) > 0 {
			first[k] = v[:1]
		}
	}
	s := sortedParams(first, "", func(k, v string) bool {
		return k == "sig" || (skipEmpty && strings.TrimSpace(v) == "")
	}, func(k, v string) string { return "&" + k + "=" + vonageEscaper.Replace(v) })
	if method == "md5hash" {
		sum := md5.Sum([]byte(s + secret))
		return hex.EncodeToString(sum[:])
	}
	return hex.EncodeToString(hmacSum(vonageHashes[method], secret, s))
}

// jsonParams flattens a JSON object's top-level members into parameters:
// strings as they are, anything else as its JSON text, null as "".
func jsonParams(body []byte) url.Values {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return url.Values{}
	}
	v := make(url.Values, len(obj))
	for k, raw := range obj {
		var s string
		switch {
		case json.Unmarshal(raw, &s) == nil:
		case bytes.Equal(bytes.TrimSpace(raw), []byte("null")):
		default:
			s = string(bytes.TrimSpace(raw))
		}
		v.Set(k, s)
	}
	return v
}

// maxJWTLen bounds the token; Vonage's are a few hundred bytes.
const maxJWTLen = 8 << 10

// verifyVonageJWT checks a Vonage signed-webhook token (RFC 7519 JWT, RFC
// 7515 JWS compact form): the header must say HS256 (the algorithm is
// pinned, never taken from the token alone), the HMAC-SHA256 of
// "header.payload" under the secret must match, iat must be within
// maxSkew of now, exp and nbf (when present) must hold, and payload_hash
// must be the hex SHA-256 of the body.
func verifyVonageJWT(tok, secret string, body []byte, now time.Time, maxSkew time.Duration) error {
	if len(tok) > maxJWTLen {
		return channels.Unauthorized("vonage: JWT longer than %d bytes", maxJWTLen)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return channels.Unauthorized("vonage: the bearer token is not a JWS compact JWT")
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if err := decodeJWTPart(parts[0], &hdr); err != nil {
		return channels.Unauthorized("vonage: JWT header: %v", err)
	}
	if hdr.Alg != "HS256" {
		return channels.Unauthorized("vonage: JWT alg %q, want HS256", truncate(hdr.Alg, 16))
	}
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[2], "="))
	if err != nil || !hmac.Equal(sig, hmacSum(sha256.New, secret, parts[0]+"."+parts[1])) {
		return channels.Unauthorized("vonage: JWT signature does not verify")
	}
	var cl struct {
		IAT         *json.Number `json:"iat"`
		EXP         *json.Number `json:"exp"`
		NBF         *json.Number `json:"nbf"`
		PayloadHash *string      `json:"payload_hash"`
	}
	if err := decodeJWTPart(parts[1], &cl); err != nil {
		return channels.Unauthorized("vonage: JWT claims: %v", err)
	}
	if cl.IAT == nil {
		return channels.Unauthorized("vonage: JWT has no iat")
	}
	if err := checkFresh("vonage", "JWT iat", cl.IAT.String(), now, maxSkew); err != nil {
		return err
	}
	if err := checkJWTWindow(cl.EXP, cl.NBF, now, maxSkew); err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	if len(body) > 0 || cl.PayloadHash != nil {
		if cl.PayloadHash == nil || !strings.EqualFold(*cl.PayloadHash, hex.EncodeToString(sum[:])) {
			return channels.Unauthorized("vonage: JWT payload_hash does not match the body")
		}
	}
	return nil
}

// checkJWTWindow applies exp and nbf (RFC 7519 sections 4.1.4 and 4.1.5)
// with maxSkew of leeway.
func checkJWTWindow(exp, nbf *json.Number, now time.Time, maxSkew time.Duration) error {
	leeway := int64(maxSkew / time.Second)
	if exp != nil {
		n, err := exp.Int64()
		if err != nil || now.Unix() > n+leeway {
			return channels.Unauthorized("vonage: JWT expired")
		}
	}
	if nbf != nil {
		n, err := nbf.Int64()
		if err != nil || now.Unix() < n-leeway {
			return channels.Unauthorized("vonage: JWT not valid yet")
		}
	}
	return nil
}

// decodeJWTPart decodes one base64url JSON part of a JWT.
func decodeJWTPart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// vonageDLR is the Vonage (Nexmo) SMS API delivery receipt
// (developer.vonage.com, "SMS delivery receipts").
type vonageDLR struct {
	MSISDN    flexString `json:"msisdn"`
	MessageID flexString `json:"messageId"`
	Status    flexString `json:"status"`
	ErrCode   flexString `json:"err-code"`
	Timestamp flexString `json:"message-timestamp"`
	SCTS      flexString `json:"scts"`
	// Network is the recipient's network as MCC-MNC ("23410"; Vonage SMS
	// API, "Delivery receipt": network-code).
	Network flexString `json:"network-code"`
}

// ParseVonageValues reads a Vonage delivery receipt sent as a GET query
// or a form, with the fields of ParseVonage.
func ParseVonageValues(v url.Values) (channels.Event, error) {
	m := make(map[string]string, len(v))
	for k := range v {
		m[k] = v.Get(k)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return channels.Event{}, fmt.Errorf("parse vonage callback: %w", err)
	}
	return ParseVonage(b)
}

// ParseVonage reads a Vonage delivery receipt JSON body (fields msisdn,
// messageId, status, err-code, message-timestamp, scts, network-code).
// Stat is status, Err err-code, Dialect "vonage", MCCMNC network-code.
func ParseVonage(body []byte) (channels.Event, error) {
	var d vonageDLR
	if err := json.Unmarshal(body, &d); err != nil {
		return channels.Event{}, fmt.Errorf("parse vonage callback: %w", err)
	}
	r, err := providerReceipt(ProviderVonage, string(d.MessageID), phone(string(d.MSISDN)), string(d.Status), string(d.ErrCode))
	if err != nil {
		return channels.Event{}, err
	}
	r.At = parseTimeAny(string(d.Timestamp))
	if r.At.IsZero() {
		r.At = sms.ParseReceiptDate(string(d.SCTS))
	}
	r.SMS.MCCMNC = carrier(string(d.Network))
	return r.Event(), nil
}

// parseVonageEnvelope reads the JSON body, or the query or form when the
// request had no body (Vonage sends either).
func parseVonageEnvelope(body json.RawMessage, v url.Values) (channels.Event, error) {
	if b := bytes.TrimSpace(body); len(b) > 0 && !bytes.Equal(b, []byte("null")) {
		return ParseVonage(b)
	}
	return ParseVonageValues(v)
}

// ParseVonageMO reads a Vonage inbound SMS, as parameters (a GET query, a
// form, or a JSON body flattened by jsonParams): the SMS API's fields
// msisdn, to, messageId, text, type, message-timestamp and concat-part /
// concat-total (Vonage's "Inbound SMS" webhook reference), or the
// Messages API's from, to, message_uuid, text, timestamp for channel sms.
// A binary message (type binary) has no text.
func ParseVonageMO(v url.Values) (sms.MO, error) {
	if ch := first(v, "channel"); ch != "" && !strings.EqualFold(ch, "sms") {
		return sms.MO{}, &channels.FieldError{Field: "channel", Msg: fmt.Sprintf("%q: this adapter reads SMS", truncate(ch, 32))}
	}
	from := first(v, "msisdn", "from")
	if from == "" {
		return sms.MO{}, errors.New("parse vonage message: msisdn is required")
	}
	m := sms.MO{Provider: ProviderVonage, ID: first(v, "messageId", "message_uuid"), From: from, Text: v.Get("text"),
		At: parseTimeAny(first(v, "message-timestamp", "timestamp"))}
	if strings.EqualFold(first(v, "type"), "binary") {
		m.Text = ""
	}
	m.Part, m.Parts = moSegment(first(v, "concat-part"), first(v, "concat-total"))
	return m, nil
}
