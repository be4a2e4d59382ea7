package dlr_test

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
	"hash"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms/dlr"
)

// The signers below are written from the providers' documentation, on
// purpose without the package's helpers: a test that signed with the code
// it checks would prove nothing. TestTwilioKnownAnswer pins the Twilio one
// to the example of Twilio's documentation.

// Secrets of the tests' adapters.
const (
	twilioToken  = "twilio-auth-token-0001"
	plivoToken   = "plivo-auth-token-0001"
	vonageSecret = "vonage-signature-secret"
	sinchSecret  = "sinch-callback-secret"
	gatewayToken = "gateway-token-0123456789"
	infobipUser  = "rebond"
	infobipPass  = "infobip-password-0001"
	infobipKey   = "infobip-app-key-0123456789"
	infobipHdr   = "X-Rebond-Secret"
	infobipHdrV  = "infobip-header-secret-01"
)

// Public URLs the tests' providers call.
const (
	twilioURL = "https://rebond.example.com/v1/webhooks/twilio"
	plivoURL  = "https://rebond.example.com/v1/webhooks/plivo"
)

// mustHook returns a function that fails the test when a constructor
// fails: mustHook(t)(dlr.NewTwilio(cfg)).
func mustHook(tb testing.TB) func(*dlr.Webhook, error) *dlr.Webhook {
	tb.Helper()
	return func(w *dlr.Webhook, err error) *dlr.Webhook {
		tb.Helper()
		if err != nil {
			tb.Fatalf("constructor: %v", err)
		}
		return w
	}
}

// The adapters every test uses.
func twilioHook(tb testing.TB) *dlr.Webhook {
	return mustHook(tb)(dlr.NewTwilio(dlr.TwilioConfig{AuthToken: twilioToken, URL: twilioURL}))
}

func plivoHook(tb testing.TB) *dlr.Webhook {
	return mustHook(tb)(dlr.NewPlivo(dlr.PlivoConfig{AuthToken: plivoToken, URL: plivoURL}))
}

func vonageHook(tb testing.TB, method string) *dlr.Webhook {
	return mustHook(tb)(dlr.NewVonage(dlr.VonageConfig{SignatureSecret: vonageSecret, SignatureMethod: method}))
}

func kannelHook(tb testing.TB, dialect string) *dlr.Webhook {
	return mustHook(tb)(dlr.NewKannel(dlr.GatewayConfig{
		SharedSecret: dlr.SharedSecret{Token: gatewayToken, Username: "kannel", Password: gatewayToken}, Dialect: dialect}))
}

func jasminHook(tb testing.TB, dialect string) *dlr.Webhook {
	return mustHook(tb)(dlr.NewJasmin(dlr.GatewayConfig{SharedSecret: dlr.SharedSecret{Token: gatewayToken}, Dialect: dialect}))
}

func infobipHook(tb testing.TB) *dlr.Webhook {
	return mustHook(tb)(dlr.NewInfobip(dlr.InfobipConfig{SharedSecret: dlr.SharedSecret{
		Username: infobipUser, Password: infobipPass, AppKey: infobipKey, Header: infobipHdr, HeaderValue: infobipHdrV}}))
}

func sinchHook(tb testing.TB) *dlr.Webhook {
	return mustHook(tb)(dlr.NewSinch(dlr.SinchConfig{Secret: sinchSecret}))
}

// request builds a callback request; body may be empty.
func request(method, target, contentType, body string, header http.Header) (*http.Request, []byte) {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		r.Header[k] = v
	}
	return r, []byte(body)
}

const formType = "application/x-www-form-urlencoded"

