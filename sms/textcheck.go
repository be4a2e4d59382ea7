package sms

import (
	"strings"
	"unicode/utf8"

	"github.com/rebond/rebond/channels"
)

// Encoding is how a text travels: the GSM 7-bit default alphabet or UCS-2.
type Encoding string

// The encodings of 3GPP TS 23.038 a text is sent in.
const (
	GSM7 Encoding = "gsm7"
	UCS2 Encoding = "ucs2"
)

// Pre-send reasons of REASONS.md ("Reasons that arise before sending").
const (
	ReasonTextTooLong          channels.Reason = "text_too_long"
	ReasonUnsupportedCharacter channels.Reason = "unsupported_character"
)

// Segment sizes of 3GPP TS 23.040: 140 octets of user data, less a 6-octet
// concatenation header per segment when the text needs more than one.
const (
	gsmSingle, gsmMulti   = 160, 153 // septets
	ucs2Single, ucs2Multi = 70, 67   // UTF-16 code units
)

// TextCheck is the verdict of CheckText. Reason is "" when the text can be
// sent as asked.
type TextCheck struct {
	Encoding Encoding
	// Units counts septets (GSM7: an extension-table character takes two)
	// or UTF-16 code units (UCS2: a character beyond the BMP takes two).
	Units    int
	Segments int
	Reason   channels.Reason
	// Unsupported lists, once each and in order, the characters outside
	// the GSM alphabet and its extension table.
	Unsupported []rune
}

// CheckText says how text would be sent: in the GSM 7-bit default
// alphabet (3GPP TS 23.038 section 6.2.1, extension-table characters
// counting two septets) when every character is in it, else in UCS-2; and
// in how many segments (160 or 153 septets, 70 or 67 code units; a
// character is never split across two). The reason is
// unsupported_character when requireGSM is set and a character needs UCS-2,
// else text_too_long when the segments exceed maxSegments (0 or less: no
// limit).
func CheckText(text string, maxSegments int, requireGSM bool) TextCheck {
	var c TextCheck
	costs := make([]int, 0, len(text))
	for _, r := range text {
		n := gsmSeptets(r)
		if n == 0 && !containsRune(c.Unsupported, r) {
			c.Unsupported = append(c.Unsupported, r)
		}
		costs = append(costs, n)
	}
	if len(c.Unsupported) == 0 {
		c.Encoding = GSM7
		c.Units, c.Segments = segments(costs, gsmSingle, gsmMulti)
	} else {
		c.Encoding = UCS2
		c.Units, c.Segments = segments(ucs2Costs(text, costs[:0]), ucs2Single, ucs2Multi)
	}
	switch {
	case requireGSM && c.Encoding != GSM7:
		c.Reason = ReasonUnsupportedCharacter
	case maxSegments > 0 && c.Segments > maxSegments:
		c.Reason = ReasonTextTooLong
	}
	return c
}

// segments packs characters of the given unit costs into segments: one of
// single units when all fit, else as many of multi units as it takes.
func segments(costs []int, single, multi int) (units, segs int) {
	for _, n := range costs {
		units += n
	}
	switch {
	case units == 0:
		return 0, 0
	case units <= single:
		return units, 1
	}
	segs, room := 1, multi
	for _, n := range costs {
		if n > room {
			segs, room = segs+1, multi
		}
		room -= n
	}
	return units, segs
}

// ucs2Costs returns the UTF-16 code units of each character of s.
func ucs2Costs(s string, costs []int) []int {
	for _, r := range s {
		if r > 0xFFFF && r <= utf8.MaxRune {
			costs = append(costs, 2)
		} else {
			costs = append(costs, 1)
		}
	}
	return costs
}

// gsmSeptets returns 1 for a character of the GSM 7-bit default alphabet,
// 2 for one of its extension table (escape + code), 0 for anything else.
func gsmSeptets(r rune) int {
	switch {
	case strings.ContainsRune(gsmBasic, r):
		return 1
	case strings.ContainsRune(gsmExtension, r):
		return 2
	}
	return 0
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// The GSM 7-bit default alphabet (3GPP TS 23.038 section 6.2.1) in table
// order, and its extension table (section 6.2.1.1).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)
