package sms_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/sms"
)

// Kannel, Jasmin and Infobip sign nothing and send no timestamp: there is
// no stale case, only the shared secret.

func TestKannelWebhook(t *testing.T) {
	t.Parallel()
	hook := kannelHook(t, "map")
	const dlr = "type=2&fid=5F3A1B03&from=447700900123&ts=1795348830&answer=id%3A5F3A1B03+stat%3AUNDELIV+err%3A001"
	get := func(target string, h http.Header) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) { return request("GET", target, "", "", h) }
	}
	plain := "https://rebond.example.com/v1/webhooks/kannel?" + dlr
	want := []string{"failed|kannel|5F3A1B03|447700900123|UNDELIV|001|map||-"}
	tests := []hookCase{
		{"token", get(gatewayURL("kannel", dlr), nil), "ok", want},
		{"basic auth", get(plain, http.Header{"Authorization": {basicAuth("kannel", gatewayToken)}}), "ok", want},
		{"form POST", func() (*http.Request, []byte) {
			return request("POST", gatewayURL("kannel", ""), formType, dlr, nil)
		}, "ok", want},
		{"basic auth, another user", get(plain, http.Header{"Authorization": {basicAuth("root", gatewayToken)}}), "unauthorized", nil},
		{"another token", get("https://rebond.example.com/v1/webhooks/kannel?token=guess-guess-guess-1&"+dlr, nil), "unauthorized", nil},
		{"token in the form, not the URL", func() (*http.Request, []byte) {
			return request("POST", "https://rebond.example.com/v1/webhooks/kannel", formType, dlr+"&token="+gatewayToken, nil)
		}, "unauthorized", nil},
		{"no credentials", get(plain, nil), "unauthorized", nil},
		{"no type", get(gatewayURL("kannel", "fid=1&from=447700900123"), nil), "malformed type", nil},
		{"no number", get(gatewayURL("kannel", "type=1&fid=1"), nil), "malformed recipient", nil},
		{"number in the URL", get(gatewayURL("kannel", "type=1&fid=1&recipient=%2B447700900123"), nil), "ok",
			[]string{"delivered|kannel|1|447700900123|DLR_SUCCESS||kannel||-"}},
		{"bad query", get(gatewayURL("kannel", "type=1&fid=%zz"), nil), "malformed query", nil},
	}
	runHookCases(t, hook, tests)
}

// TestKannelWebhookBitmask reads the dlr-url %d, Kannel's DLR type bit
// mask (gw/dlr.h), alone and in the composites Kannel sends.
func TestKannelWebhookBitmask(t *testing.T) {
	t.Parallel()
	hook := kannelHook(t, "")
	tests := []struct{ mask, want string }{
		{"1", "ok delivered DLR_SUCCESS"},
		{"2", "ok failed DLR_FAIL"},
		{"4", "ok deferred DLR_BUFFERED"},
		{"8", "ok deferred DLR_SMSC_SUCCESS"}, // a pending step, never a send
		{"16", "ok failed DLR_SMSC_FAIL"},
		{"34", "ok failed DLR_FAIL"},       // 32 | 2
		{"65", "ok delivered DLR_SUCCESS"}, // 64 | 1
		{"3", "ok delivered DLR_SUCCESS"},  // success wins over fail
		{"12", "ok deferred DLR_BUFFERED"}, // buffered before SMSC accepted
		{"24", "ok failed DLR_SMSC_FAIL"},  // SMSC reject before SMSC accepted
		{"20", "ok failed DLR_SMSC_FAIL"},  // SMSC reject before buffered
		{"0", "malformed type"},
		{"32", "malformed type"},
		{"96", "malformed type"},
		{"256", "malformed type"},
		{"-1", "malformed type"},
		{"0x1", "malformed type"},
		{"", "malformed type"},
	}
	for _, tt := range tests {
		t.Run("type="+tt.mask, func(t *testing.T) {
			t.Parallel()
			r, body := request("GET", gatewayURL("kannel", "fid=F1&from=447700900123&type="+tt.mask), "", "", nil)
			res, err := hook.Handle(r, body)
			got := outcome(err)
			if err == nil {
				if len(res.Events) != 1 {
					t.Fatalf("%d events", len(res.Events))
				}
				checkWebhookEvent(t, res.Events[0])
				got += " " + string(res.Events[0].Type) + " " + res.Events[0].SMS.Stat
			}
			if got != tt.want {
				t.Errorf("type=%s: %s (%v), want %s", tt.mask, got, err, tt.want)
			}
		})
	}
}

