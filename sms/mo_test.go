package sms_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

func TestDecodeText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in         []byte
		dataCoding int
		want       string
	}{
		{"ASCII letters in the default alphabet", []byte("Stop svp"), 0, "Stop svp"},
		{"GSM 03.38 accents", []byte{'A', 'r', 'r', 0x05, 't', ' ', 0x7F}, 0, "Arrét à"},
		{"GSM extension table", []byte{0x1B, 0x65, '5', 0x1B, 0x3C, 0x1B}, 0, "€5[ "},
		{"GSM escape to an unknown code", []byte{0x1B, 'A'}, 0, "A"},
		{"GSM @ and trailing NULs", []byte{0x00, 'x', 0x00, 0x00}, 0, "@x"},
		{"default alphabet that is UTF-8", []byte("Arrêt"), 0, "Arrêt"},
		{"default alphabet that is Latin-1", []byte("Arr\xeat"), 0, "Arrêt"},
		{"IA5", []byte("STOP"), 1, "STOP"},
		{"IA5 holding GSM letters", []byte{'D', 0x05, 's', 'a', 'b', 'o', 'n', 'n', 'e', 'r'}, 1, "Désabonner"},
		{"IA5 holding GSM à", []byte{0x7F, ' ', 'b', 'i', 'e', 'n', 't', 0x1B, 0x65}, 1, "à bient€"},
		{"Latin-1", []byte("ARR\xcaT"), 3, "ARRÊT"},
		{"UCS-2", []byte{0, 'A', 0, 'r', 0, 'r', 0, 0xEA, 0, 't'}, 8, "Arrêt"},
		{"UCS-2 surrogate pair", []byte{0, 'S', 0xD8, 0x3D, 0xDE, 0x4F}, 8, "S🙏"},
		{"UCS-2 odd length", []byte{0, 'S', 0}, 8, "S"},
		{"UCS-2 lone surrogate", []byte{0xD8, 0x3D}, 8, "\uFFFD"},
		{"GSM DCS 0xF0 (class 0, default alphabet)", []byte("STOP"), 0xF0, "STOP"},
		{"GSM DCS 0xF4 (8-bit data)", []byte("STOP"), 0xF4, ""},
		{"GSM DCS 0x18 (UCS-2, class 0)", []byte{0, 'S'}, 0x18, "S"},
		{"GSM DCS 0x11 (default alphabet, class 1)", []byte{'S', 0x05}, 0x11, "Sé"},
		{"binary", []byte{0x05, 0x00, 0x03}, 4, ""},
		{"Cyrillic read as octets", []byte("STOP"), 6, "STOP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sms.DecodeText(tt.in, tt.dataCoding); got != tt.want {
				t.Errorf("DecodeText(% x, %#x) = %q, want %q", tt.in, tt.dataCoding, got, tt.want)
			}
		})
	}
	for _, tt := range []struct{ in, charset, want string }{
		{"Arr\xeat", "WINDOWS-1252", "Arrêt"},
		{"Arrêt", "UTF-8", "Arrêt"},
		{"\x00S\x00T", "UTF-16BE", "ST"},
	} {
		if got := sms.DecodeOctets([]byte(tt.in), tt.charset); got != tt.want {
			t.Errorf("DecodeOctets(%q, %s) = %q, want %q", tt.in, tt.charset, got, tt.want)
		}
	}
}

func FuzzDecodeText(f *testing.F) {
	f.Add([]byte("Stop svp"), 0)
	f.Add([]byte{0x1B}, 0)
	f.Add([]byte{0xD8, 0x3D, 0xDE}, 8)
	f.Fuzz(func(t *testing.T, b []byte, dc int) {
		s := sms.DecodeText(b, dc)
		if !utf8.ValidString(s) {
			t.Fatalf("DecodeText(% x, %d) = %q: invalid UTF-8", b, dc, s)
		}
	})
}

