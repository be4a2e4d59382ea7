package sms_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/sms"
)

// TestClassifyPrecedence pins how the rule tiers of sms.yaml,
// sms-dialects.yaml and sms-providers.yaml combine on receipts the corpus
// does not hold: a code says why a message failed, never that it failed.
func TestClassifyPrecedence(t *testing.T) {
	t.Parallel()
	set := loadRules(t)
	tests := []struct {
		name, format, dialect, payload string
		want                           string // outcome reason
	}{
		{"EXPIRED after absentSubscriber stays an expiry", sms.FormatText, "map", "id:1 stat:EXPIRED err:027", "soft expired"},
		{"DELIVRD with a stray err is a delivery", sms.FormatText, "twilio-smpp", "id:1 stat:DELIVRD err:005", "delivered delivered"},
		{"err without a dialect says nothing", sms.FormatText, "", "id:1 stat:UNDELIV err:001", "soft undeliverable"},
		{"one err, two dialects: twilio-smpp 001", sms.FormatText, "twilio-smpp", "id:1 stat:UNDELIV err:001", "soft absent_subscriber"},
		{"one err, two dialects: map 001", sms.FormatText, "map", "id:1 stat:UNDELIV err:001", "hard unknown_subscriber"},
		{"w2wts in decimal", sms.FormatText, "w2wts", "id:1 stat:UNDELIV err:013", "soft call_barred"},
		{"w2wts in hex", sms.FormatText, "w2wts", "id:1 stat:UNDELIV err:00D", "soft call_barred"},
		{"unknown err of a known dialect", sms.FormatText, "8x8", "id:1 stat:UNDELIV err:999", "soft undeliverable"},
		{"TLV state 5 with err in dialect", sms.FormatTLV, "twilio-smpp", `{"esm_class":4,"short_message":"id:1 stat:UNDELIV err:005","tlv":{"message_state":5}}`, "hard unknown_subscriber"},
		{"TLV state 2 beats a failed text and its code", sms.FormatTLV, "", `{"esm_class":4,"short_message":"id:1 stat:UNDELIV err:001","tlv":{"message_state":2,"network_error_code":"030001"}}`, "delivered delivered"},
		{"network error without state, failed text", sms.FormatTLV, "", `{"esm_class":4,"short_message":"id:1 stat:UNDELIV err:000","tlv":{"network_error_code":"03000b"}}`, "hard sms_not_provisioned"},
		{"GSM 0 is no cause", sms.FormatTLV, "", `{"esm_class":4,"short_message":"id:1 stat:UNDELIV","tlv":{"message_state":5,"network_error_code":"030000"}}`, "soft undeliverable"},
		{"ANSI-41 destination busy", sms.FormatTLV, "", `{"esm_class":4,"short_message":"id:1 stat:UNDELIV","tlv":{"message_state":5,"network_error_code":"060021"}}`, "soft handset_busy"},
		{"SMPP error: queue full", sms.FormatTLV, "", `{"esm_class":4,"short_message":"id:1 stat:REJECTD","tlv":{"message_state":8,"network_error_code":"070014"}}`, "soft smsc_queue_full"},
		{"state 0 alone", sms.FormatTLV, "", `{"esm_class":4,"short_message":"","tlv":{"receipted_message_id":"1","message_state":0}}`, "pending scheduled"},
		{"kannel NACK invalid destination", sms.FormatKannel, "", `{"raw_query":"type=16&answer=NACK%2F0x0000000b%2Fx&fid=9"}`, "hard invalid_number"},
		{"kannel failed without text", sms.FormatKannel, "", `{"raw_query":"type=2&fid=9"}`, "soft undeliverable"},
		{"jasmin throttled", sms.FormatJasmin, "", `{"form":{"id":"j","level":"1","message_status":"ESME_RTHROTTLED"}}`, "soft rate_limited"},
		{"twilio delivered", sms.FormatTwilio, "", `{"form":{"MessageSid":"SM1","MessageStatus":"delivered"}}`, "delivered delivered"},
		{"twilio landline", sms.FormatTwilio, "", `{"form":{"MessageSid":"SM1","MessageStatus":"undelivered","ErrorCode":"30006"}}`, "hard not_sms_capable"},
		{"twilio failed, unknown code", sms.FormatTwilio, "", `{"form":{"MessageSid":"SM1","MessageStatus":"failed","ErrorCode":"39999"}}`, "soft undeliverable"},
		{"vonage expired with a code is an expiry", sms.FormatVonage, "", `{"body":{"messageId":"1","status":"expired","err-code":"2"}}`, "soft expired"},
		{"vonage illegal number", sms.FormatVonage, "", `{"body":{"messageId":"1","status":"failed","err-code":"9"}}`, "hard invalid_number"},
		{"infobip expired after absent subscriber", sms.FormatInfobip, "", `{"body":{"results":[{"messageId":"1","status":{"groupId":4,"name":"EXPIRED_EXPIRED"},"error":{"id":27}}]}}`, "soft expired"},
		{"infobip teleservice not provisioned", sms.FormatInfobip, "", `{"body":{"results":[{"messageId":"1","status":{"groupId":2,"name":"UNDELIVERABLE_NOT_DELIVERED"},"error":{"id":11,"permanent":true}}]}}`, "hard sms_not_provisioned"},
		{"infobip unknown error id", sms.FormatInfobip, "", `{"body":{"results":[{"messageId":"1","status":{"groupId":2,"name":"UNDELIVERABLE_NOT_DELIVERED"},"error":{"id":77777,"permanent":true}}]}}`, "soft undeliverable"},
		{"plivo sent", sms.FormatPlivo, "", `{"form":{"MessageUUID":"u","Status":"sent"}}`, "pending sent_to_carrier"},
		{"sinch queued", sms.FormatSinch, "", `{"body":{"batch_id":"b","recipient":"447700900123","code":400,"status":"Queued"}}`, "pending queued"},
		{"csv failure", sms.FormatTextCSV, "", "02,0210021543,0210021500,,447887123456,1,r", "soft undeliverable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := sms.ParseReceipt(tt.format, []byte(tt.payload), tt.dialect)
			if err != nil {
				t.Fatalf("ParseReceipt: %v", err)
			}
			v := set.Classify(e)
			if diff := cmp.Diff(tt.want, string(v.Outcome)+" "+string(v.Reason)); diff != "" {
				t.Errorf("Classify (-want +got):\n%s\nrule %s, evidence %s", diff, v.Rule, v.Evidence)
			}
		})
	}
}