func TestJasminWebhook(t *testing.T) {
	t.Parallel()
	hook := jasminHook(t, "map")
	const dlr = "id=5f0c9b1e-0005&level=2&message_status=UNDELIV&connector=smsc-eu1&id_smsc=3A000005&sub=001&dlvrd=000&subdate=2405101230&donedate=2405101231&err=001&text=hi"
	post := func(target, form string) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) { return request("POST", target, formType, form, nil) }
	}
	want := []string{"failed|jasmin|5f0c9b1e-0005|447700900123|UNDELIV|001|map||-"}
	tests := []hookCase{
		{"form POST", post(gatewayURL("jasmin", "recipient=447700900123"), dlr), "ok", want},
		{"GET", func() (*http.Request, []byte) {
			return request("GET", gatewayURL("jasmin", "recipient=447700900123&"+dlr), "", "", nil)
		}, "ok", want},
		{"level 1 accepted", post(gatewayURL("jasmin", "recipient=447700900123"), "id=j1&level=1&message_status=ESME_ROK&connector=c"), "ok",
			[]string{"sent|jasmin|j1|447700900123|ESME_ROK||jasmin||-"}},
		{"another token", post("https://rebond.example.com/v1/webhooks/jasmin?token=guess-guess-guess-1&recipient=447700900123", dlr), "unauthorized", nil},
		{"no token", post("https://rebond.example.com/v1/webhooks/jasmin?recipient=447700900123", dlr), "unauthorized", nil},
		{"no number", post(gatewayURL("jasmin", ""), dlr), "malformed recipient", nil},
		{"no message_status", post(gatewayURL("jasmin", "recipient=447700900123"), "id=j1&level=1"), "malformed message_status", nil},
		{"unknown level", post(gatewayURL("jasmin", "recipient=447700900123"), "id=j1&level=9&message_status=ESME_ROK"), "malformed body", nil},
	}
	runHookCases(t, hook, tests)
}

// TestJasminAnswer pins the answer Jasmin waits for: anything but exactly
// "ACK/Jasmin" makes it throw the DLR again (jasmin/routing/throwers.py).
func TestJasminAnswer(t *testing.T) {
	t.Parallel()
	hook := jasminHook(t, "")
	r, body := request("POST", gatewayURL("jasmin", "recipient=447700900123"), formType, "id=j1&level=1&message_status=ESME_ROK", nil)
	res, err := hook.Handle(r, body)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if res.Body != "ACK/Jasmin" || !strings.HasPrefix(res.ContentType, "text/plain") || len(res.Events) != 1 {
		t.Errorf("answer %q (%s) with %d events, want ACK/Jasmin as text/plain with 1 event", res.Body, res.ContentType, len(res.Events))
	}
	r, body = request("GET", gatewayURL("kannel", "type=1&fid=1&from=447700900123"), "", "", nil)
	if res, err := kannelHook(t, "").Handle(r, body); err != nil || res.Body != "" {
		t.Errorf("kannel answers %q (%v), want the api's default", res.Body, err)
	}
}

func TestInfobipWebhook(t *testing.T) {
	t.Parallel()
	hook := infobipHook(t)
	const body = `{"results":[
		{"messageId":"m1","to":"447700900123","doneAt":"2024-05-10T12:31:00.000+0000","status":{"groupId":3,"groupName":"DELIVERED","id":5,"name":"DELIVERED_TO_HANDSET"},"error":{"id":0}},
		{"messageId":"m2","to":"447700900124","status":{"groupId":2,"groupName":"UNDELIVERABLE","id":9,"name":"UNDELIVERABLE_NOT_DELIVERED"},"error":{"id":27}}]}`
	post := func(h http.Header, b string) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) {
			return request("POST", "https://rebond.example.com/v1/webhooks/infobip", "application/json", b, h)
		}
	}
	want := []string{
		"delivered|infobip|m1|447700900123|DELIVERED_TO_HANDSET||infobip||-",
		"failed|infobip|m2|447700900124|UNDELIVERABLE_NOT_DELIVERED|27|infobip||-",
	}
	basic := http.Header{"Authorization": {basicAuth(infobipUser, infobipPass)}}
	tests := []hookCase{
		{"basic auth", post(basic, body), "ok", want},
		{"App key", post(http.Header{"Authorization": {"App " + infobipKey}}, body), "ok", want},
		{"shared header", post(http.Header{infobipHdr: {infobipHdrV}}, body), "ok", want},
		{"basic auth, wrong password", post(http.Header{"Authorization": {basicAuth(infobipUser, "wrong-password-0001")}}, body), "unauthorized", nil},
		{"App key, wrong key", post(http.Header{"Authorization": {"App wrong-key-0123456789"}}, body), "unauthorized", nil},
		{"shared header, wrong value", post(http.Header{infobipHdr: {"wrong-value-0123456789"}}, body), "unauthorized", nil},
		{"no credentials", post(nil, body), "unauthorized", nil},
		{"no results", post(basic, `{"result":[]}`), "malformed results", nil},
		{"not JSON", post(basic, `{"results":[`), "malformed body", nil},
		{"a result without status", post(basic, `{"results":[{"messageId":"m1","to":"447700900123"}]}`), "malformed body", nil},
	}
	runHookCases(t, hook, tests)
}

