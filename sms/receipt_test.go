package sms_test

import (
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

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

// TestParseReceiptErrors covers the refusals ParseReceipt makes before
// any format decodes the payload.
func TestParseReceiptErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, format, payload string }{
		{name: "unknown format", format: "carrier-pigeon", payload: "{}"},
		{name: "payload too large", format: sms.FormatText, payload: "id:1 stat:DELIVRD text:" + strings.Repeat("x", sms.MaxPayloadLen)},
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
