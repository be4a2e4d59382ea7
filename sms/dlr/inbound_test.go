package dlr_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
	"github.com/rebond/rebond/sms/dlr"
)

// inboundConfigs are the tests' webhook configurations, whose inbound
// adapters the MO tests call: the secrets of the delivery-report tests.
var inboundConfigs = map[string]dlr.Config{
	dlr.ProviderTwilio:  {Secret: twilioToken, URL: twilioURL},
	dlr.ProviderPlivo:   {Secret: plivoToken, URL: plivoURL},
	dlr.ProviderVonage:  {Secret: vonageSecret},
	dlr.ProviderKannel:  {SharedSecret: dlr.SharedSecret{Token: gatewayToken}, Region: "FR"},
	dlr.ProviderJasmin:  {SharedSecret: dlr.SharedSecret{Token: gatewayToken}},
	dlr.ProviderInfobip: {SharedSecret: dlr.SharedSecret{AppKey: infobipKey}},
	dlr.ProviderSinch:   {Secret: sinchSecret},
}

func inboundHook(tb testing.TB, provider string) channels.Webhook {
	tb.Helper()
	kw, err := sms.NewKeywords(sms.KeywordConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	hook, err := dlr.NewInbound(provider, inboundConfigs[provider], kw, "")
	if err != nil {
		tb.Fatal(err)
	}
	return hook
}

// moSummary renders what an MO event says: type provider id recipient
// keyword text.
func moSummary(e channels.Event) string {
	c := channels.Consent{}
	if e.Consent != nil {
		c = *e.Consent
	}
	return strings.Join([]string{string(e.Type), e.Provider, e.ID, e.Recipient, c.Keyword, c.Text}, "|")
}

// checkMOEvent fails on an MO event the bus would refuse or that lacks
// what the consent work needs.
func checkMOEvent(t testing.TB, e channels.Event) {
	t.Helper()
	n := e
	if err := n.Normalize(); err != nil {
		t.Fatalf("event does not normalize: %v: %+v", err, e)
	}
	if n.ID != e.ID || !e.Type.IsConsent() || e.Consent == nil || e.Consent.Source != channels.SourceSMSKeyword ||
		e.OccurredAt.IsZero() || e.Raw == "" || e.SMS != nil || e.Channel != channels.SMS {
		t.Fatalf("MO event not complete: %+v", e)
	}
	if strings.Contains(e.Raw, gatewayToken) {
		t.Fatalf("Raw keeps the shared secret: %s", e.Raw)
	}
}

// moCase is one request to an inbound adapter (see hookCase; evs are
// moSummary lines) and, when set, the reason it is unusable.
type moCase struct {
	name     string
	req      func() (*http.Request, []byte)
	want     string
	evs      []string
	unusable string
}

func runMOCases(t *testing.T, hook channels.Webhook, tests []moCase, answer, answerType string) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, ok := handleCase(t, hook, hookCase{tt.name, tt.req, tt.want, tt.evs}, checkMOEvent, moSummary)
			if !ok {
				return
			}
			if !strings.Contains(res.Unusable, tt.unusable) || (tt.unusable == "") != (res.Unusable == "") {
				t.Errorf("unusable %q, want %q", res.Unusable, tt.unusable)
			}
			if res.Body != answer || res.ContentType != answerType {
				t.Errorf("answer %q (%s), want %q (%s)", res.Body, res.ContentType, answer, answerType)
			}
		})
	}
}

const twilioInboundURL = twilioURL + "/inbound"

// twilioMO is an incoming-message webhook as Twilio's "Messaging
// webhooks" reference shows it.
func twilioMO(sid, from, body string, extra url.Values) url.Values {
	v := url.Values{"ToCountry": {"US"}, "ToState": {"CA"}, "SmsMessageSid": {sid}, "NumMedia": {"0"}, "ToCity": {"SAN FRANCISCO"},
		"SmsSid": {sid}, "SmsStatus": {"received"}, "Body": {body}, "FromCountry": {"US"}, "To": {"+15017122661"},
		"NumSegments": {"1"}, "MessageSid": {sid}, "AccountSid": {"AC1"}, "From": {from}, "ApiVersion": {"2010-04-01"}}
	for k, s := range extra {
		v[k] = s
	}
	return v
}

