package sms

import (
	"fmt"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// ReceiptText is the content of a delivery receipt's short_message as SMPP
// 3.4 Appendix B lays it out:
//
//	id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
//
// The appendix calls the layout vendor-specific, and the wild varies it:
// fields in another order, "Text:" capitalized, 12- and 14-digit dates,
// stat words with spaces. Dates are zero when absent or unreadable.
type ReceiptText struct {
	ID         string
	Sub        string
	Dlvrd      string
	SubmitDate time.Time
	DoneDate   time.Time
	Stat       string
	Err        string
	Text       string
}

// The fields of a receipt text, in the order of Appendix B.
const (
	fID = iota
	fSub
	fDlvrd
	fSubmit
	fDone
	fStat
	fErr
	fText
	nFields
)

// textKeys are the field names of Appendix B (without the colon) and
// their common spellings, each with the field it fills.
var textKeys = []struct {
	key   string
	field int
}{
	{"id", fID}, {"sub", fSub}, {"dlvrd", fDlvrd},
	{"submit date", fSubmit}, {"submit_date", fSubmit}, {"submitdate", fSubmit},
	{"done date", fDone}, {"done_date", fDone}, {"donedate", fDone},
	{"stat", fStat}, {"err", fErr}, {"text", fText},
}

// ParseReceiptText reads receipt text in the Appendix B layout, in any
// field order and key case. Everything after "text:" is the text, whatever
// it contains. It fails with ErrNotReceipt when neither id: nor stat: is
// present, and refuses texts longer than MaxTextLen.
func ParseReceiptText(s string) (ReceiptText, error) {
	if len(s) > MaxTextLen {
		return ReceiptText{}, fmt.Errorf("parse receipt text: %d bytes, limit %d", len(s), MaxTextLen)
	}
	f := splitFields(s)
	if f[fID] == "" && f[fStat] == "" {
		return ReceiptText{}, fmt.Errorf("parse receipt text: %w: no id: or stat: field", ErrNotReceipt)
	}
	return ReceiptText{
		ID: f[fID], Sub: f[fSub], Dlvrd: f[fDlvrd],
		SubmitDate: ParseReceiptDate(f[fSubmit]), DoneDate: ParseReceiptDate(f[fDone]),
		Stat: f[fStat], Err: f[fErr], Text: f[fText],
	}, nil
}

// keyHit is one field name found in a receipt text: where the name
// starts, where its value starts (after the colon), and its field.
type keyHit struct{ at, end, field int }

// splitFields gives each field found the text up to the next key; the
// first occurrence of a field wins. Values are trimmed, except that the
// text keeps its trailing spaces.
func splitFields(s string) (f [nFields]string) {
	var buf [2 * nFields]keyHit // on the stack: a receipt parse allocates nothing but its result
	hits := findKeys(s, buf[:0])
	var seen [nFields]bool
	for i, h := range hits {
		if seen[h.field] {
			continue
		}
		seen[h.field] = true
		if h.field == fText {
			f[fText] = strings.TrimLeft(s[h.end:], " ")
			break
		}
		end := len(s)
		if i+1 < len(hits) {
			end = hits[i+1].at
		}
		f[h.field] = strings.TrimSpace(s[h.end:end])
	}
	return f
}

// findKeys appends to hits, colon by colon, the keys that start a word
// (case-insensitively); after "text:" there are no more keys, only text.
func findKeys(s string, hits []keyHit) []keyHit {
	for p := 0; p < len(s); p++ {
		c := strings.IndexByte(s[p:], ':')
		if c < 0 {
			break
		}
		p += c
		if h, ok := keyBefore(s, p); ok {
			hits = append(hits, h)
			if h.field == fText {
				break
			}
		}
	}
	return hits
}

// keyBefore reports the key that ends at the colon at s[colon], if one
// does (in any ASCII case) and it starts the text or follows a separator
// ("myerr:" is not the key err).
func keyBefore(s string, colon int) (keyHit, bool) {
	for _, k := range textKeys {
		at := colon - len(k.key)
		if at >= 0 && asciiEqualFold(s[at:colon], k.key) && (at == 0 || isFieldSep(s[at-1])) {
			return keyHit{at, colon + 1, k.field}, true
		}
	}
	return keyHit{}, false
}

// asciiEqualFold compares s with the lower-case ASCII key, folding only
// ASCII letters of s (so byte offsets stay those of s, and invalid UTF-8
// cannot match a key by accident).
func asciiEqualFold(s, key string) bool {
	if len(s) != len(key) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != key[i] {
			return false
		}
	}
	return true
}

func isFieldSep(b byte) bool { return b == ' ' || b == '\t' || b == ',' || b == ';' || b == 0 }

// ParseReceiptDate reads a receipt date: YYMMDDhhmm (Appendix B's submit
// date and done date), YYMMDDhhmmss or YYYYMMDDhhmmss, in UTC, as the
// receipt names no zone. Gateways pass the same dates on (Jasmin's
// donedate, Vonage's scts). Anything else is the zero time.
func ParseReceiptDate(s string) time.Time {
	var layout string
	switch len(s) {
	case 10:
		layout = "0601021504"
	case 12:
		layout = "060102150405"
	case 14:
		layout = "20060102150405"
	default:
		return time.Time{}
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// ParseTextEvent reads an Appendix B receipt text into an event of
// provider "smpp", its err: read in the connection's dialect.
func ParseTextEvent(s, dialect string) (channels.Event, error) {
	rt, err := ParseReceiptText(s)
	if err != nil {
		return channels.Event{}, err
	}
	if err := CheckID("id", rt.ID); err != nil {
		return channels.Event{}, fmt.Errorf("parse receipt text: %w", err)
	}
	return textReceipt(rt, dialect, s).Event(), nil
}

// textReceipt turns parsed receipt text into a receipt of provider smpp.
func textReceipt(rt ReceiptText, dialect, raw string) Receipt {
	return Receipt{
		Provider: "smpp", MessageID: rt.ID, At: rt.DoneDate, Raw: raw,
		SMS: channels.SMSReceipt{Stat: rt.Stat, Err: rt.Err, Dialect: dialect},
	}
}
