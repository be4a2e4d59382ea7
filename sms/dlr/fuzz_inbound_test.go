package dlr_test

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
	"github.com/rebond/rebond/sms/dlr"
)

// The MO parsers read untrusted input: whatever they are given, they
// return an error or a message whose event the bus keeps or refuses
// cleanly, and never panic.

// checkMO fails on a message whose event breaks the consent contract.
func checkMO(t *testing.T, kw *sms.Keywords, m sms.MO) {
	t.Helper()
	if m.Provider == "" {
		t.Fatalf("message without provider: %+v", m)
	}
	e := m.Event(kw, "", "FR")
	if !e.Type.IsConsent() || e.Consent == nil || len(e.Consent.Text) > sms.MaxMOText {
		t.Fatalf("event %+v", e)
	}
	e.OccurredAt = time.Now()
	_ = e.Normalize() // may refuse (a From that is no number), never panic
}

func fuzzMOValues(f *testing.F, seeds []string, parse func(url.Values) (sms.MO, error)) {
	for _, s := range seeds {
		f.Add(s)
	}
	kw := builtinKeywordsDLR(f)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		if m, err := parse(v); err == nil {
			checkMO(t, kw, m)
		}
	})
}

func builtinKeywordsDLR(tb testing.TB) *sms.Keywords {
	kw, err := sms.NewKeywords(sms.KeywordConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	return kw
}

func FuzzParseTwilioMO(f *testing.F) {
	fuzzMOValues(f, []string{twilioMO("SM1", "+15558675310", "STOP", url.Values{"OptOutType": {"STOP"}}).Encode()}, dlr.ParseTwilioMO)
}

func FuzzParsePlivoMO(f *testing.F) {
	fuzzMOValues(f, []string{"From=14156667777&To=14154445555&Text=STOP&Type=sms&MessageUUID=u1"}, dlr.ParsePlivoMO)
}

func FuzzParseVonageMO(f *testing.F) {
	fuzzMOValues(f, []string{"msisdn=447700900001&to=447700900000&messageId=0A1&text=STOP&type=text&concat-part=1&concat-total=2",
		"channel=sms&from=447700900001&message_uuid=x&text=hi&timestamp=2020-01-01T14:00:00.000Z"}, dlr.ParseVonageMO)
}

func FuzzParseKannelMO(f *testing.F) {
	fuzzMOValues(f, []string{"id=k1&from=0612345678&text=Arr%EAt&coding=0&charset=WINDOWS-1252&ts=1795348822",
		"from=1&text=%00S&coding=2"}, dlr.ParseKannelMO)
}

func FuzzParseJasminMO(f *testing.F) {
	fuzzMOValues(f, []string{"id=j1&from=33612345678&coding=8&content=%00S&binary=0053", "id=1&from=1&coding=300"}, dlr.ParseJasminMO)
}

func FuzzParseInfobipMO(f *testing.F) {
	f.Add(`{"results":[{"messageId":"1","from":"385916242493","text":"STOP","receivedAt":"2016-10-06T09:28:39.220+0000"}]}`)
	kw := builtinKeywordsDLR(f)
	f.Fuzz(func(t *testing.T, s string) {
		mos, err := dlr.ParseInfobipMO([]byte(s))
		if err != nil {
			return
		}
		for _, m := range mos {
			checkMO(t, kw, m)
		}
	})
}

func FuzzParseSinchMO(f *testing.F) {
	f.Add(`{"type":"mo_text","id":"01F","from":"16051234567","to":"13185551234","body":"Stop","received_at":"2021-08-09T12:00:00.000Z"}`)
	kw := builtinKeywordsDLR(f)
	f.Fuzz(func(t *testing.T, s string) {
		if m, err := dlr.ParseSinchMO([]byte(s)); err == nil {
			checkMO(t, kw, m)
		}
	})
}

// FuzzInboundWebhook feeds every inbound adapter authenticated requests
// of fuzzed payloads: Handle answers ok (with events the bus keeps) or
// malformed, nothing else.
func FuzzInboundWebhook(f *testing.F) {
	f.Add(uint8(0), twilioMO("SM1", "+15558675310", "STOP", nil).Encode())
	f.Add(uint8(1), "From=14156667777&Text=STOP&MessageUUID=u1")
	f.Add(uint8(2), "msisdn=447700900001&messageId=0A1&text=STOP")
	f.Add(uint8(3), "id=k1&from=0612345678&text=Arr%EAt&charset=WINDOWS-1252")
	f.Add(uint8(4), "id=j1&from=33612345678&coding=0&content=STOP")
	f.Add(uint8(5), `{"results":[{"messageId":"1","from":"385916242493","text":"STOP"}]}`)
	f.Add(uint8(6), `{"type":"mo_text","id":"1","from":"16051234567","body":"STOP"}`)
	providers := []string{dlr.ProviderTwilio, dlr.ProviderPlivo, dlr.ProviderVonage, dlr.ProviderKannel, dlr.ProviderJasmin, dlr.ProviderInfobip, dlr.ProviderSinch}
	hooks := make([]channels.Webhook, len(providers))
	for i, p := range providers {
		hooks[i] = inboundHook(f, p)
	}
	f.Fuzz(func(t *testing.T, which uint8, s string) {
		i := int(which) % len(providers)
		var r *http.Request
		var body []byte
		switch providers[i] {
		case dlr.ProviderTwilio:
			r, body = request("POST", twilioInboundURL, formType, s, http.Header{"X-Twilio-Signature": {twilioSignature(twilioToken, twilioInboundURL, formOf(s))}})
		case dlr.ProviderPlivo:
			u := plivoURL + "/inbound"
			r, body = request("POST", u, formType, s, http.Header{"X-Plivo-Signature-V3": {plivoSignature(plivoToken, u, "POST", "n", formOf(s))}, "X-Plivo-Signature-V3-Nonce": {"n"}})
		case dlr.ProviderVonage:
			form := formOf(s)
			if form == nil {
				form = url.Values{}
			}
			now := time.Now()
			signed := vonageSign(form, vonageSecret, "sha256", now)
			r, body = request("POST", vonageURL+"/inbound", formType, "timestamp="+strconv.FormatInt(now.Unix(), 10)+"&sig="+signed.Get("sig")+"&"+s, nil)
		case dlr.ProviderKannel:
			r, body = rawRequest("GET", "/v1/webhooks/kannel/inbound", "token="+gatewayToken+"&"+s, "", "", nil)
		case dlr.ProviderJasmin:
			r, body = request("POST", gatewayURL("jasmin", ""), formType, s, nil)
		case dlr.ProviderInfobip:
			r, body = request("POST", "/v1/webhooks/infobip/inbound", "application/json", s, http.Header{"Authorization": {"App " + infobipKey}})
		case dlr.ProviderSinch:
			r, body = sinchRequest(s, "n", time.Now())
		}
		res, err := hooks[i].Handle(r, body)
		switch {
		case err == nil:
			for _, e := range res.Events {
				checkMOEvent(t, e)
			}
		case errors.Is(err, channels.ErrMalformed):
		default:
			t.Fatalf("%s: Handle of an authenticated request: %v", providers[i], err)
		}
	})
}
