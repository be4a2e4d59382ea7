package dlr_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rebond/rebond/sms"
	"github.com/rebond/rebond/sms/dlr"
)

// TestParseSinchBatchReport: a batch delivery report (delivery_report_sms,
// Sinch SMS REST API "Delivery report") of type "full" lists each status's
// recipients: one event each, with the id of the same recipient's own
// report, so both shapes of one outcome count once. A "summary" report
// names no recipient and gives no event, but ErrNoDelivery.
func TestParseSinchBatchReport(t *testing.T) {
	t.Parallel()
	full := `{"type":"delivery_report_sms","batch_id":"01HZX7Q3B9","total_message_count":3,"statuses":[
		{"code":0,"status":"Delivered","count":2,"recipients":["447700900101","447700900102"]},
		{"code":402,"status":"Failed","count":1,"recipients":["447700900103"]}],"client_reference":"spring"}`
	evs, err := dlr.ParseSinchReports([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, summary(e))
	}
	want := []string{
		"delivered|sinch|01HZX7Q3B9|447700900101|Delivered|0|sinch||-",
		"delivered|sinch|01HZX7Q3B9|447700900102|Delivered|0|sinch||-",
		"failed|sinch|01HZX7Q3B9|447700900103|Failed|402|sinch||-",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("full report (-want +got):\n%s", diff)
	}
	one, err := dlr.ParseSinch([]byte(`{"type":"recipient_delivery_report_sms","batch_id":"01HZX7Q3B9","recipient":"447700900103","code":402,"status":"Failed"}`))
	if err != nil || len(evs) != 3 || one.ID != evs[2].ID {
		t.Errorf("the recipient report's id %q, the batch report's %q (%v): want one fact, one id", one.ID, evs[len(evs)-1].ID, err)
	}
	summaryReport := `{"type":"delivery_report_sms","batch_id":"01HZX7Q3B9","statuses":[{"code":0,"status":"Delivered","count":3}],"total_message_count":3}`
	if evs, err := dlr.ParseSinchReports([]byte(summaryReport)); !errors.Is(err, sms.ErrNotReceipt) || !errors.Is(err, dlr.ErrNoDelivery) || len(evs) != 0 {
		t.Errorf("summary report: %d events, %v; want none, ErrNoDelivery (an ErrNotReceipt)", len(evs), err)
	}
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
	hook := mustHook(t)(dlr.NewSinch(dlr.SinchConfig{SharedSecret: dlr.SharedSecret{Username: "sinch", Password: gatewayToken}}))
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
