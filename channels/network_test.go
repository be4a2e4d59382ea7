package channels

import (
	"errors"
	"testing"
	"time"
)

func TestNormalizeNetwork(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, country, mccmnc string
		wantCountry, wantMCC  string
		bad                   string // the field refused, "" for none
	}{
		{"none", "", "", "", "", ""},
		{"country upper-cased", " gb", "", "GB", "", ""},
		{"mcc-mnc of 5 digits", "", "23410", "", "23410", ""},
		{"mcc-mnc of 6 digits with a dash", "", "310-150", "", "310150", ""},
		{"three-letter country", "GBR", "", "", "", "country"},
		{"mcc-mnc too short", "", "2341", "", "", "sms.mcc_mnc"},
		{"mcc-mnc with letters", "", "2341x", "", "", "sms.mcc_mnc"},
	} {
		e := Event{Channel: SMS, Type: Delivered, Recipient: "447700900123", OccurredAt: at, MessageID: "m",
			Country: tc.country, SMS: &SMSReceipt{MCCMNC: tc.mccmnc}}
		err := e.Normalize()
		var fe *FieldError
		switch {
		case tc.bad != "" && (!errors.As(err, &fe) || fe.Field != tc.bad):
			t.Errorf("%s: err %v, want a field error on %s", tc.name, err, tc.bad)
		case tc.bad == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.bad == "" && (e.Country != tc.wantCountry || e.SMS.MCCMNC != tc.wantMCC):
			t.Errorf("%s: country %q mcc_mnc %q, want %q %q", tc.name, e.Country, e.SMS.MCCMNC, tc.wantCountry, tc.wantMCC)
		}
	}
}

// TestNetworkKeepsDerivedIDs: the new optional fields leave the derived
// id of an event without them unchanged (omitempty).
func TestNetworkKeepsDerivedIDs(t *testing.T) {
	t.Parallel()
	e := Event{Channel: SMS, Type: Sent, MessageID: "m", Recipient: "447700900123", OccurredAt: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	// The id this event had before country and mcc_mnc existed.
	const want = "ev_aa73271b5efe809d29499ecd76d68ee1"
	if got := DeriveID(e); got != want {
		t.Errorf("DeriveID = %s, want %s, the id before the network fields", got, want)
	}
	if k, c := SplitNetwork(Network("GB", "23410")); k != "GB" || c != "23410" {
		t.Errorf("SplitNetwork(Network(GB, 23410)) = %q, %q", k, c)
	}
}