func TestSinchWebhook(t *testing.T) {
	t.Parallel()
	hook := sinchHook(t)
	now := time.Now()
	const body = `{"type":"recipient_delivery_report_sms","batch_id":"B1","recipient":"447700900123","code":402,"status":"Failed","at":"2024-05-10T12:31:00.000Z"}`
	with := func(h http.Header, b string) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) {
			return request("POST", "https://rebond.example.com/v1/webhooks/sinch", "application/json", b, h)
		}
	}
	edit := func(h http.Header, k, v string) http.Header {
		h = h.Clone()
		if v == "" {
			h.Del(k)
		} else {
			h.Set(k, v)
		}
		return h
	}
	good := sinchHeaders(sinchSecret, body, "nonce-1", now)
	want := []string{"failed|sinch|B1|447700900123|Failed|402|sinch||-"}
	batch := `{"type":"delivery_report_sms","batch_id":"B1","statuses":[{"code":0,"status":"Delivered","count":1}],"total_message_count":1}`
	tests := []hookCase{
		{"signed", with(good, body), "ok", want},
		{"another secret", with(sinchHeaders("another-secret", body, "nonce-1", now), body), "unauthorized", nil},
		{"changed after signing", with(good, strings.Replace(body, "Failed", "Delivered", 1)), "unauthorized", nil},
		{"another nonce", with(edit(good, "X-Sinch-Webhook-Signature-Nonce", "nonce-2"), body), "unauthorized", nil},
		{"stale timestamp", with(sinchHeaders(sinchSecret, body, "nonce-1", now.Add(-6*time.Minute)), body), "unauthorized", nil},
		{"timestamp from the future", with(sinchHeaders(sinchSecret, body, "nonce-1", now.Add(6*time.Minute)), body), "unauthorized", nil},
		{"no timestamp", with(edit(good, "X-Sinch-Webhook-Signature-Timestamp", ""), body), "unauthorized", nil},
		{"no nonce", with(edit(good, "X-Sinch-Webhook-Signature-Nonce", ""), body), "unauthorized", nil},
		{"another algorithm", with(edit(good, "X-Sinch-Webhook-Signature-Algorithm", "HmacSHA1"), body), "unauthorized", nil},
		{"unsigned", with(nil, body), "unauthorized", nil},
		{"no status", with(sinchHeaders(sinchSecret, `{"batch_id":"B1","recipient":"447700900123"}`, "n", now),
			`{"batch_id":"B1","recipient":"447700900123"}`), "malformed status", nil},
		{"summary batch report: nothing to record", with(sinchHeaders(sinchSecret, batch, "n", now), batch), "ok", nil},
	}
	runHookCases(t, hook, tests)
	// The summary is accepted (Sinch must not deliver it again), but
	// marked unusable, so the API keeps it and says why.
	res, err := hook.Handle(with(sinchHeaders(sinchSecret, batch, "n2", now), batch)())
	if err != nil || len(res.Events) != 0 || !strings.Contains(res.Unusable, "summary") || !strings.Contains(res.Unusable, `"per_recipient"`) {
		t.Errorf("summary report: %+v, %v; want no event, unusable with the reason and the fix", res, err)
	}
	res, err = hook.Handle(with(good, body)())
	if err != nil || res.Unusable != "" {
		t.Errorf("a recipient report: unusable %q, %v", res.Unusable, err)
	}
}

func TestSinchWebhookSharedSecret(t *testing.T) {
	t.Parallel()
	hook := mustHook(t)(sms.NewSinchWebhook(sms.SinchConfig{SharedSecret: sms.SharedSecret{Username: "sinch", Password: gatewayToken}}))
	const body = `{"type":"recipient_delivery_report_sms","batch_id":"B1","recipient":"447700900123","code":0,"status":"Delivered"}`
	post := func(h http.Header) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) {
			return request("POST", "https://rebond.example.com/v1/webhooks/sinch", "application/json", body, h)
		}
	}
	runHookCases(t, hook, []hookCase{
		{"basic auth", post(http.Header{"Authorization": {basicAuth("sinch", gatewayToken)}}), "ok", []string{"delivered|sinch|B1|447700900123|Delivered|0|sinch||-"}},
		{"wrong password", post(http.Header{"Authorization": {basicAuth("sinch", "wrong-password-00001")}}), "unauthorized", nil},
		{"a valid HMAC is no credential here", post(sinchHeaders(sinchSecret, body, "n", time.Now())), "unauthorized", nil},
	})
}

// TestKannelWebhookErrorNamesField: the api prefixes "webhook <name>:",
// so a refusal starts with the field, said once.
func TestKannelWebhookErrorNamesField(t *testing.T) {
	t.Parallel()
	hook := kannelHook(t, "")
	for _, q := range []string{"type=1&ref=m1&ts=yesterday&from=447700900123", "type=1&fid=%zz", "type=1&ref=m1"} {
		r, body := request("GET", gatewayURL("kannel", q), "", "", nil)
		_, err := hook.Handle(r, body)
		if err == nil {
			t.Fatalf("%s: accepted", q)
		}
		if strings.Contains(err.Error(), "webhook") {
			t.Errorf("%s: error %q names the webhook; the caller does", q, err)
		}
	}
}
