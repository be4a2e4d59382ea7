package dlr_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/sms/dlr"
)

const vonageURL = "https://rebond.example.com/v1/webhooks/vonage"

func TestVonageWebhook(t *testing.T) {
	t.Parallel()
	hook := vonageHook(t, "")
	now := time.Now()
	dlr := url.Values{"msisdn": {"447700900123"}, "to": {"Rebond"}, "messageId": {"0A1"}, "status": {"failed"}, "err-code": {"9"},
		"message-timestamp": {"2024-05-10 12:31:00"}, "client-ref": {"a&b=c"}}
	body := `{"msisdn":"447700900123","messageId":"0A1","status":"failed","err-code":"9","message-timestamp":"2024-05-10 12:31:00"}`
	want := []string{"failed|vonage|0A1|447700900123|failed|9|vonage||-"}
	jwt := func(secret, alg, signed, sent string, iat time.Time, extra map[string]any) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) {
			return request("POST", vonageURL, "application/json", sent,
				http.Header{"Authorization": {"Bearer " + vonageJWT(secret, alg, []byte(signed), iat, extra)}})
		}
	}
	query := func(v url.Values) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) { return request("GET", vonageURL+"?"+v.Encode(), "", "", nil) }
	}
	form := func(v url.Values) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) { return request("POST", vonageURL, formType, v.Encode(), nil) }
	}
	signed := vonageSign(dlr, vonageSecret, "sha256", now)
	upper := vonageSign(dlr, vonageSecret, "sha256", now)
	upper.Set("sig", strings.ToUpper(upper.Get("sig")))
	noTimestamp := vonageSign(dlr, vonageSecret, "sha256", now)
	noTimestamp.Del("timestamp")
	tampered := vonageSign(dlr, vonageSecret, "sha256", now)
	tampered.Set("err-code", "2")
	noStatus := url.Values{"msisdn": {"447700900123"}, "messageId": {"0A1"}}
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	tests := []hookCase{
		{"JSON, signed JWT", jwt(vonageSecret, "HS256", body, body, now, nil), "ok", want},
		{"JSON, JWT of another secret", jwt("another-secret", "HS256", body, body, now, nil), "unauthorized", nil},
		{"JSON, JWT of another body", jwt(vonageSecret, "HS256", strings.Replace(body, `"9"`, `"2"`, 1), body, now, nil), "unauthorized", nil},
		{"JSON, stale JWT", jwt(vonageSecret, "HS256", body, body, now.Add(-10*time.Minute), nil), "unauthorized", nil},
		{"JSON, JWT from the future", jwt(vonageSecret, "HS256", body, body, now.Add(10*time.Minute), nil), "unauthorized", nil},
		{"JSON, expired JWT", jwt(vonageSecret, "HS256", body, body, now, map[string]any{"exp": now.Add(-time.Hour).Unix()}), "unauthorized", nil},
		{"JSON, JWT without payload_hash", jwt(vonageSecret, "HS256", body, body, now, map[string]any{"payload_hash": nil}), "unauthorized", nil},
		{"JSON, JWT signed HS512", jwt(vonageSecret, "HS512", body, body, now, nil), "unauthorized", nil},
		{"JSON, unsigned JWT (alg none)", func() (*http.Request, []byte) {
			claims := base64.RawURLEncoding.EncodeToString([]byte(`{"iat":` + strconv.FormatInt(now.Unix(), 10) + `}`))
			return request("POST", vonageURL, "application/json", body, http.Header{"Authorization": {"Bearer " + none + "." + claims + "."}})
		}, "unauthorized", nil},
		{"JSON, sig in the body", func() (*http.Request, []byte) {
			v := vonageSign(dlr, vonageSecret, "sha256", now)
			m := map[string]string{}
			for k := range v {
				m[k] = v.Get(k)
			}
			return request("POST", vonageURL, "application/json", jsonBody(m), nil)
		}, "ok", want},
		{"GET, signed query", query(signed), "ok", want},
		{"GET, upper-case sig", query(upper), "ok", want},
		{"POST form, signed", form(signed), "ok", want},
		{"GET, stale timestamp", query(vonageSign(dlr, vonageSecret, "sha256", now.Add(-6*time.Minute))), "unauthorized", nil},
		{"GET, no timestamp", query(noTimestamp), "unauthorized", nil},
		{"GET, changed after signing", query(tampered), "unauthorized", nil},
		{"GET, signed with another method", query(vonageSign(dlr, vonageSecret, "md5hash", now)), "unauthorized", nil},
		{"GET, unsigned", query(dlr), "unauthorized", nil},
		{"JSON, unsigned", func() (*http.Request, []byte) { return request("POST", vonageURL, "application/json", body, nil) }, "unauthorized", nil},
		{"signed, no status", query(vonageSign(noStatus, vonageSecret, "sha256", now)), "malformed status", nil},
		{"JSON, no status", jwt(vonageSecret, "HS256", `{"messageId":"0A1"}`, `{"messageId":"0A1"}`, now, nil), "malformed status", nil},
		{"JSON, not JSON", jwt(vonageSecret, "HS256", `{"messageId":`, `{"messageId":`, now, nil), "malformed body", nil},
		{"Messages API status", jwt(vonageSecret, "HS256", `{"message_uuid":"x","to":"447700900123","status":"submitted"}`,
			`{"message_uuid":"x","to":"447700900123","status":"submitted"}`, now, nil), "malformed message_uuid", nil},
	}
	runHookCases(t, hook, tests)
}

// TestVonageSignatureMethods checks each sig method of Vonage's "Signing
// requests" against an adapter configured for it, and that a signature
// made with another method is refused.
func TestVonageSignatureMethods(t *testing.T) {
	t.Parallel()
	dlr := url.Values{"msisdn": {"447700900123"}, "messageId": {"0A1"}, "status": {"delivered"}, "err-code": {"0"}}
	methods := []string{"md5hash", "md5", "sha1", "sha256", "sha512"}
	for _, configured := range methods {
		hook := vonageHook(t, configured)
		for _, used := range methods {
			r, body := request("GET", vonageURL+"?"+vonageSign(dlr, vonageSecret, used, time.Now()).Encode(), "", "", nil)
			_, err := hook.Handle(r, body)
			want := "unauthorized"
			if used == configured {
				want = "ok"
			}
			if got := outcome(err); got != want {
				t.Errorf("configured %s, signed %s: %s (%v), want %s", configured, used, got, err, want)
			}
		}
	}
}

func TestVonageAsQuery(t *testing.T) {
	t.Parallel()
	payload := `{"method":"GET","path":"/dlr","query":{"msisdn":"447700900123","messageId":"0A9","status":"expired","err-code":"0"}}`
	e, err := dlr.ParseReceipt(dlr.FormatVonage, []byte(payload), "")
	if err != nil {
		t.Fatalf("ParseReceipt: %v", err)
	}
	if got, want := summary(e), "failed|vonage|0A9|447700900123|expired|0|vonage||-"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
}
