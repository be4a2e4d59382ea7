package dlr_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rebond/rebond/sms"
	"github.com/rebond/rebond/sms/dlr"
)

// Twilio and Plivo sign no timestamp, so there is no stale case: a replay
// of a captured callback carries ids rebond already has.

func TestTwilioWebhook(t *testing.T) {
	t.Parallel()
	hook := twilioHook(t)
	delivered := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}, "To": {"+15555550100"}, "AccountSid": {"AC1"}}
	signedAs := func(u, token string, signed, sent url.Values, target string) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) {
			return request("POST", target, formType, sent.Encode(), http.Header{"X-Twilio-Signature": {twilioSignature(token, u, signed)}})
		}
	}
	failed := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"failed"}, "ErrorCode": {"30005"}, "To": {"+15555550100"}}
	noStatus := url.Values{"MessageSid": {"SM1"}, "To": {"+15555550100"}}
	whatsapp := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}, "To": {"whatsapp:+15555550100"}}
	tests := []hookCase{
		{"signed", func() (*http.Request, []byte) { return twilioRequest(delivered) }, "ok",
			[]string{"delivered|twilio|SM1|15555550100|delivered||twilio||-"}},
		{"signed, failed with a code", func() (*http.Request, []byte) { return twilioRequest(failed) }, "ok",
			[]string{"failed|twilio|SM1|15555550100|failed|30005|twilio||-"}},
		{"behind a proxy: the public URL is signed", signedAs(twilioURL, twilioToken, delivered, delivered, "http://10.0.0.5:8080/v1/webhooks/twilio"), "ok",
			[]string{"delivered|twilio|SM1|15555550100|delivered||twilio||-"}},
		{"the callback URL's query is signed", signedAs(twilioURL+"?campaign=spring", twilioToken, delivered, delivered, twilioURL+"?campaign=spring"), "ok",
			[]string{"delivered|twilio|SM1|15555550100|delivered||twilio||-"}},
		{"signed with the default port", signedAs("https://rebond.example.com:443/v1/webhooks/twilio", twilioToken, delivered, delivered, twilioURL), "ok",
			[]string{"delivered|twilio|SM1|15555550100|delivered||twilio||-"}},
		{"query left out of the signature", signedAs(twilioURL, twilioToken, delivered, delivered, twilioURL+"?campaign=spring"), "unauthorized", nil},
		{"signed for another URL", signedAs("https://evil.example.com/v1/webhooks/twilio", twilioToken, delivered, delivered, twilioURL), "unauthorized", nil},
		{"signed with another token", signedAs(twilioURL, "another-token", delivered, delivered, twilioURL), "unauthorized", nil},
		{"changed after signing", signedAs(twilioURL, twilioToken, delivered, failed, twilioURL), "unauthorized", nil},
		{"unsigned", func() (*http.Request, []byte) { return request("POST", twilioURL, formType, delivered.Encode(), nil) }, "unauthorized", nil},
		{"no status", func() (*http.Request, []byte) { return twilioRequest(noStatus) }, "malformed MessageStatus", nil},
		{"no number", func() (*http.Request, []byte) { return twilioRequest(whatsapp) }, "malformed recipient", nil},
		// Only the gateways read a number from the callback URL.
		{"no number, one in the URL", signedAs(twilioURL+"?recipient=15555550100", twilioToken, whatsapp, whatsapp, twilioURL+"?recipient=15555550100"),
			"malformed recipient", nil},
		{"not a form", func() (*http.Request, []byte) {
			return request("POST", twilioURL, formType, "MessageSid=%zz", http.Header{"X-Twilio-Signature": {twilioSignature(twilioToken, twilioURL, nil)}})
		}, "malformed body", nil},
		{"too large", func() (*http.Request, []byte) {
			big := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}, "Body": {strings.Repeat("a", sms.MaxPayloadLen)}}
			return twilioRequest(big)
		}, "malformed body", nil},
	}
	runHookCases(t, hook, tests)
}

// TestTwilioKnownAnswer checks the signature against the worked examples
// of Twilio's "Webhooks security" page and of its helper libraries' tests:
// token 12345, URL https://mycompany.com/myapp.php?foo=1&bar=2, a voice
// call's parameters. They are no status callback, so a verified request is
// refused as malformed, never as unauthorized.
func TestTwilioKnownAnswer(t *testing.T) {
	t.Parallel()
	hook := mustHook(t)(dlr.NewTwilio(dlr.TwilioConfig{AuthToken: "12345", URL: "https://mycompany.com/myapp.php"}))
	for _, tt := range []struct{ number, sig, want string }{
		{"+14158675309", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "malformed MessageStatus"},
		{"+12349013030", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "malformed MessageStatus"},
		{"+12349013030", "0/KCTR6DLpKmkAf8muzZqo1nDgR=", "unauthorized"},
	} {
		form := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {tt.number}, "Digits": {"1234"}, "From": {tt.number}, "To": {"+18005551212"}}
		r, body := request("POST", "http://127.0.0.1:8080/myapp.php?foo=1&bar=2", formType, form.Encode(), http.Header{"X-Twilio-Signature": {tt.sig}})
		_, err := hook.Handle(r, body)
		if got := outcome(err); got != tt.want {
			t.Errorf("signature %s: %s (%v), want %s", tt.sig, got, err, tt.want)
		}
	}
}