// sortedNames returns the names of v in byte order.
func sortedNames(v url.Values) []string {
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// nameValues concatenates the parameters sorted by name, then value, as
// name+value (Twilio "Webhooks security"; Plivo V3 for POST parameters).
func nameValues(v url.Values) string {
	var b strings.Builder
	for _, k := range sortedNames(v) {
		vals := append([]string(nil), v[k]...)
		sort.Strings(vals)
		for _, s := range vals {
			b.WriteString(k + s)
		}
	}
	return b.String()
}

func mac(h func() hash.Hash, key, msg string) []byte {
	m := hmac.New(h, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// twilioSignature is X-Twilio-Signature for a POST of form to u.
func twilioSignature(token, u string, form url.Values) string {
	return base64.StdEncoding.EncodeToString(mac(sha1.New, token, u+nameValues(form)))
}

// twilioRequest is a signed Twilio status callback POST.
func twilioRequest(form url.Values) (*http.Request, []byte) {
	return request("POST", twilioURL, formType, form.Encode(),
		http.Header{"X-Twilio-Signature": {twilioSignature(twilioToken, twilioURL, form)}})
}

// plivoSignature is X-Plivo-Signature-V3 (Plivo "Validating requests",
// V3): HMAC-SHA256 over the URL (its query sorted), the POST parameters
// for a POST, ".", the nonce.
func plivoSignature(token, u, method, nonce string, form url.Values) string {
	pu, _ := url.Parse(u)
	base := pu.Scheme + "://" + pu.Host + pu.Path
	var q []string
	for _, k := range sortedNames(pu.Query()) {
		vals := append([]string(nil), pu.Query()[k]...)
		sort.Strings(vals)
		for _, s := range vals {
			q = append(q, k+"="+s)
		}
	}
	query := strings.Join(q, "&")
	switch {
	case method == "POST" && len(form) > 0 && query != "":
		base += "?" + query + "." + nameValues(form)
	case method == "POST" && len(form) > 0:
		base += "?" + nameValues(form)
	case query != "":
		base += "?" + query
	}
	return base64.StdEncoding.EncodeToString(mac(sha256.New, token, base+"."+nonce))
}

// plivoRequest is a signed Plivo status callback POST.
func plivoRequest(form url.Values, nonce string) (*http.Request, []byte) {
	return request("POST", plivoURL, formType, form.Encode(), http.Header{
		"X-Plivo-Signature-V3":       {plivoSignature(plivoToken, plivoURL, "POST", nonce, form)},
		"X-Plivo-Signature-V3-Nonce": {nonce},
	})
}

// vonageSign adds timestamp and sig to params (Vonage "Signing requests":
// "&name=value" for every parameter sorted by name, "&" and "=" in values
// replaced by "_"; md5hash appends the secret and hashes, the others are
// HMACs; lower-case hex).
func vonageSign(params url.Values, secret, method string, at time.Time) url.Values {
	out := url.Values{}
	for k, v := range params {
		out[k] = append([]string(nil), v...)
	}
	out.Set("timestamp", strconv.FormatInt(at.Unix(), 10))
	var b strings.Builder
	clean := strings.NewReplacer("&", "_", "=", "_")
	for _, k := range sortedNames(out) {
		if k != "sig" {
			b.WriteString("&" + k + "=" + clean.Replace(out.Get(k)))
		}
	}
	var sum []byte
	switch method {
	case "md5hash":
		s := md5.Sum([]byte(b.String() + secret))
		sum = s[:]
	case "md5":
		sum = mac(md5.New, secret, b.String())
	case "sha1":
		sum = mac(sha1.New, secret, b.String())
	case "sha512":
		sum = mac(sha512.New, secret, b.String())
	default:
		sum = mac(sha256.New, secret, b.String())
	}
	out.Set("sig", hex.EncodeToString(sum))
	return out
}

// vonageJWT is a Vonage signed-webhook token (HS256) over body, issued at
// iat; extra claims override the defaults.
func vonageJWT(secret, alg string, body []byte, iat time.Time, extra map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	sum := sha256.Sum256(body)
	claims := map[string]any{"iat": iat.Unix(), "jti": "8f9e3c4a", "iss": "Vonage", "payload_hash": hex.EncodeToString(sum[:]),
		"api_key": "abcd1234", "application_id": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"}
	for k, v := range extra {
		claims[k] = v
	}
	signing := enc(map[string]string{"alg": alg, "typ": "JWT"}) + "." + enc(claims)
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac(sha256.New, secret, signing))
}

// vonageJSONRequest is a Vonage JSON POST with a signed-webhook JWT.
func vonageJSONRequest(body string, at time.Time) (*http.Request, []byte) {
	return request("POST", "https://rebond.example.com/v1/webhooks/vonage", "application/json", body,
		http.Header{"Authorization": {"Bearer " + vonageJWT(vonageSecret, "HS256", []byte(body), at, nil)}})
}

// sinchHeaders signs body (x-sinch-webhook-signature: base64 HMAC-SHA256
// of body "." nonce "." timestamp).
func sinchHeaders(secret, body, nonce string, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	return http.Header{
		"X-Sinch-Webhook-Signature":           {base64.StdEncoding.EncodeToString(mac(sha256.New, secret, body+"."+nonce+"."+ts))},
		"X-Sinch-Webhook-Signature-Nonce":     {nonce},
		"X-Sinch-Webhook-Signature-Timestamp": {ts},
		"X-Sinch-Webhook-Signature-Algorithm": {"HmacSHA256"},
	}
}

// sinchRequest is a signed Sinch delivery report POST.
func sinchRequest(body, nonce string, at time.Time) (*http.Request, []byte) {
	return request("POST", "https://rebond.example.com/v1/webhooks/sinch", "application/json", body, sinchHeaders(sinchSecret, body, nonce, at))
}

// gatewayURL is a Kannel or Jasmin callback URL with the token and query.
func gatewayURL(provider, query string) string {
	u := "https://rebond.example.com/v1/webhooks/" + provider + "?token=" + gatewayToken
	if query != "" {
		u += "&" + query
	}
	return u
}

// basicAuth is an Authorization header value (RFC 7617).
func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// outcome classifies Handle's answer: "ok", "unauthorized", "malformed
// <field>", or "error" for anything the contract does not allow.
func outcome(err error) string {
	var fe *channels.FieldError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, channels.ErrUnauthorized):
		return "unauthorized"
	case errors.As(err, &fe):
		return "malformed " + fe.Field
	case errors.Is(err, channels.ErrMalformed):
		return "malformed"
	}
	return "error: " + err.Error()
}

// hookCase is one request to an adapter and what must come of it: the
// outcome (see outcome) and, for "ok", the summary of each event.
type hookCase struct {
	name string
	req  func() (*http.Request, []byte)
	want string
	evs  []string
}

// runHookCases runs a table of requests against hook.
func runHookCases(t *testing.T, hook channels.Webhook, tests []hookCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			handleCase(t, hook, tt, checkWebhookEvent, summary)
		})
	}
}

