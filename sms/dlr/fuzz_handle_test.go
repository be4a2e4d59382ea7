package dlr_test

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms/dlr"
)

// The webhook fuzz targets feed arbitrary payloads to Handle, each one
// authenticated correctly (the signature computed here, from the fuzzed
// payload). Handle must never panic, never refuse a correct signature,
// answer only ok or malformed, and return only events the bus keeps.
// Seeds: the corpus rows of the format, and testdata/fuzz/FuzzWebhook*.

// checkHandled fails on an answer the contract does not allow.
func checkHandled(t *testing.T, hook *dlr.Webhook, r *http.Request, body []byte) {
	t.Helper()
	res, err := hook.Handle(r, body)
	switch {
	case err == nil:
		for _, e := range res.Events {
			checkWebhookEvent(t, e)
		}
		if hook.Provider() == "jasmin" && res.Body != "ACK/Jasmin" {
			t.Fatalf("jasmin answer %q", res.Body)
		}
	case errors.Is(err, channels.ErrMalformed):
	default:
		t.Fatalf("Handle of an authenticated request: %v", err)
	}
}

// rawRequest builds a request without parsing a target, so that any
// fuzzed query reaches Handle (httptest.NewRequest panics on some).
func rawRequest(method, path, rawQuery, contentType string, body string, h http.Header) (*http.Request, []byte) {
	r, b := request(method, "https://rebond.example.com"+path, contentType, body, h)
	r.URL.RawQuery = rawQuery
	return r, b
}

// formOf reads a fuzzed form body as the adapter will; nil when it is
// not one (the adapter then refuses it before checking the signature).
func formOf(s string) url.Values {
	v, err := url.ParseQuery(s)
	if err != nil {
		return nil
	}
	return v
}

func addSeeds(f *testing.F, format string) {
	for _, s := range corpusSeeds(f, format) {
		f.Add(s)
	}
}

func FuzzWebhookTwilio(f *testing.F) {
	addSeeds(f, dlr.FormatTwilio)
	hook := twilioHook(f)
	f.Fuzz(func(t *testing.T, s string) {
		sig := twilioSignature(twilioToken, twilioURL, formOf(s))
		r, body := request("POST", twilioURL, formType, s, http.Header{"X-Twilio-Signature": {sig}})
		checkHandled(t, hook, r, body)
	})
}

func FuzzWebhookPlivo(f *testing.F) {
	addSeeds(f, dlr.FormatPlivo)
	hook := plivoHook(f)
	f.Fuzz(func(t *testing.T, s string) {
		h := http.Header{"X-Plivo-Signature-V3": {plivoSignature(plivoToken, plivoURL, "POST", "n", formOf(s))}, "X-Plivo-Signature-V3-Nonce": {"n"}}
		r, body := request("POST", plivoURL, formType, s, h)
		checkHandled(t, hook, r, body)
	})
}

// FuzzWebhookVonage fuzzes both schemes: a JSON body with a signed-webhook
// JWT, or a form whose sig and timestamp come first.
func FuzzWebhookVonage(f *testing.F) {
	for _, s := range corpusSeeds(f, dlr.FormatVonage) {
		f.Add(s, true)
		if v, err := url.ParseQuery(s); err == nil && len(v) > 1 {
			f.Add(s, false)
		}
	}
	f.Add("msisdn=447700900123&messageId=0A1&status=delivered&err-code=0&client-ref=a%26b%3Dc", false)
	hook := vonageHook(f, "")
	f.Fuzz(func(t *testing.T, s string, jwt bool) {
		now := time.Now()
		if jwt {
			r, body := vonageJSONRequest(s, now)
			checkHandled(t, hook, r, body)
			return
		}
		form := formOf(s)
		if form == nil {
			form = url.Values{}
		}
		signed := vonageSign(form, vonageSecret, "sha256", now)
		prefix := "timestamp=" + strconv.FormatInt(now.Unix(), 10) + "&sig=" + signed.Get("sig") + "&"
		r, body := request("POST", vonageURL, formType, prefix+s, nil)
		checkHandled(t, hook, r, body)
	})
}

func FuzzWebhookKannel(f *testing.F) {
	addSeeds(f, dlr.FormatKannel)
	hook := kannelHook(f, "map")
	f.Fuzz(func(t *testing.T, s string) {
		q := "token=" + gatewayToken + "&recipient=447700900123&" + s
		r, body := rawRequest("GET", "/v1/webhooks/kannel", q, "", "", nil)
		checkHandled(t, hook, r, body)
	})
}

func FuzzWebhookJasmin(f *testing.F) {
	addSeeds(f, dlr.FormatJasmin)
	hook := jasminHook(f, "")
	f.Fuzz(func(t *testing.T, s string) {
		r, body := request("POST", gatewayURL("jasmin", "recipient=447700900123"), formType, s, nil)
		checkHandled(t, hook, r, body)
	})
}

func FuzzWebhookInfobip(f *testing.F) {
	addSeeds(f, dlr.FormatInfobip)
	hook := infobipHook(f)
	f.Fuzz(func(t *testing.T, s string) {
		r, body := request("POST", "/v1/webhooks/infobip", "application/json", s, http.Header{"Authorization": {"App " + infobipKey}})
		checkHandled(t, hook, r, body)
	})
}

func FuzzWebhookSinch(f *testing.F) {
	addSeeds(f, dlr.FormatSinch)
	f.Add(`{"type":"delivery_report_sms","batch_id":"B1","statuses":[]}`)
	hook := sinchHook(f)
	f.Fuzz(func(t *testing.T, s string) {
		r, body := sinchRequest(s, strings.Repeat("n", len(s)%7+1), time.Now())
		checkHandled(t, hook, r, body)
	})
}
