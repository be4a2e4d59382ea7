package sms

import (
	"bytes"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The alphabets a message's octets are written in.
type alphabet int

const (
	alphaSMSCDefault alphabet = iota // data_coding 0: GSM 03.38, or what the SMSC sends instead
	alphaGSM                         // GSM 7-bit default alphabet, one septet an octet
	alphaASCII                       // IA5
	alphaLatin1                      // ISO-8859-1
	alphaUCS2                        // UCS-2, read as UTF-16BE
	alphaBinary                      // 8-bit data: no text
	alphaOther                       // a national alphabet rebond does not decode
)

// alphabetOf reads data_coding: the values of SMPP 3.4 section 5.2.19,
// and the GSM data coding schemes of 3GPP TS 23.038 section 4 that SMSCs
// pass through unchanged (general data coding 0x10–0x7F with the
// alphabet in bits 3–2; message waiting groups 0xC0–0xEF; 0xF0–0xFF with
// 8-bit data in bit 2).
func alphabetOf(dataCoding int) alphabet {
	switch dc := dataCoding; {
	case dc == 0x00:
		return alphaSMSCDefault
	case dc == 0x01:
		return alphaASCII
	case dc == 0x03:
		return alphaLatin1
	case dc == 0x08:
		return alphaUCS2
	case dc == 0x02 || dc == 0x04:
		return alphaBinary
	case dc < 0x10 || dc > 0xFF:
		return alphaOther // JIS, Cyrillic, Hebrew, pictograms, KS C 5601…
	case dc < 0x80:
		if dc&0x20 != 0 {
			return alphaBinary // compressed
		}
		return [...]alphabet{alphaGSM, alphaBinary, alphaUCS2, alphaOther}[dc>>2&3]
	case dc >= 0xF0:
		if dc&0x04 != 0 {
			return alphaBinary
		}
		return alphaGSM
	case dc >= 0xE0:
		return alphaUCS2
	case dc >= 0xC0:
		return alphaGSM
	}
	return alphaOther
}

// DecodeText returns the text of a mobile-originated message's
// short_message or message_payload, as its data_coding says:
//
//   - 0, the SMSC default alphabet: GSM 03.38 (3GPP TS 23.038 section
//     6.2.1, one septet an octet, with the extension table) when every
//     octet is below 0x80, as SMPP carries it; otherwise the SMSC sent
//     something else: UTF-8 when the octets are valid UTF-8, else
//     Latin-1;
//   - 1 (IA5) as ASCII, or as GSM 03.38 when it holds GSM letters that
//     are ASCII control codes (hasGSMOnly); 3 as Latin-1; 8 as UCS-2 (read
//     as UTF-16BE, so the surrogate pairs of phones that send emoji decode
//     too);
//   - binary codings (2, 4, and the GSM 8-bit schemes) have no text: "";
//   - other national alphabets are read as UTF-8 when valid, else
//     Latin-1, which keeps ASCII keywords readable.
//
// Trailing NUL octets, which some SMSCs add, are dropped. The result is
// valid UTF-8; it never panics.
func DecodeText(b []byte, dataCoding int) string {
	b = bytes.TrimRight(b, "\x00")
	switch a := alphabetOf(dataCoding); a {
	case alphaBinary:
		return ""
	case alphaUCS2:
		return decodeUTF16BE(b)
	case alphaGSM:
		return decodeGSM(b)
	case alphaSMSCDefault:
		if isSeptets(b) {
			return decodeGSM(b)
		}
	case alphaASCII:
		if hasGSMOnly(b) {
			return decodeGSM(b)
		}
	}
	return decodeOctets(b)
}

// hasGSMOnly reports whether septets labelled IA5 hold codes that are
// control characters in ASCII but letters in GSM 03.38 (0x05 é, 0x7F à,
// 0x1B the escape…): text written in the GSM alphabet under data_coding
// 1, as the npm smpp package and some SMSCs write it. IA5 text has no
// such codes but line breaks.
func hasGSMOnly(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\n' && c != '\r') || c == 0x7F {
			return isSeptets(b)
		}
	}
	return false
}

// DecodeOctets returns text a gateway passed on as octets in a charset
// it names (Kannel's %C, Jasmin's coding): "UTF-16BE" or "UCS-2" as
// UTF-16BE, anything else as UTF-8 when valid, else Latin-1 (Kannel
// recodes GSM to ISO-8859-1 or WINDOWS-1252).
func DecodeOctets(b []byte, charset string) string {
	switch strings.ToUpper(strings.TrimSpace(charset)) {
	case "UTF-16BE", "UTF-16", "UCS-2", "UCS2":
		return decodeUTF16BE(b)
	}
	return decodeOctets(b)
}

// decodeOctets reads UTF-8 when b is valid UTF-8, else Latin-1.
func decodeOctets(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var s strings.Builder
	s.Grow(2 * len(b))
	for _, c := range b {
		s.WriteRune(rune(c))
	}
	return s.String()
}

func isSeptets(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// decodeUTF16BE reads big-endian 16-bit units; an odd last octet is
// dropped, an unpaired surrogate becomes U+FFFD.
func decodeUTF16BE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}

// gsmTable is the GSM 7-bit default alphabet by septet: gsmBasic with
// the escape (0x1B) in its place.
var gsmTable = func() (t [128]rune) {
	rs := []rune(gsmBasic)
	copy(t[:0x1B], rs[:0x1B])
	t[0x1B] = ' '
	copy(t[0x1C:], rs[0x1B:])
	return t
}()

// gsmExtensionCodes are the septets after an escape that gsmExtension's
// characters have, in the same order (3GPP TS 23.038 section 6.2.1.1).
const gsmExtensionCodes = "\x0a\x14\x28\x29\x2f\x3c\x3d\x3e\x40\x65"

// decodeGSM reads unpacked GSM 7-bit septets. An escape followed by a
// septet the extension table lacks is that septet's basic character, and
// an escape at the end a space (3GPP TS 23.038 section 6.2.1.1).
func decodeGSM(b []byte) string {
	var s strings.Builder
	s.Grow(len(b))
	ext := []rune(gsmExtension)
	for i := 0; i < len(b); i++ {
		c := b[i] & 0x7F
		if c == 0x1B && i+1 < len(b) {
			i++
			n := b[i] & 0x7F
			if j := strings.IndexByte(gsmExtensionCodes, n); j >= 0 {
				s.WriteRune(ext[j])
			} else {
				s.WriteRune(gsmTable[n])
			}
			continue
		}
		s.WriteRune(gsmTable[c])
	}
	return s.String()
}
