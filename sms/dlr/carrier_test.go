package dlr_test

import (
	"testing"

	"github.com/rebond/rebond/sms/dlr"
)

// TestCarrier: the providers that name the recipient's network give
// their receipts its MCC-MNC; a value that is no MCC-MNC is dropped, not
// refused.
func TestCarrier(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, format, payload, want string
	}{
		{"vonage network-code", dlr.FormatVonage,
			`{"method":"POST","content_type":"application/json","body":{"msisdn":"447700900123","network-code":"23410","messageId":"0A1","status":"delivered","err-code":"0","message-timestamp":"2024-05-10 12:31:00"}}`,
			"23410"},
		{"vonage form, six digits", dlr.FormatVonage,
			`{"method":"GET","path":"/dlr","query":{"msisdn":"12025550123","network-code":"310150","messageId":"0A2","status":"delivered","err-code":"0"}}`,
			"310150"},
		{"vonage without a network", dlr.FormatVonage,
			`{"method":"POST","content_type":"application/json","body":{"msisdn":"447700900123","network-code":"unknown","messageId":"0A3","status":"delivered","err-code":"0"}}`,
			""},
		{"infobip mccMnc", dlr.FormatInfobip,
			`{"method":"POST","content_type":"application/json","body":{"results":[{"messageId":"ib-1","to":"41793026727","mccMnc":"22801","doneAt":"2024-05-10T12:31:00.000+0000","status":{"groupId":3,"groupName":"DELIVERED","id":5,"name":"DELIVERED_TO_HANDSET"},"error":{"groupId":0,"id":0,"name":"NO_ERROR"}}]}}`,
			"22801"},
		{"sinch operator", dlr.FormatSinch,
			`{"method":"POST","content_type":"application/json","body":{"type":"recipient_delivery_report_sms","batch_id":"b1","recipient":"46701234567","code":0,"status":"Delivered","at":"2024-05-10T12:31:00Z","operator":"24001"}}`,
			"24001"},
		{"twilio names none", dlr.FormatTwilio,
			`{"method":"POST","content_type":"application/x-www-form-urlencoded","form":{"MessageSid":"SM1","MessageStatus":"delivered","To":"+15555550100"}}`,
			""},
	} {
		e, err := dlr.ParseReceipt(tc.format, []byte(tc.payload), "")
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if e.SMS == nil || e.SMS.MCCMNC != tc.want {
			t.Errorf("%s: sms %+v, want mcc_mnc %q", tc.name, e.SMS, tc.want)
		}
	}
}
