package esp

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// Bounds on what one request may hold. The api package bounds the body;
// these bound the work done on it and the size of what is published.
const (
	// maxBatch is the most provider events one request may carry
	// (SendGrid and SparkPost batch theirs).
	maxBatch = 10000
	// maxRecipients is the most recipients one provider event may name
	// (SES sends to at most 50 per message).
	maxRecipients = 1000
	// maxTextLen bounds the diagnostic text of an event, as the rules read
	// no further (rules.MaxTextLen).
	maxTextLen = 8 << 10
)

// MessageIDHeader is the header a sender sets to its own message id, so
// that provider events join the sender's "sent" event. Where a provider
// does not echo headers, the same value goes in a custom argument, tag or
// metadata key named MessageIDKey.
const MessageIDHeader = "X-Rebond-Message-ID"

// MessageIDKey is the custom argument, tag or metadata key holding the
// sender's own message id; CampaignKey holds the campaign.
const (
	MessageIDKey = "rebond_message_id"
	CampaignKey  = "campaign"
)

// EventID returns the id of the event a provider reported with its own
// event id about one recipient: "ev_" and the first 32 hex digits of
// SHA-256(provider|id|recipient). The recipient is part of it because one
// provider id (an SES bounce's feedbackId) may cover several recipients.
// Deterministic, so the same notification delivered twice counts once.
func EventID(provider, id, recipient string) string {
	sum := sha256.Sum256([]byte(provider + "|" + id + "|" + recipient))
	return "ev_" + hex.EncodeToString(sum[:16])
}

// note is what a provider said about one recipient, before it becomes an
// event. where names the provider event in errors ("[3]", "bounce").
type note struct {
	typ       channels.Type
	id        string // the provider's event id, unique per recipient once combined with it
	recipient string
	rcptField string // the provider's name of the recipient field, for errors
	messageID string
	campaign  string
	at        time.Time
	tag       string // the provider's classification, without brackets
	diag      string // the remote server's diagnostic, "smtp; 550 5.1.1 ..." or bare text
	status    string // an enhanced status code given apart from diag
	code      int    // a reply code given apart from diag
	raw       []byte
}

// build turns a note into a validated event of provider. Errors wrap
// channels.ErrMalformed and name the provider's field.
func build(provider, where string, n note) (channels.Event, error) {
	rcpt, err := channels.NormalizeRecipient(channels.Email, n.recipient)
	if err != nil {
		return channels.Event{}, malformed(where, n.rcptField, err.Error())
	}
	if n.at.IsZero() {
		return channels.Event{}, malformed(where, "timestamp", "required: the time the provider observed the event")
	}
	if n.id == "" {
		return channels.Event{}, malformed(where, "id", "required: the provider's event id")
	}
	e := channels.Event{
		ID:         EventID(provider, n.id, rcpt),
		Channel:    channels.Email,
		Type:       n.typ,
		MessageID:  strings.Trim(strings.TrimSpace(n.messageID), "<>"),
		Recipient:  rcpt,
		Campaign:   strings.TrimSpace(n.campaign),
		OccurredAt: n.at.UTC(),
		Provider:   provider,
		SMTP:       reply(provider, n),
		Raw:        string(n.raw),
	}
	if err := e.Normalize(); err != nil {
		return channels.Event{}, fmt.Errorf("%s: %w", strings.TrimSpace(provider+" "+where), err)
	}
	return e, nil
}

// reply builds the SMTP part of an event: code and status from the
// diagnostic unless given apart, and the text prefixed with the tag (see
// the package doc). It returns nil when there is nothing to say.
func reply(provider string, n note) *channels.SMTPReply {
	code, status, text := parseDiagnostic(n.diag)
	if validCode(n.code) {
		code = n.code
	}
	if s := strings.TrimSpace(n.status); enhanced.MatchString(s) {
		status = s
	}
	if tag := strings.TrimSpace(n.tag); tag != "" {
		text = strings.TrimSpace("[" + provider + " " + tag + "] " + text)
	}
	if code == 0 && status == "" && text == "" {
		return nil
	}
	return &channels.SMTPReply{Code: code, Status: status, Text: truncate(text, maxTextLen)}
}

// malformed returns a *channels.FieldError naming the provider event and
// field.
func malformed(where, field, msg string) error {
	f := where
	switch {
	case where == "":
		f = field
	case field != "":
		f = where + "." + field
	}
	return &channels.FieldError{Field: f, Msg: msg}
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// firstOf returns the first non-empty string.
func firstOf(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// parseTime reads an RFC 3339 time with or without fractional seconds
// (SES, Postmark "2019-11-05T16:33:54.9070259Z").
func parseTime(where, field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, malformed(where, field, fmt.Sprintf("%q is not an RFC 3339 time", truncate(s, 64)))
	}
	return t, nil
}

// eventTime reads an event's timestamp in the forms ESPs document: Unix
// seconds, with or without a fraction, as a JSON number or string
// (SendGrid, Mailgun, SparkPost), or RFC 3339 (SparkPost; some of
// SendGrid's samples). The JSON quotes, if any, are the caller's to
// remove (scalar).
func eventTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := parseUnix(s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// typedID is a provider's event id qualified by the event's type, for
// providers whose id is per notification rather than per fact: "" when the
// provider gave none (build refuses it).
func typedID(typ, id string) string {
	if strings.TrimSpace(id) == "" {
		return ""
	}
	return typ + "/" + id
}
