package dlr_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms/dlr"
)

// BenchmarkWebhookHandle measures Handle on one authenticated callback per
// scheme: HMAC-SHA1 over URL and form (Twilio), a JWT (Vonage), a shared
// token (Kannel), HMAC-SHA256 over the body (Sinch).
func BenchmarkWebhookHandle(b *testing.B) {
	now := time.Now()
	form := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}, "To": {"+15555550100"},
		"From": {"+15555550199"}, "AccountSid": {"AC1"}, "MessagingServiceSid": {"MG1"}, "ApiVersion": {"2010-04-01"}}
	const (
		vonage = `{"msisdn":"447700900123","to":"Rebond","network-code":"23410","messageId":"0A1","price":"0.0333","status":"failed","scts":"2405101231","err-code":"2","api-key":"abcd1234","message-timestamp":"2024-05-10 12:31:00"}`
		sinch  = `{"type":"recipient_delivery_report_sms","batch_id":"B1","recipient":"447700900123","code":402,"status":"Failed","at":"2024-05-10T12:31:00.000Z"}`
		kannel = "type=2&fid=5F3A1B03&from=447700900123&ts=1795348830&answer=id%3A5F3A1B03+stat%3AUNDELIV+err%3A001"
	)
	run := func(name string, hook *dlr.Webhook, r *http.Request, body []byte) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := hook.Handle(r, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	r, body := twilioRequest(form)
	run("twilio", twilioHook(b), r, body)
	r, body = vonageJSONRequest(vonage, now)
	run("vonage-jwt", vonageHook(b, ""), r, body)
	r, body = request("GET", gatewayURL("kannel", kannel), "", "", nil)
	run("kannel", kannelHook(b, "map"), r, body)
	r, body = sinchRequest(sinch, "nonce-1", now)
	run("sinch", sinchHook(b), r, body)
}

// BenchmarkParseReceipt parses one corpus sample per format.
func BenchmarkParseReceipt(b *testing.B) {
	seen := map[string]bool{}
	for _, r := range readCorpus(b) {
		if seen[r.format] {
			continue
		}
		seen[r.format] = true
		payload := []byte(r.payload)
		b.Run(r.format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dlr.ParseReceipt(r.format, payload, r.dialect); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClassify classifies the corpus, parsed beforehand, with the
// shipped rules: the rule engine's cost per receipt.
func BenchmarkClassify(b *testing.B) {
	set := loadRules(b)
	var evs []channels.Event
	for _, r := range readCorpus(b) {
		e, err := dlr.ParseReceipt(r.format, []byte(r.payload), r.dialect)
		if err != nil {
			b.Fatal(err)
		}
		evs = append(evs, e)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = set.Classify(evs[i%len(evs)])
	}
}

// BenchmarkParseAndClassify is a worker's whole cost per receipt: parse
// the payload, then classify it.
func BenchmarkParseAndClassify(b *testing.B) {
	set := loadRules(b)
	rows := readCorpus(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := rows[i%len(rows)]
		e, err := dlr.ParseReceipt(r.format, []byte(r.payload), r.dialect)
		if err != nil {
			b.Fatal(err)
		}
		_ = set.Classify(e)
	}
}