func TestMOEvent(t *testing.T) {
	t.Parallel()
	kw := builtinKeywords(t)
	at := time.Date(2026, 12, 8, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name           string
		mo             sms.MO
		tenant, region string
		want           channels.Event
	}{{
		name: "STOP from a French number, with the provider's id",
		mo:   sms.MO{Provider: "twilio", ID: "SM1", From: "+33 6 12 34 56 78", Text: "Stop svp", At: at, Raw: "raw"},
		want: channels.Event{ID: "twilio:SM1:mo", Type: channels.OptOut, Recipient: "33612345678",
			Consent: &channels.Consent{Keyword: "STOP", Text: "Stop svp"}},
	}, {
		name:   "a national number read in the gateway's region, in French",
		mo:     sms.MO{Provider: "smpp:fr", From: "06 12 34 56 78", Text: "ARRÊT", At: at, Raw: "raw"},
		region: "FR",
		want: channels.Event{Type: channels.OptOut, Recipient: "33612345678",
			Consent: &channels.Consent{Keyword: "ARRÊT", Text: "ARRÊT"}},
	}, {
		name:   "the number's region decides the language, not the gateway's",
		mo:     sms.MO{Provider: "smpp:us", From: "+447700900123", Text: "arrêt", At: at, Raw: "raw"},
		region: "FR",
		want:   channels.Event{Type: channels.Inbound, Recipient: "447700900123", Consent: &channels.Consent{Text: "arrêt"}},
	}, {
		name: "START",
		mo:   sms.MO{Provider: "twilio", ID: "SM2", From: "+14155550100", Text: "START", At: at, Raw: "raw"},
		want: channels.Event{ID: "twilio:SM2:mo", Type: channels.OptIn, Recipient: "14155550100",
			Consent: &channels.Consent{Keyword: "START", Text: "START"}},
	}, {
		name: "a later segment reads no keyword",
		mo:   sms.MO{Provider: "smpp:gw", From: "+14155550100", Text: "stop", Part: 2, Parts: 2, At: at, Raw: "raw"},
		want: channels.Event{Type: channels.Inbound, Recipient: "14155550100", Consent: &channels.Consent{Text: "stop"}},
	}, {
		name: "the provider's own reading wins",
		mo: sms.MO{Provider: "twilio", ID: "SM3", From: "+14155550100", Text: "Stop it", Type: channels.OptOut, Keyword: "STOP",
			At: at, Raw: "raw"},
		want: channels.Event{ID: "twilio:SM3:mo", Type: channels.OptOut, Recipient: "14155550100",
			Consent: &channels.Consent{Keyword: "STOP", Text: "Stop it"}},
	}, {
		name: "control characters and invalid UTF-8 cleaned",
		mo:   sms.MO{Provider: "kannel", From: "+14155550100", Text: "hi\x00there\xff", At: at, Raw: "raw"},
		want: channels.Event{Type: channels.Inbound, Recipient: "14155550100", Consent: &channels.Consent{Text: "hi there\uFFFD"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.mo.Event(kw, tt.tenant, tt.region)
			want := tt.want
			want.Channel, want.Provider, want.OccurredAt, want.Raw = channels.SMS, tt.mo.Provider, at, "raw"
			want.Consent.Scope, want.Consent.Source = channels.ScopeAll, channels.SourceSMSKeyword
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
			if err := got.Normalize(); err != nil {
				t.Errorf("Normalize: %v", err)
			}
		})
	}
	long := tooLong("é", sms.MaxMOText+1)
	e := sms.MO{Provider: "x", From: "+14155550100", Text: long, At: at}.Event(kw, "", "")
	if len(e.Consent.Text) > sms.MaxMOText || !utf8.ValidString(e.Consent.Text) {
		t.Errorf("text of %d bytes kept as %d bytes, valid %v", len(long), len(e.Consent.Text), utf8.ValidString(e.Consent.Text))
	}
	if err := e.Normalize(); err != nil {
		t.Errorf("a long MO does not normalize: %v", err)
	}
}

// tooLong repeats s until it is at least n bytes.
func tooLong(s string, n int) string { return strings.Repeat(s, n/len(s)+1) }

// TestDeliverSMMO: the MO of a deliver_sm, its segment read from the UDH.
func TestDeliverSMMO(t *testing.T) {
	t.Parallel()
	udh := "\x05\x00\x03\x2a\x02\x02" // concatenation, 8-bit reference 42, part 2 of 2
	for _, tt := range []struct {
		name        string
		esm         uint8
		text        string
		part, parts int
		want        string
	}{
		{"whole", 0x00, "Stop svp", 0, 0, "Stop svp"},
		{"second of two", 0x40, udh + "stop", 2, 2, "stop"},
		{"UDH without concatenation", 0x40, "\x02\x70\x00" + "STOP", 0, 0, "STOP"},
		{"concatenation past its total", 0x40, "\x05\x00\x03\x2a\x02\x03" + "STOP", 0, 0, "STOP"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := sms.DecodeDeliverSM(buildDeliverSM(t, tt.esm, tt.text, nil))
			if err != nil {
				t.Fatal(err)
			}
			if d.Receipt() {
				t.Fatal("read as a receipt")
			}
			mo := d.MO("smpp:gw", "raw")
			if mo.Text != tt.want || mo.Part != tt.part || mo.Parts != tt.parts || mo.From != "447700900123" {
				t.Errorf("MO %+v, want text %q, part %d of %d", mo, tt.want, tt.part, tt.parts)
			}
		})
	}
}