func TestTwilioInbound(t *testing.T) {
	t.Parallel()
	signed := func(v url.Values) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) {
			return request("POST", twilioInboundURL, formType, v.Encode(),
				http.Header{"X-Twilio-Signature": {twilioSignature(twilioToken, twilioInboundURL, v)}})
		}
	}
	stop := twilioMO("SM1", "+15558675310", "STOP", nil)
	runMOCases(t, inboundHook(t, dlr.ProviderTwilio), []moCase{
		{"STOP", signed(stop), "ok", []string{"opt_out|twilio|twilio:SM1:mo|15558675310|STOP|STOP"}, ""},
		{"START", signed(twilioMO("SM2", "+15558675310", "Start", nil)), "ok",
			[]string{"opt_in|twilio|twilio:SM2:mo|15558675310|START|Start"}, ""},
		{"a question", signed(twilioMO("SM3", "+15558675310", "What time do you open?", nil)), "ok",
			[]string{"inbound|twilio|twilio:SM3:mo|15558675310||What time do you open?"}, ""},
		{"Twilio's Advanced Opt-Out reading wins", signed(twilioMO("SM4", "+15558675310", "Stop texting me plz kthx", url.Values{"OptOutType": {"STOP"}})), "ok",
			[]string{"opt_out|twilio|twilio:SM4:mo|15558675310|STOP|Stop texting me plz kthx"}, ""},
		{"HELP is inbound", signed(twilioMO("SM5", "+15558675310", "HELP", url.Values{"OptOutType": {"HELP"}})), "ok",
			[]string{"inbound|twilio|twilio:SM5:mo|15558675310||HELP"}, ""},
		{"a French number's ARRÊT", signed(twilioMO("SM6", "+33612345678", "Arrêt svp", nil)), "ok",
			[]string{"opt_out|twilio|twilio:SM6:mo|33612345678|ARRÊT|Arrêt svp"}, ""},
		{"from WhatsApp, no number", signed(twilioMO("SM7", "whatsapp:+15558675310", "STOP", nil)), "ok", nil, "no phone number"},
		{"signed for the status callback URL", func() (*http.Request, []byte) {
			return request("POST", twilioInboundURL, formType, stop.Encode(),
				http.Header{"X-Twilio-Signature": {twilioSignature(twilioToken, twilioURL, stop)}})
		}, "unauthorized", nil, ""},
		{"unsigned", func() (*http.Request, []byte) { return request("POST", twilioInboundURL, formType, stop.Encode(), nil) }, "unauthorized", nil, ""},
		{"no From", signed(url.Values{"MessageSid": {"SM8"}, "Body": {"STOP"}}), "malformed From", nil, ""},
	}, `<?xml version="1.0" encoding="UTF-8"?><Response/>`, "text/xml; charset=utf-8")
}

func TestPlivoInbound(t *testing.T) {
	t.Parallel()
	u := plivoURL + "/inbound"
	signed := func(v url.Values) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) {
			return request("POST", u, formType, v.Encode(), http.Header{
				"X-Plivo-Signature-V3": {plivoSignature(plivoToken, u, "POST", "n0nce", v)}, "X-Plivo-Signature-V3-Nonce": {"n0nce"}})
		}
	}
	mo := func(id, from, text string) url.Values {
		return url.Values{"From": {from}, "To": {"14154445555"}, "Text": {text}, "Type": {"sms"}, "MessageUUID": {id},
			"Units": {"1"}, "TotalRate": {"0"}, "TotalAmount": {"0"}}
	}
	runMOCases(t, inboundHook(t, dlr.ProviderPlivo), []moCase{
		{"STOP", signed(mo("u1", "14156667777", "stop")), "ok", []string{"opt_out|plivo|plivo:u1:mo|14156667777|STOP|stop"}, ""},
		{"UNSTOP", signed(mo("u2", "14156667777", "UNSTOP")), "ok", []string{"opt_in|plivo|plivo:u2:mo|14156667777|UNSTOP|UNSTOP"}, ""},
		{"bad signature", func() (*http.Request, []byte) {
			r, b := signed(mo("u1", "14156667777", "stop"))()
			r.Header.Set("X-Plivo-Signature-V3-Nonce", "other")
			return r, b
		}, "unauthorized", nil, ""},
	}, `<?xml version="1.0" encoding="UTF-8"?><Response/>`, "text/xml; charset=utf-8")
}

