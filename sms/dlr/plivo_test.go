package dlr_test

import (
	"net/http"
	"net/url"
	"testing"
)

func TestPlivoWebhook(t *testing.T) {
	t.Parallel()
	hook := plivoHook(t)
	form := url.Values{"MessageUUID": {"u1"}, "Status": {"undelivered"}, "ErrorCode": {"200"}, "To": {"447700900123"}, "From": {"15555550199"}}
	get := func(nonce string) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) {
			u := plivoURL + "?" + form.Encode()
			return request("GET", u, "", "", http.Header{
				"X-Plivo-Signature-V3": {plivoSignature(plivoToken, u, "GET", nonce, nil)}, "X-Plivo-Signature-V3-Nonce": {nonce}})
		}
	}
	withHeaders := func(h http.Header) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) { return request("POST", plivoURL, formType, form.Encode(), h) }
	}
	good := plivoSignature(plivoToken, plivoURL, "POST", "n1", form)
	want := []string{"failed|plivo|u1|447700900123|undelivered|200|plivo||-"}
	tests := []hookCase{
		{"signed POST", func() (*http.Request, []byte) { return plivoRequest(form, "n1") }, "ok", want},
		{"signed GET", get("n2"), "ok", want},
		{"signed POST to a URL with a query", func() (*http.Request, []byte) {
			u := plivoURL + "?b=2&a=1"
			return request("POST", u, formType, form.Encode(), http.Header{
				"X-Plivo-Signature-V3": {plivoSignature(plivoToken, u, "POST", "n3", form)}, "X-Plivo-Signature-V3-Nonce": {"n3"}})
		}, "ok", want},
		{"one of several signatures", withHeaders(http.Header{"X-Plivo-Signature-V3": {"bm90IGl0," + good}, "X-Plivo-Signature-V3-Nonce": {"n1"}}), "ok", want},
		{"main account header", withHeaders(http.Header{"X-Plivo-Signature-Ma-V3": {good}, "X-Plivo-Signature-V3-Nonce": {"n1"}}), "ok", want},
		{"another nonce", withHeaders(http.Header{"X-Plivo-Signature-V3": {good}, "X-Plivo-Signature-V3-Nonce": {"n2"}}), "unauthorized", nil},
		{"no nonce", withHeaders(http.Header{"X-Plivo-Signature-V3": {good}}), "unauthorized", nil},
		{"another token", withHeaders(http.Header{
			"X-Plivo-Signature-V3": {plivoSignature("another-token", plivoURL, "POST", "n1", form)}, "X-Plivo-Signature-V3-Nonce": {"n1"}}), "unauthorized", nil},
		{"GET signature on a POST", withHeaders(http.Header{
			"X-Plivo-Signature-V3": {plivoSignature(plivoToken, plivoURL, "GET", "n1", nil)}, "X-Plivo-Signature-V3-Nonce": {"n1"}}), "unauthorized", nil},
		{"unsigned", withHeaders(nil), "unauthorized", nil},
		{"no status", func() (*http.Request, []byte) {
			return plivoRequest(url.Values{"MessageUUID": {"u1"}, "To": {"447700900123"}}, "n1")
		}, "malformed Status", nil},
	}
	runHookCases(t, hook, tests)
}
