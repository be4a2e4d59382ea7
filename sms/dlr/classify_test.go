package dlr_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/sms"
	"github.com/rebond/rebond/sms/dlr"
)

// TestClassifyPrecedence pins how the rule tiers of sms.yaml,
// sms-dialects.yaml and sms-providers.yaml combine on receipts the corpus
// does not hold: a code says why a message failed, never that it failed.
func TestClassifyPrecedence(t *testing.T) {
	t.Parallel()
	set := loadRules(t)
	tests := []receiptCase{
		{"EXPIRED after absentSubscriber stays an expiry", sms.FormatText, "map", "id:1 stat:EXPIRED err:027", "soft expired"},
		{"DELIVRD with a stray err is a delivery", sms.FormatText, "twilio-smpp", "id:1 stat:DELIVRD err:005", "delivered delivered"},
		{"err without a dialect says nothing", sms.FormatText, "", "id:1 stat:UNDELIV err:001", "soft undeliverable"},
		{"one err, two dialects: twilio-smpp 001", sms.FormatText, "twilio-smpp", "id:1 stat:UNDELIV err:001", "soft absent_subscriber"},
		{"one err, two dialects: map 001", sms.FormatText, "map", "id:1 stat:UNDELIV err:001", "hard unknown_subscriber"},
		{"w2wts in decimal", sms.FormatText, "w2wts", "id:1 stat:UNDELIV err:013", "soft call_barred"},
		{"w2wts in hex", sms.FormatText, "w2wts", "id:1 stat:UNDELIV err:00D", "soft call_barred"},
		{"unknown err of a known dialect", sms.FormatText, "8x8", "id:1 stat:UNDELIV err:999", "soft unknown_error"},
		{"TLV state 5 with err in dialect", sms.FormatTLV, "twilio-smpp", `{"esm_class":4,"short_message":"id:1 stat:UNDELIV err:005","tlv":{"message_state":5}}`, "hard unknown_subscriber"},
		{"TLV state 2 beats a failed text and its code", sms.FormatTLV, "", `{"esm_class":4,"short_message":"id:1 stat:UNDELIV err:001","tlv":{"message_state":2,"network_error_code":"030001"}}`, "delivered delivered"},
		{"network error without state, failed text", sms.FormatTLV, "", `{"esm_class":4,"short_message":"id:1 stat:UNDELIV err:000","tlv":{"network_error_code":"03000b"}}`, "hard sms_not_provisioned"},
		{"GSM 0 is no cause", sms.FormatTLV, "", `{"esm_class":4,"short_message":"id:1 stat:UNDELIV","tlv":{"message_state":5,"network_error_code":"030000"}}`, "soft undeliverable"},
		{"ANSI-41 destination busy", sms.FormatTLV, "", `{"esm_class":4,"short_message":"id:1 stat:UNDELIV","tlv":{"message_state":5,"network_error_code":"060021"}}`, "soft handset_busy"},
		{"SMPP error: queue full", sms.FormatTLV, "", `{"esm_class":4,"short_message":"id:1 stat:REJECTD","tlv":{"message_state":8,"network_error_code":"070014"}}`, "soft smsc_queue_full"},
		{"state 0 alone", sms.FormatTLV, "", `{"esm_class":4,"short_message":"","tlv":{"receipted_message_id":"1","message_state":0}}`, "pending scheduled"},
		{"kannel NACK invalid destination", dlr.FormatKannel, "", `{"raw_query":"type=16&answer=NACK%2F0x0000000b%2Fx&fid=9"}`, "hard invalid_number"},
		{"kannel failed without text", dlr.FormatKannel, "", `{"raw_query":"type=2&fid=9"}`, "soft undeliverable"},
		{"jasmin throttled", dlr.FormatJasmin, "", `{"form":{"id":"j","level":"1","message_status":"ESME_RTHROTTLED"}}`, "soft rate_limited"},
		{"twilio delivered", dlr.FormatTwilio, "", `{"form":{"MessageSid":"SM1","MessageStatus":"delivered"}}`, "delivered delivered"},
		{"twilio landline", dlr.FormatTwilio, "", `{"form":{"MessageSid":"SM1","MessageStatus":"undelivered","ErrorCode":"30006"}}`, "hard not_sms_capable"},
		{"twilio failed, unknown code", dlr.FormatTwilio, "", `{"form":{"MessageSid":"SM1","MessageStatus":"failed","ErrorCode":"39999"}}`, "soft unknown_error"},
		{"vonage expired with a code is an expiry", dlr.FormatVonage, "", `{"body":{"messageId":"1","status":"expired","err-code":"2"}}`, "soft expired"},
		{"vonage illegal number", dlr.FormatVonage, "", `{"body":{"messageId":"1","status":"failed","err-code":"9"}}`, "hard invalid_number"},
		{"infobip expired after absent subscriber", dlr.FormatInfobip, "", `{"body":{"results":[{"messageId":"1","status":{"groupId":4,"name":"EXPIRED_EXPIRED"},"error":{"id":27}}]}}`, "soft expired"},
		{"infobip teleservice not provisioned", dlr.FormatInfobip, "", `{"body":{"results":[{"messageId":"1","status":{"groupId":2,"name":"UNDELIVERABLE_NOT_DELIVERED"},"error":{"id":11,"permanent":true}}]}}`, "hard sms_not_provisioned"},
		{"infobip unknown error id", dlr.FormatInfobip, "", `{"body":{"results":[{"messageId":"1","status":{"groupId":2,"name":"UNDELIVERABLE_NOT_DELIVERED"},"error":{"id":77777,"permanent":true}}]}}`, "soft unknown_error"},
		{"infobip do-not-disturb status is an opt-out", dlr.FormatInfobip, "", `{"body":{"results":[{"messageId":"1","status":{"groupId":5,"name":"REJECTED_DND"}}]}}`, "hard opted_out"},
		{"infobip do-not-disturb status with its error id", dlr.FormatInfobip, "", `{"body":{"results":[{"messageId":"1","status":{"groupId":5,"name":"REJECTED_DND"},"error":{"id":2050,"permanent":true}}]}}`, "hard opted_out"},
		{"infobip do-not-disturb error id", dlr.FormatInfobip, "", `{"body":{"results":[{"messageId":"1","status":{"groupId":2,"name":"UNDELIVERABLE_NOT_DELIVERED"},"error":{"id":2050,"permanent":true}}]}}`, "hard opted_out"},
		{"plivo sent", dlr.FormatPlivo, "", `{"form":{"MessageUUID":"u","Status":"sent"}}`, "pending sent_to_carrier"},
		{"sinch queued", dlr.FormatSinch, "", `{"body":{"batch_id":"b","recipient":"447700900123","code":400,"status":"Queued"}}`, "pending queued"},
		{"csv failure", sms.FormatTextCSV, "", "02,0210021543,0210021500,,447887123456,1,r", "soft undeliverable"},
	}
	checkReceipts(t, set, tests, false)
}