func TestVonageInbound(t *testing.T) {
	t.Parallel()
	u := vonageURL + "/inbound"
	now := time.Now()
	// The SMS API's inbound webhook ("Inbound SMS" reference), signed.
	mo := url.Values{"msisdn": {"447700900001"}, "to": {"447700900000"}, "messageId": {"0A0000000123ABCD1"}, "text": {"STOP"},
		"type": {"text"}, "keyword": {"STOP"}, "api-key": {"abcd1234"}, "message-timestamp": {"2020-01-01 12:00:00"}}
	get := func(v url.Values) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) { return request("GET", u+"?"+v.Encode(), "", "", nil) }
	}
	second := vonageSign(url.Values{"msisdn": {"447700900001"}, "messageId": {"0A2"}, "text": {"stop"}, "type": {"text"},
		"concat": {"true"}, "concat-ref": {"7"}, "concat-total": {"2"}, "concat-part": {"2"}}, vonageSecret, "sha256", now)
	messages := `{"channel":"sms","message_uuid":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab","to":"447700900000","from":"447700900001",` +
		`"timestamp":"2020-01-01T14:00:00.000Z","text":"Unsubscribe"}`
	runMOCases(t, inboundHook(t, dlr.ProviderVonage), []moCase{
		{"SMS API, signed query", get(vonageSign(mo, vonageSecret, "sha256", now)), "ok",
			[]string{"opt_out|vonage|vonage:0A0000000123ABCD1:mo|447700900001|STOP|STOP"}, ""},
		{"the second part of a message", get(second), "ok", []string{"inbound|vonage|vonage:0A2:mo|447700900001||stop"}, ""},
		{"Messages API, JWT", func() (*http.Request, []byte) {
			r, b := vonageJSONRequest(messages, now)
			r.URL.Path += "/inbound"
			return r, b
		}, "ok", []string{"opt_out|vonage|vonage:aaaaaaaa-bbbb-cccc-dddd-0123456789ab:mo|447700900001|UNSUBSCRIBE|Unsubscribe"}, ""},
		{"Messages API, WhatsApp", func() (*http.Request, []byte) {
			return vonageJSONRequest(strings.Replace(messages, `"sms"`, `"whatsapp"`, 1), now)
		}, "malformed channel", nil, ""},
		{"unsigned", get(mo), "unauthorized", nil, ""},
	}, "", "")
}

func TestInfobipInbound(t *testing.T) {
	t.Parallel()
	// Infobip's "Receive inbound SMS messages" example, with two results.
	body := `{"results":[{"messageId":"817790313235066447","from":"385916242493","to":"385921004026","text":"QUIZ Correct answer is Paris",` +
		`"cleanText":"Correct answer is Paris","keyword":"QUIZ","receivedAt":"2016-10-06T09:28:39.220+0000","smsCount":1,` +
		`"price":{"pricePerMessage":0,"currency":"EUR"},"callbackData":"callbackData"},` +
		`{"messageId":"2","from":"385916242494","to":"385921004026","text":"STOP","receivedAt":"2016-10-06T09:29:00.000+0000"},` +
		`{"messageId":"3","from":"InfoSMS","to":"385921004026","text":"STOP"}],"messageCount":3,"pendingMessageCount":0}`
	post := func(body, key string) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) {
			return request("POST", "https://rebond.example.com/v1/webhooks/infobip/inbound", "application/json", body,
				http.Header{"Authorization": {"App " + key}})
		}
	}
	runMOCases(t, inboundHook(t, dlr.ProviderInfobip), []moCase{
		{"two messages and one from no number", post(body, infobipKey), "ok", []string{
			"inbound|infobip|infobip:817790313235066447:mo|385916242493||QUIZ Correct answer is Paris",
			"opt_out|infobip|infobip:2:mo|385916242494|STOP|STOP"}, `"InfoSMS"`},
		{"no results", post(`{"results":[]}`, infobipKey), "malformed body", nil, ""},
		{"wrong key", post(body, "not-the-key-0123456789"), "unauthorized", nil, ""},
	}, "", "")
}

