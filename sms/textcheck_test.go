package sms_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/sms"
)

func TestCheckText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		text        string
		maxSegments int
		requireGSM  bool
		want        sms.TextCheck
	}{
		{name: "empty", text: "", want: sms.TextCheck{Encoding: sms.GSM7}},
		{name: "plain", text: "Your code is 4411", want: sms.TextCheck{Encoding: sms.GSM7, Units: 17, Segments: 1}},
		{name: "160 septets fit one segment", text: strings.Repeat("a", 160), want: sms.TextCheck{Encoding: sms.GSM7, Units: 160, Segments: 1}},
		{name: "161 septets take two", text: strings.Repeat("a", 161), want: sms.TextCheck{Encoding: sms.GSM7, Units: 161, Segments: 2}},
		{name: "306 septets take two", text: strings.Repeat("a", 306), want: sms.TextCheck{Encoding: sms.GSM7, Units: 306, Segments: 2}},
		{name: "307 septets take three", text: strings.Repeat("a", 307), want: sms.TextCheck{Encoding: sms.GSM7, Units: 307, Segments: 3}},
		{name: "extension table counts two", text: strings.Repeat("€", 80), want: sms.TextCheck{Encoding: sms.GSM7, Units: 160, Segments: 1}},
		{name: "escape never split", text: strings.Repeat("a", 152) + "€" + "a", want: sms.TextCheck{Encoding: sms.GSM7, Units: 155, Segments: 1}},
		{name: "escape pushed to next segment", text: strings.Repeat("a", 152) + "{" + strings.Repeat("a", 10), want: sms.TextCheck{Encoding: sms.GSM7, Units: 164, Segments: 2}},
		{name: "GSM accents", text: "Ça coûte 5€ à Zürich", want: sms.TextCheck{Encoding: sms.UCS2, Units: 20, Segments: 1, Unsupported: []rune{'û'}}},
		{name: "greek capitals are GSM", text: "ΔΦΓΛΩΠΨΣΘΞ", want: sms.TextCheck{Encoding: sms.GSM7, Units: 10, Segments: 1}},
		{name: "70 UCS-2 units", text: strings.Repeat("ж", 70), want: sms.TextCheck{Encoding: sms.UCS2, Units: 70, Segments: 1, Unsupported: []rune{'ж'}}},
		{name: "71 UCS-2 units", text: strings.Repeat("ж", 71), want: sms.TextCheck{Encoding: sms.UCS2, Units: 71, Segments: 2, Unsupported: []rune{'ж'}}},
		{name: "emoji is two units, never split", text: strings.Repeat("a", 66) + "😀", want: sms.TextCheck{Encoding: sms.UCS2, Units: 68, Segments: 1, Unsupported: []rune{'😀'}}},
		{name: "surrogate pair pushed whole", text: strings.Repeat("a", 66) + "😀" + strings.Repeat("a", 10), want: sms.TextCheck{Encoding: sms.UCS2, Units: 78, Segments: 2, Unsupported: []rune{'😀'}}},
		{name: "too long", text: strings.Repeat("a", 161), maxSegments: 1, want: sms.TextCheck{Encoding: sms.GSM7, Units: 161, Segments: 2, Reason: sms.ReasonTextTooLong}},
		{name: "GSM required", text: "Привет", requireGSM: true, want: sms.TextCheck{Encoding: sms.UCS2, Units: 6, Segments: 1, Reason: sms.ReasonUnsupportedCharacter, Unsupported: []rune("Привет")}},
		{name: "unsupported wins over too long", text: strings.Repeat("ж", 200), maxSegments: 1, requireGSM: true, want: sms.TextCheck{Encoding: sms.UCS2, Units: 200, Segments: 3, Reason: sms.ReasonUnsupportedCharacter, Unsupported: []rune{'ж'}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := sms.CheckText(tt.text, tt.maxSegments, tt.requireGSM)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CheckText (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGSMAlphabet checks the whole default alphabet of 3GPP TS 23.038
// section 6.2.1 (127 characters and the escape) is one septet each.
func TestGSMAlphabet(t *testing.T) {
	t.Parallel()
	all := "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	if n := len([]rune(all)); n != 127 {
		t.Fatalf("test alphabet has %d characters, want 127", n)
	}
	c := sms.CheckText(all, 0, true)
	if c.Encoding != sms.GSM7 || c.Units != 127 || c.Reason != "" {
		t.Errorf("CheckText(alphabet) = %+v", c)
	}
}