// handleCase sends one request of a table to hook, checks the outcome
// and each event (with check, against the summaries of want.evs), and
// returns the result when the outcome is ok.
func handleCase(t *testing.T, hook channels.Webhook, tt hookCase, check func(testing.TB, channels.Event),
	summarize func(channels.Event) string) (channels.WebhookResult, bool) {
	t.Helper()
	r, body := tt.req()
	res, err := hook.Handle(r, body)
	if got := outcome(err); got != tt.want {
		t.Fatalf("Handle: %s (%v), want %s", got, err, tt.want)
	}
	if err != nil {
		return res, false
	}
	var got []string
	for _, e := range res.Events {
		check(t, e)
		got = append(got, summarize(e))
	}
	if strings.Join(got, "\n") != strings.Join(tt.evs, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.evs, "\n"))
	}
	return res, true
}

// checkWebhookEvent fails on an event the bus would refuse: a webhook's
// events are normalized, so normalizing again changes nothing.
func checkWebhookEvent(t testing.TB, e channels.Event) {
	t.Helper()
	n := e
	if err := n.Normalize(); err != nil {
		t.Fatalf("event does not normalize: %v: %+v", err, e)
	}
	if n.ID != e.ID || n.Recipient != e.Recipient || e.OccurredAt.IsZero() || e.Raw == "" || e.SMS == nil || e.Channel != channels.SMS {
		t.Fatalf("event not complete: %+v", e)
	}
	if strings.Contains(e.Raw, gatewayToken) {
		t.Fatalf("Raw keeps the shared secret: %s", e.Raw)
	}
}

// jsonBody marshals v.
func jsonBody(v any) string {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(v)
	return strings.TrimSpace(b.String())
}

// summary renders the fields a parser fills, in a fixed order, so a table
// test compares one line: type provider message_id recipient stat err
// dialect network_error message_state ("-" when absent).
func summary(e channels.Event) string {
	r := channels.SMSReceipt{}
	if e.SMS != nil {
		r = *e.SMS
	}
	state := "-"
	if r.MessageState != nil {
		state = strconv.Itoa(*r.MessageState)
	}
	return strings.Join([]string{string(e.Type), e.Provider, e.MessageID, e.Recipient, r.Stat, r.Err, r.Dialect, r.NetworkError, state}, "|")
}

func query(tb testing.TB, raw string) url.Values {
	tb.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		tb.Fatalf("parse query %q: %v", raw, err)
	}
	return v
}