func TestSinchInbound(t *testing.T) {
	t.Parallel()
	// Sinch's "Inbounds" example.
	mo := `{"type":"mo_text","id":"01FC66621VHDBN119Z8Y0S3F6C","from":"16051234567","to":"13185551234","body":"Stop please",` +
		`"received_at":"2021-08-09T12:00:00.000Z","operator_id":"310260"}`
	post := func(body string) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) { return sinchRequest(body, "n0nce", time.Now()) }
	}
	runMOCases(t, inboundHook(t, dlr.ProviderSinch), []moCase{
		{"mo_text", post(mo), "ok", []string{"opt_out|sinch|sinch:01FC66621VHDBN119Z8Y0S3F6C:mo|16051234567|STOP|Stop please"}, ""},
		{"mo_binary", post(`{"type":"mo_binary","id":"B1","from":"16051234567","body":"U1RPUA==","udh":"050003010201"}`), "ok",
			[]string{"inbound|sinch|sinch:B1:mo|16051234567||"}, ""},
		{"a delivery report", post(`{"type":"delivery_report_sms","batch_id":"B"}`), "malformed type", nil, ""},
		{"no from", post(`{"type":"mo_text","id":"x","body":"STOP"}`), "malformed from", nil, ""},
	}, "", "")
}

func TestKannelInbound(t *testing.T) {
	t.Parallel()
	get := func(q string) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) {
			return rawRequest("GET", "/v1/webhooks/kannel/inbound", "token="+gatewayToken+"&"+q, "", "", nil)
		}
	}
	runMOCases(t, inboundHook(t, dlr.ProviderKannel), []moCase{
		{"Latin-1 from a national number", get("id=k1&from=0612345678&to=36180&text=Arr%EAt+svp&coding=0&charset=WINDOWS-1252&ts=1795348822"), "ok",
			[]string{"opt_out|kannel|kannel:k1:mo|33612345678|ARRÊT|Arrêt svp"}, ""},
		{"UCS-2", get("id=k2&from=%2B33612345678&text=%00S%00T%00O%00P&coding=2&charset=UTF-16BE"), "ok",
			[]string{"opt_out|kannel|kannel:k2:mo|33612345678|STOP|STOP"}, ""},
		{"binary", get("id=k3&from=%2B33612345678&text=%05%00%03&coding=1&charset=binary"), "ok",
			[]string{"inbound|kannel|kannel:k3:mo|33612345678||"}, ""},
		{"bad time", get("id=k4&from=%2B33612345678&text=STOP&ts=yesterday"), "malformed query", nil, ""},
		{"no token", func() (*http.Request, []byte) {
			return rawRequest("GET", "/v1/webhooks/kannel/inbound", "from=%2B33612345678&text=STOP", "", "", nil)
		}, "unauthorized", nil, ""},
	}, "", "text/plain; charset=utf-8")
}

func TestJasminInbound(t *testing.T) {
	t.Parallel()
	post := func(form url.Values) func() (*http.Request, []byte) {
		return func() (*http.Request, []byte) {
			return request("POST", "https://rebond.example.com/v1/webhooks/jasmin/inbound?token="+gatewayToken, formType, form.Encode(), nil)
		}
	}
	mo := func(id, coding, content, binary string) url.Values {
		return url.Values{"id": {id}, "from": {"33612345678"}, "to": {"36180"}, "origin-connector": {"smppc01"}, "priority": {"0"},
			"coding": {coding}, "validity": {""}, "content": {content}, "binary": {binary}}
	}
	runMOCases(t, inboundHook(t, dlr.ProviderJasmin), []moCase{
		{"Stop svp", post(mo("j1", "0", "Stop svp", "53746f7020737670")), "ok",
			[]string{"opt_out|jasmin|jasmin:j1:mo|33612345678|STOP|Stop svp"}, ""},
		{"UCS-2 content only", post(mo("j2", "8", "\x00A\x00r\x00r\x00\xea\x00t", "")), "ok",
			[]string{"opt_out|jasmin|jasmin:j2:mo|33612345678|ARRÊT|Arrêt"}, ""},
		{"bad binary", post(mo("j3", "0", "x", "zz")), "malformed binary", nil, ""},
	}, "ACK/Jasmin", "text/plain; charset=utf-8")
}

// TestNewInbound: an inbound adapter takes its webhook's configuration,
// refused as New refuses it.
func TestNewInbound(t *testing.T) {
	t.Parallel()
	for _, p := range dlr.Providers() {
		if _, err := dlr.NewInbound(p, inboundConfigs[p], nil, ""); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := dlr.NewInbound(dlr.ProviderTwilio, dlr.Config{URL: twilioURL}, nil, ""); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Errorf("twilio without a secret: %v", err)
	}
	if _, err := dlr.NewInbound("pigeon", dlr.Config{}, nil, ""); err == nil {
		t.Error("an unknown provider built")
	}
}
