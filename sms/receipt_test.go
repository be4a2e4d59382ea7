package sms_test

import (
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// TestCorpusEvents checks what every event of the corpus must be, whatever
// its label: an SMS event with an id, a message id and a receipt, and the
// same id when the same payload arrives twice.
func TestCorpusEvents(t *testing.T) {
	t.Parallel()
	for _, r := range readCorpus(t) {
		t.Run(r.id, func(t *testing.T) {
			t.Parallel()
			e, err := sms.ParseReceipt(r.format, []byte(r.payload), r.dialect)
			if err != nil {
				t.Fatalf("ParseReceipt: %v", err)
			}
			if e.Channel != channels.SMS || !e.Type.Valid() || e.SMS == nil || e.ID == "" || e.Raw == "" {
				t.Errorf("incomplete event: %+v", e)
			}
			if e.MessageID == "" && !strings.HasPrefix(e.ID, "sms:") {
				t.Errorf("no message id and id %q is not derived", e.ID)
			}
			again, err := sms.ParseReceipt(r.format, []byte(r.payload), r.dialect)
			if err != nil || again.ID != e.ID {
				t.Errorf("second delivery: id %q (err %v), first %q", again.ID, err, e.ID)
			}
		})
	}
}

func TestEventIDs(t *testing.T) {
	t.Parallel()
	a := sms.EventID("twilio", "SM1", "delivered")
	if a != "twilio:SM1:delivered" {
		t.Errorf("EventID = %q", a)
	}
	distinct := map[string]bool{
		a: true, sms.EventID("twilio", "SM1", "undelivered"): true,
		sms.EventID("twilio", "SM2", "delivered"): true, sms.EventID("plivo", "SM1", "delivered"): true,
	}
	if len(distinct) != 4 {
		t.Errorf("EventID collides: %v", distinct)
	}
	id := strings.Repeat("x", 300)
	long := sms.EventID("p", id, "s")
	if len(long) > channels.MaxIDLen || long != sms.EventID("p", id, "s") || long == sms.EventID("p", id, "t") {
		t.Errorf("long EventID %q: not bounded, not deterministic, or blind to the state", long)
	}
}

func TestParseReceiptErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, format, payload string }{
		{name: "unknown format", format: "carrier-pigeon", payload: "{}"},
		{name: "payload too large", format: sms.FormatText, payload: "id:1 stat:DELIVRD text:" + strings.Repeat("x", sms.MaxPayloadLen)},
		{name: "envelope not JSON", format: sms.FormatTwilio, payload: "MessageSid=1"},
		{name: "bad raw_query", format: sms.FormatKannel, payload: `{"raw_query":"type=%zz"}`},
		{name: "infobip without body", format: sms.FormatInfobip, payload: `{"method":"POST"}`},
		{name: "two infobip results in one receipt", format: sms.FormatInfobip, payload: `{"body":{"results":[{"messageId":"a","status":{"groupId":3,"name":"DELIVERED_TO_HANDSET"}},{"messageId":"b","status":{"groupId":3,"name":"DELIVERED_TO_HANDSET"}}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if e, err := sms.ParseReceipt(tt.format, []byte(tt.payload), ""); err == nil {
				t.Errorf("ParseReceipt: no error, got %s", summary(e))
			}
		})
	}
}

func TestVonageAsQuery(t *testing.T) {
	t.Parallel()
	payload := `{"method":"GET","path":"/dlr","query":{"msisdn":"447700900123","messageId":"0A9","status":"expired","err-code":"0"}}`
	e, err := sms.ParseReceipt(sms.FormatVonage, []byte(payload), "")
	if err != nil {
		t.Fatalf("ParseReceipt: %v", err)
	}
	if got, want := summary(e), "failed|vonage|0A9|447700900123|expired|0|vonage||-"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
}
