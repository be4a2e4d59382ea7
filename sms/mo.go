package sms

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/phone"
)

// MaxMOText bounds the text a consent event keeps (channels.Consent.Text
// takes at most 4096 bytes); the rest of a longer message stays in Raw.
const MaxMOText = 4096

// MO is a mobile-originated message (a subscriber's SMS to the sender's
// number or short code) as a gateway hands it over: over an SMPP bind (a
// deliver_sm or data_sm that is no receipt) or an inbound webhook. Event
// turns it into a consent event: an opt-out or opt-in when its text is a
// keyword (Keywords), else an inbound message, kept as a fact.
type MO struct {
	// Provider is the events' provider ("twilio", "smpp:acme").
	Provider string
	// ID is the provider's id of the message ("" when it gives none):
	// the event id derives from it, so a re-delivered webhook counts
	// once. Without it the id derives from the event's content and time.
	ID string
	// From is the subscriber's number, as the gateway wrote it.
	From string
	// Text is the message, decoded (DecodeText).
	Text string
	// At is when the message was sent or received (zero: the caller
	// stamps the time it read it).
	At time.Time
	// Raw is the source payload: the PDU as hex, the webhook request.
	Raw string
	// Part and Parts place a segment of a concatenated message (1 of
	// 3…; zero when whole). Segments after the first are read for no
	// keyword: "stop" there continues a sentence.
	Part, Parts int
	// Type and Keyword, when Type is set, are the provider's own reading
	// of the message (Twilio's OptOutType): the provider already acts on
	// it (it refuses to send to a number that sent STOP), so rebond
	// records the same, with its own keyword when it reads the same.
	Type    channels.Type
	Keyword string
}

// Event builds the consent event of m for tenant, reading a national
// From in region (the gateway's, phone.E164) and the keywords in the
// languages of the number's region (phone.RegionOf; region when the
// number has none). Its Consent has scope all and source sms-keyword;
// Text is m's, cleaned and bounded (MaxMOText). A From that is no number
// is left as it is, for Normalize to refuse. kw nil reads no keyword:
// every message is inbound.
func (m MO) Event(kw *Keywords, tenant, region string) channels.Event {
	rcpt := strings.TrimSpace(m.From)
	if n, err := phone.E164(rcpt, region); err == nil {
		rcpt = n
	}
	text := cleanMOText(m.Text)
	match := KeywordMatch{Type: channels.Inbound}
	if kw != nil && m.Part <= 1 {
		lang := phone.RegionOf(rcpt)
		if lang == "" {
			lang = region
		}
		match = kw.Match(tenant, lang, text)
	}
	if m.Type.IsConsent() && m.Type != match.Type {
		match = KeywordMatch{Type: m.Type, Keyword: m.Keyword}
	}
	e := channels.Event{
		Channel: channels.SMS, Type: match.Type, Recipient: rcpt, OccurredAt: m.At, Provider: m.Provider, Raw: m.Raw,
		Consent: &channels.Consent{Scope: channels.ScopeAll, Source: channels.SourceSMSKeyword, Keyword: match.Keyword, Text: text},
	}
	if m.ID != "" {
		e.ID = EventID(m.Provider, m.ID, "mo")
	}
	return e
}

// cleanMOText makes a message storable and bounded: invalid UTF-8
// becomes U+FFFD, control characters other than tab and line breaks
// spaces (NUL breaks a PostgreSQL text), and the text is cut at
// MaxMOText bytes on a character boundary.
func cleanMOText(s string) string {
	s = strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7F {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return clipUTF8(s, MaxMOText)
}

// clipUTF8 cuts s to at most n bytes without splitting a character.
func clipUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// MO returns the mobile-originated message a deliver_sm or data_sm that
// is no receipt carries (d.Receipt() false): source_addr is the
// subscriber, the text is short_message, or message_payload when
// short_message is empty, decoded by data_coding (DecodeText).
func (d DeliverSM) MO(provider, raw string) MO {
	text := d.ShortMessage
	if len(text) == 0 {
		text = d.MessagePayload
	}
	return MO{Provider: provider, From: d.SourceAddr, Text: DecodeText(text, d.DataCoding), Raw: raw, Part: d.Part, Parts: d.Parts}
}
