package dlr_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
	"github.com/rebond/rebond/sms/dlr"
)

// TestCorpusEvents checks what every event of the corpus must be, whatever
// its label: an SMS event with an id, a message id and a receipt, and the
// same id when the same payload arrives twice.
func TestCorpusEvents(t *testing.T) {
	t.Parallel()
	for _, r := range readCorpus(t) {
		t.Run(r.id, func(t *testing.T) {
			t.Parallel()
			e, err := dlr.ParseReceipt(r.format, []byte(r.payload), r.dialect)
			if err != nil {
				t.Fatalf("ParseReceipt: %v", err)
			}
			if e.Channel != channels.SMS || !e.Type.Valid() || e.SMS == nil || e.ID == "" || e.Raw == "" {
				t.Errorf("incomplete event: %+v", e)
			}
			if e.MessageID == "" && !strings.HasPrefix(e.ID, "sms:") {
				t.Errorf("no message id and id %q is not derived", e.ID)
			}
			again, err := dlr.ParseReceipt(r.format, []byte(r.payload), r.dialect)
			if err != nil || again.ID != e.ID {
				t.Errorf("second delivery: id %q (err %v), first %q", again.ID, err, e.ID)
			}
		})
	}
}

func TestParseReceiptErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, format, payload string }{
		{name: "unknown format", format: "carrier-pigeon", payload: "{}"},
		{name: "payload too large", format: sms.FormatText, payload: "id:1 stat:DELIVRD text:" + strings.Repeat("x", sms.MaxPayloadLen)},
		{name: "envelope not JSON", format: dlr.FormatTwilio, payload: "MessageSid=1"},
		{name: "bad raw_query", format: dlr.FormatKannel, payload: `{"raw_query":"type=%zz"}`},
		{name: "infobip without body", format: dlr.FormatInfobip, payload: `{"method":"POST"}`},
		{name: "two infobip results in one receipt", format: dlr.FormatInfobip, payload: `{"body":{"results":[{"messageId":"a","status":{"groupId":3,"name":"DELIVERED_TO_HANDSET"}},{"messageId":"b","status":{"groupId":3,"name":"DELIVERED_TO_HANDSET"}}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if e, err := dlr.ParseReceipt(tt.format, []byte(tt.payload), ""); err == nil {
				t.Errorf("ParseReceipt: no error, got %s", summary(e))
			}
		})
	}
}

func TestParseFormCallbacks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, provider, raw string
		want                string
	}{
		{name: "twilio sent", provider: "twilio", raw: "MessageSid=SM1&MessageStatus=sent&To=%2B15555550100", want: "deferred|twilio|SM1|+15555550100|sent||twilio||-"},
		{name: "twilio undelivered", provider: "twilio", raw: "MessageSid=SM2&MessageStatus=undelivered&ErrorCode=30003&To=%2B15555550100", want: "failed|twilio|SM2|+15555550100|undelivered|30003|twilio||-"},
		{name: "twilio old field names", provider: "twilio", raw: "SmsSid=SM3&SmsStatus=delivered", want: "delivered|twilio|SM3||delivered||twilio||-"},
		{name: "plivo undelivered", provider: "plivo", raw: "MessageUUID=u1&Status=undelivered&ErrorCode=70&To=447700900123", want: "failed|plivo|u1|447700900123|undelivered|70|plivo||-"},
		{name: "plivo queued", provider: "plivo", raw: "MessageUUID=u2&Status=queued&ErrorCode=", want: "deferred|plivo|u2||queued||plivo||-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parse := dlr.ParseTwilio
			if tt.provider == "plivo" {
				parse = dlr.ParsePlivo
			}
			e, err := parse(query(t, tt.raw))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, summary(e)); diff != "" {
				t.Errorf("parse (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := dlr.ParseTwilio(query(t, "MessageSid=SM1")); err == nil {
		t.Error("ParseTwilio without a status: no error")
	}
}

func TestParseJSONCallbacks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, provider, body string
		want                 string
		at                   string // the event's time, when the payload gives it
	}{
		{name: "vonage failed", provider: "vonage", body: `{"msisdn":"447700900123","messageId":"0A1","status":"failed","err-code":"2","message-timestamp":"2024-05-10 12:31:00"}`, want: "failed|vonage|0A1|447700900123|failed|2|vonage||-"},
		{name: "vonage time with a numeric zone", provider: "vonage", body: `{"msisdn":"447700900123","messageId":"0A3","status":"delivered","err-code":"0","message-timestamp":"2020-01-01 12:00:00 +0000"}`, want: "delivered|vonage|0A3|447700900123|delivered|0|vonage||-", at: "2020-01-01T12:00:00Z"},
		{name: "vonage numeric err-code", provider: "vonage", body: `{"msisdn":"447700900123","messageId":"0A2","status":"delivered","err-code":0}`, want: "delivered|vonage|0A2|447700900123|delivered|0|vonage||-"},
		{name: "sinch failed", provider: "sinch", body: `{"type":"recipient_delivery_report_sms","batch_id":"B1","recipient":"447700900123","code":402,"status":"Failed"}`, want: "failed|sinch|B1|447700900123|Failed|402|sinch||-"},
		{name: "sinch dispatched", provider: "sinch", body: `{"batch_id":"B2","recipient":"447700900123","code":401,"status":"Dispatched"}`, want: "deferred|sinch|B2|447700900123|Dispatched|401|sinch||-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parse := dlr.ParseVonage
			if tt.provider == "sinch" {
				parse = dlr.ParseSinch
			}
			e, err := parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, summary(e)); diff != "" {
				t.Errorf("parse (-want +got):\n%s", diff)
			}
			if tt.at != "" && e.OccurredAt.Format(time.RFC3339) != tt.at {
				t.Errorf("time %v, want %s", e.OccurredAt, tt.at)
			}
		})
	}
	for _, body := range []string{`{`, `{"type":"delivery_report_sms","batch_id":"B","status":"Delivered"}`, `{"batch_id":"B"}`} {
		if _, err := dlr.ParseSinch([]byte(body)); err == nil {
			t.Errorf("ParseSinch(%s): no error", body)
		}
	}
}
