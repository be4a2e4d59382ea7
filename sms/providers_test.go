package sms_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/sms"
)

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
			parse := sms.ParseTwilio
			if tt.provider == "plivo" {
				parse = sms.ParsePlivo
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
	if _, err := sms.ParseTwilio(query(t, "MessageSid=SM1")); err == nil {
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
			parse := sms.ParseVonage
			if tt.provider == "sinch" {
				parse = sms.ParseSinch
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
		if _, err := sms.ParseSinch([]byte(body)); err == nil {
			t.Errorf("ParseSinch(%s): no error", body)
		}
	}
}

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
	evs, err := sms.ParseSinchReports([]byte(full))
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
	one, err := sms.ParseSinch([]byte(`{"type":"recipient_delivery_report_sms","batch_id":"01HZX7Q3B9","recipient":"447700900103","code":402,"status":"Failed"}`))
	if err != nil || len(evs) != 3 || one.ID != evs[2].ID {
		t.Errorf("the recipient report's id %q, the batch report's %q (%v): want one fact, one id", one.ID, evs[len(evs)-1].ID, err)
	}
	summaryReport := `{"type":"delivery_report_sms","batch_id":"01HZX7Q3B9","statuses":[{"code":0,"status":"Delivered","count":3}],"total_message_count":3}`
	if evs, err := sms.ParseSinchReports([]byte(summaryReport)); !errors.Is(err, sms.ErrNotReceipt) || !errors.Is(err, sms.ErrNoDelivery) || len(evs) != 0 {
		t.Errorf("summary report: %d events, %v; want none, ErrNoDelivery (an ErrNotReceipt)", len(evs), err)
	}
}

func TestParseInfobip(t *testing.T) {
	t.Parallel()
	body := `{"results":[
		{"messageId":"m1","to":"447700900123","doneAt":"2024-05-10T12:31:00.000+0000","status":{"groupId":3,"groupName":"DELIVERED","id":5,"name":"DELIVERED_TO_HANDSET"},"error":{"groupId":0,"id":0,"name":"NO_ERROR","permanent":false}},
		{"messageId":"m2","to":"447700900124","status":{"groupId":2,"groupName":"UNDELIVERABLE","id":9},"error":{"groupId":1,"id":27,"name":"EC_ABSENT_SUBSCRIBER","permanent":false}}]}`
	evs, err := sms.ParseInfobip([]byte(body))
	if err != nil {
		t.Fatalf("ParseInfobip: %v", err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, summary(e))
	}
	want := []string{
		"delivered|infobip|m1|447700900123|DELIVERED_TO_HANDSET||infobip||-",
		"failed|infobip|m2|447700900124|UNDELIVERABLE|27|infobip||-",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseInfobip (-want +got):\n%s", diff)
	}
	if evs[0].OccurredAt.IsZero() {
		t.Error("doneAt not read")
	}
	for _, bad := range []string{`{"results":[]}`, `{"results":[{"messageId":"m"}]}`, `[]`} {
		if _, err := sms.ParseInfobip([]byte(bad)); err == nil {
			t.Errorf("ParseInfobip(%s): no error", bad)
		}
	}
}