// TestUnknownCodes pins the reference's rule for a code missing from its
// table ("Unknown codes in any dialect: soft unknown_error, and into the
// qualification queue"): on every wire, a non-zero code that the dialect or
// provider does not list makes a failure that does not say why soft
// unknown_error, by a fallback.* rule (the queue is made of them), never
// hard even when the provider flags it permanent; a status that says what
// happened keeps its verdict, and err 0 is no error.
func TestUnknownCodes(t *testing.T) {
	t.Parallel()
	set := loadRules(t)
	const text = "id:1 sub:001 dlvrd:000 submit date:2405101230 done date:2405101231 "
	infobip := func(status, id string) string {
		return `{"body":{"results":[{"messageId":"1","status":{"name":"` + status + `"},"error":{"id":` + id + `,"permanent":true}}]}}`
	}
	tests := []receiptCase{
		{"UNDELIV, map", sms.FormatText, "map", text + "stat:UNDELIV err:099 text:x", "soft unknown_error fallback.sms.err@1"},
		{"REJECTD, twilio-smpp", sms.FormatText, "twilio-smpp", text + "stat:REJECTD err:300 text:x", "soft unknown_error fallback.sms.err@1"},
		{"FAILED, 8x8", sms.FormatText, "8x8", text + "stat:FAILED err:2 text:x", "soft unknown_error fallback.sms.err@1"},
		{"UNDELIV, w2wts hex", sms.FormatText, "w2wts", text + "stat:UNDELIV err:0ff text:x", "soft unknown_error fallback.sms.err@1"},
		{"UNDELIV, a dialect without a table", sms.FormatText, "acme", text + "stat:UNDELIV err:001 text:x", "soft unknown_error fallback.sms.err@1"},
		{"UNDELIV, known code stays known", sms.FormatText, "map", text + "stat:UNDELIV err:001 text:x", "hard unknown_subscriber sms.err.map.unknown_subscriber@2"},
		{"UNDELIV, err 000", sms.FormatText, "map", text + "stat:UNDELIV err:000 text:x", "soft undeliverable sms.stat.undeliv@1"},
		{"UNDELIV, no dialect", sms.FormatText, "", text + "stat:UNDELIV err:099 text:x", "soft undeliverable sms.stat.undeliv@1"},
		{"EXPIRED is specific", sms.FormatText, "map", text + "stat:EXPIRED err:099 text:x", "soft expired sms.stat.expired@1"},
		{"DELETED is specific", sms.FormatText, "map", text + "stat:DELETED err:099 text:x", "soft deleted sms.stat.deleted@1"},
		{"DELIVRD is a delivery", sms.FormatText, "map", text + "stat:DELIVRD err:099 text:x", "delivered delivered sms.stat.delivrd@1"},
		{"message_state 5", sms.FormatTLV, "map", `{"esm_class":4,"short_message":"id:1 stat:ENROUTE err:099","tlv":{"message_state":5}}`, "soft unknown_error fallback.sms.err.tlv@1"},
		{"message_state 8", sms.FormatTLV, "twilio-smpp", `{"esm_class":4,"short_message":"id:1 stat:REJECTD err:300","tlv":{"message_state":8}}`, "soft unknown_error fallback.sms.err.tlv@1"},
		{"message_state 3 is specific", sms.FormatTLV, "map", `{"esm_class":4,"short_message":"id:1 stat:UNDELIV err:099","tlv":{"message_state":3}}`, "soft expired sms.state.3@1"},
		{"a known network_error_code says why", sms.FormatTLV, "map", `{"esm_class":4,"short_message":"id:1 stat:UNDELIV err:099","tlv":{"message_state":5,"network_error_code":"030001"}}`, "hard unknown_subscriber sms.neterr.gsm.unknown_subscriber@1"},
		{"jasmin level 2", dlr.FormatJasmin, "map", `{"form":{"id":"j","level":"2","message_status":"UNDELIV","err":"099"}}`, "soft unknown_error fallback.sms.err@1"},
		{"twilio undelivered", dlr.FormatTwilio, "", `{"form":{"MessageSid":"SM1","MessageStatus":"undelivered","ErrorCode":"39999"}}`, "soft unknown_error fallback.sms.twilio.code@1"},
		{"twilio delivered", dlr.FormatTwilio, "", `{"form":{"MessageSid":"SM1","MessageStatus":"delivered","ErrorCode":"39999"}}`, "delivered delivered sms.twilio.status.delivered@1"},
		{"vonage failed", dlr.FormatVonage, "", `{"body":{"messageId":"1","status":"failed","err-code":"77"}}`, "soft unknown_error fallback.sms.vonage.code@1"},
		{"vonage rejected", dlr.FormatVonage, "", `{"body":{"messageId":"1","status":"rejected","err-code":"77"}}`, "soft unknown_error fallback.sms.vonage.code@1"},
		{"vonage failed, err-code 0", dlr.FormatVonage, "", `{"body":{"messageId":"1","status":"failed","err-code":"0"}}`, "soft undeliverable sms.vonage.status.undeliverable@1"},
		{"vonage expired", dlr.FormatVonage, "", `{"body":{"messageId":"1","status":"expired","err-code":"77"}}`, "soft expired sms.vonage.status.expired@1"},
		{"infobip undeliverable, flagged permanent", dlr.FormatInfobip, "", infobip("UNDELIVERABLE_NOT_DELIVERED", "77777"), "soft unknown_error fallback.sms.infobip.code@1"},
		{"infobip rejected by the operator", dlr.FormatInfobip, "", infobip("UNDELIVERABLE_REJECTED_OPERATOR", "77777"), "soft unknown_error fallback.sms.infobip.code@1"},
		{"infobip REJECTED_DND is specific", dlr.FormatInfobip, "", infobip("REJECTED_DND", "77777"), "hard opted_out sms.infobip.status.opted_out@1"},
		{"infobip SS7 family is known", dlr.FormatInfobip, "", infobip("UNDELIVERABLE_NOT_DELIVERED", "1400"), "soft network_failure sms.infobip.code.ss7_transport@1"},
		{"plivo undelivered", dlr.FormatPlivo, "", `{"form":{"MessageUUID":"u","Status":"undelivered","ErrorCode":"4242"}}`, "soft unknown_error fallback.sms.plivo.code@1"},
		{"sinch failed", dlr.FormatSinch, "", `{"body":{"batch_id":"b","recipient":"447700900123","code":499,"status":"Failed"}}`, "soft unknown_error fallback.sms.sinch.code@1"},
		{"sinch aborted", dlr.FormatSinch, "", `{"body":{"batch_id":"b","recipient":"447700900123","code":499,"status":"Aborted"}}`, "soft unknown_error fallback.sms.sinch.code@1"},
	}
	checkReceipts(t, set, tests, true)
}

// receiptCase is a receipt as a format and its connection's dialect write
// it, and the verdict it must get: "outcome reason", and " rule" when the
// rule is checked too.
type receiptCase struct {
	name, format, dialect, payload string
	want                           string
}

// checkReceipts parses and classifies each case in a parallel subtest of
// t; withRule compares the deciding rule's id@version too.
func checkReceipts(t *testing.T, set *rules.Set, tests []receiptCase, withRule bool) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := dlr.ParseReceipt(tt.format, []byte(tt.payload), tt.dialect)
			if err != nil {
				t.Fatalf("ParseReceipt: %v", err)
			}
			v := set.Classify(e)
			got := string(v.Outcome) + " " + string(v.Reason)
			if withRule {
				got += " " + v.Rule
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Classify (-want +got):\n%s\nrule %s, evidence %s", diff, v.Rule, v.Evidence)
			}
		})
	}
}
