package channels

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// ErrMalformed marks an event that cannot be accepted as it is; the wrapped
// message names the offending field.
var ErrMalformed = errors.New("malformed event")

// MaxIDLen bounds event ids, message ids and campaign names, so one producer
// cannot bloat every index.
const MaxIDLen = 256

// FieldError says which field of an event is wrong and why.
type FieldError struct {
	Field string
	Msg   string
}

// Error says which field is wrong and why ("recipient: required").
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap lets callers test any FieldError with errors.Is(err, ErrMalformed).
func (e *FieldError) Unwrap() error { return ErrMalformed }

// decodeOptions read an event strictly: an unknown member (a misspelt
// field), a member given twice (which one did the producer mean?) or
// trailing data is an error. Names match exactly, as the schema spells
// them. Invalid UTF-8 is let through (as the replacement character) for
// Normalize to judge: an id must be clean, free text is kept.
//
// Why encoding/json/v2 (github.com/go-json-experiment/json, its
// prototype): every event is decoded three times on its way (API, bridge,
// apply), and v2 decodes one in about a quarter of v1's time with a
// tenth of its allocations (BenchmarkDecodeEvent). Encoding stays v1:
// DeriveID hashes v1's bytes, and ids must not change.
var decodeOptions = jsonv2.JoinOptions(jsonv2.RejectUnknownMembers(true), jsontext.AllowInvalidUTF8(true))

// UnmarshalEvent decodes a stored event (JSON that DecodeEvent accepted
// and rebond encoded), without the checks a producer's JSON needs; v into
// a struct embedding Event works too.
func UnmarshalEvent(data []byte, v any) error {
	return jsonv2.Unmarshal(data, v, jsontext.AllowInvalidUTF8(true), jsonv2.RejectUnknownMembers(false))
}

// DecodeEvent reads one event in the JSON schema, rejecting unknown fields
// (a misspelt field is a bug the producer wants to hear about), then
// normalizes and validates it. The returned event always has an ID.
func DecodeEvent(data []byte) (Event, error) {
	return DecodeEventFor(data, "")
}

// DecodeEventFor is DecodeEvent for a producer that speaks for one
// tenant (an API token's): an event naming another tenant is refused, and
// one naming none becomes the tenant's before its id is derived, so the
// same fact gets the same id whichever path brought it. An empty tenant
// takes the event's own.
func DecodeEventFor(data []byte, tenant string) (Event, error) {
	return DecodeEventNumbers(data, tenant, nil)
}

// NumberReader reads an SMS recipient as written by a producer of tenant
// (a national form, an international call prefix) into E.164 digits, as
// package channels/phone does with the tenant's default region.
type NumberReader func(tenant, number string) (string, error)

// DecodeEventNumbers is DecodeEventFor with the SMS recipient first read
// by numbers (nil: as Normalize reads it).
func DecodeEventNumbers(data []byte, tenant string, numbers NumberReader) (Event, error) {
	var e Event
	if err := jsonv2.Unmarshal(data, &e, decodeOptions); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if tenant != "" {
		if e.Tenant != "" && e.Tenant != tenant {
			return Event{}, &FieldError{"tenant", fmt.Sprintf("%q is not the tenant of this producer (%s)", e.Tenant, tenant)}
		}
		e.Tenant = tenant
	}
	if numbers != nil && e.Channel == SMS && strings.TrimSpace(e.Recipient) != "" {
		n, err := numbers(e.TenantName(), e.Recipient)
		if err != nil {
			return Event{}, &FieldError{"recipient", err.Error()}
		}
		e.Recipient = n
	}
	if err := e.Normalize(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// SplitBatch splits a JSON body holding one event object or an array of them
// into the raw elements, so each can be decoded (and rejected) on its own.
func SplitBatch(body []byte) ([]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrMalformed)
	}
	if body[0] != '[' {
		return []json.RawMessage{json.RawMessage(body)}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return items, nil
}

// Normalize fills defaults (schema version, id), canonicalizes the
// recipient and checks every field; it returns a *FieldError naming the
// first field that is wrong.
func (e *Event) Normalize() error {
	if e.Schema == 0 {
		e.Schema = SchemaVersion
	}
	if e.Schema > SchemaVersion || e.Schema < 0 {
		return &FieldError{"schema", fmt.Sprintf("version %d is not supported (max %d)", e.Schema, SchemaVersion)}
	}
	if !e.Channel.Valid() {
		return &FieldError{"channel", fmt.Sprintf("%q is not one of email, sms", e.Channel)}
	}
	if !e.Type.Valid() {
		return &FieldError{"type", fmt.Sprintf("%q is not one of sent, delivered, failed, deferred, complaint, opt_out, opt_in, inbound", e.Type)}
	}
	if e.OccurredAt.IsZero() {
		return &FieldError{"occurred_at", "required, an RFC 3339 time"}
	}
	// JSON (and so the bus) cannot carry years outside 0-9999, and a
	// delivery fact before the Unix epoch is a producer bug.
	if y := e.OccurredAt.UTC().Year(); y < 1970 || y > 9999 {
		return &FieldError{"occurred_at", fmt.Sprintf("year %d is out of range (1970-9999)", y)}
	}
	rcpt, err := NormalizeRecipient(e.Channel, e.Recipient)
	if err != nil && !recipientMayBeOmitted(*e) {
		return &FieldError{"recipient", err.Error()}
	}
	if !CleanID(rcpt) {
		return &FieldError{"recipient", "must be valid UTF-8 without control characters"}
	}
	e.Recipient = rcpt
	if e.Type == Sent && e.MessageID == "" {
		return &FieldError{"message_id", "required on sent events: failures join their send through it"}
	}
	// An array, not a map: the first bad field in this order is the one
	// reported, every time, and checking allocates nothing.
	smscID := ""
	if e.SMS != nil {
		smscID = e.SMS.SMSCID
	}
	for _, f := range [...]struct{ name, v string }{{"id", e.ID}, {"message_id", e.MessageID}, {"campaign", e.Campaign}, {"provider", e.Provider}, {"sms.smsc_id", smscID}} {
		if len(f.v) > MaxIDLen {
			return &FieldError{f.name, fmt.Sprintf("longer than %d bytes", MaxIDLen)}
		}
		if !CleanID(f.v) {
			return &FieldError{f.name, "must be valid UTF-8 without control characters"}
		}
	}
	if strings.HasPrefix(e.ID, keyMark) {
		return &FieldError{"id", "must not start with " + keyMark + " (reserved for tenant-scoped keys)"}
	}
	if e.Tenant == DefaultTenant {
		e.Tenant = "" // one spelling of the default, so derived ids agree
	}
	if e.Tenant != "" && !ValidTenant(e.Tenant) {
		return &FieldError{"tenant", "1 to 63 of a-z, 0-9, '-', '_', starting with a letter or digit"}
	}
	e.sanitizeText()
	if err := e.normalizeConsent(); err != nil {
		return err
	}
	if err := e.normalizeNetwork(); err != nil {
		return err
	}
	if e.SMTP != nil && e.SMTP.Code != 0 && (e.SMTP.Code < 200 || e.SMTP.Code > 599) {
		return &FieldError{"smtp.code", fmt.Sprintf("%d is not an SMTP reply code (RFC 5321 section 4.2)", e.SMTP.Code)}
	}
	e.OccurredAt = e.OccurredAt.UTC()
	if e.ID == "" {
		e.ID = DeriveID(*e)
	}
	return nil
}

// recipientMayBeOmitted: a report that names its message but no recipient
// (an SMS receipt that carries only the message id) joins the message's
// delivery when the message has exactly one recipient (store.Apply). A
// "sent" event always names its recipient: it is what makes a delivery.
func recipientMayBeOmitted(e Event) bool {
	return strings.TrimSpace(e.Recipient) == "" && e.MessageID != "" && e.Type != Sent
}

// NormalizeRecipient returns the canonical form of an address: an email
// address lower-cased without display name or angle brackets, its local
// part quoted only when it must be (RFC 5321 section 4.1.2: "john
// doe"@example.com keeps its quotes, "john"@example.com loses them), or a phone
// number as E.164 digits without "+", spaces or punctuation ("00" read as
// "+"; a national number, with its leading 0, is refused: package
// channels/phone reads those with a default region). It is what the
// recipient state machine is keyed by, so every path must use it.
func NormalizeRecipient(ch Channel, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("required")
	}
	switch ch {
	case Email:
		return normalizeEmail(s)
	case SMS:
		return normalizeNumber(s)
	}
	return "", fmt.Errorf("unknown channel %q", ch)
}

func normalizeEmail(s string) (string, error) {
	if len(s) > 320 { // RFC 5321 4.5.3.1: 64 local + @ + 255 domain
		return "", errors.New("longer than 320 bytes")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an email address", s)
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || at == len(a.Address)-1 {
		return "", fmt.Errorf("%q has no domain", s)
	}
	return strings.ToLower(mailbox(a.Address)), nil
}

// mailbox writes an address as RFC 5321 section 4.1.2 spells it: net/mail
// hands the local part back unquoted ("john doe" for "\"john doe\""),
// which is no address at all and would be refused the next time it is
// read (by the bridge, after the API accepted it). The local part stays a
// Dot-string when it is one, and is otherwise a Quoted-string with '"'
// and '\\' escaped; so normalizing a normalized address changes nothing.
func mailbox(addr string) string {
	s := (&mail.Address{Address: addr}).String() // "<" + mailbox + ">"
	return s[1 : len(s)-1]
}

func normalizeNumber(s string) (string, error) {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		case unicode.IsSpace(r):
		default:
			return "", fmt.Errorf("%q is not a phone number", s)
		}
	}
	n := b.String()
	if !strings.HasPrefix(s, "+") {
		// No country code starts with 0 (ITU-T E.164): "00" is the
		// international call prefix E.164 recommends, and a single 0 a
		// national trunk prefix, which only a default region can read
		// (package channels/phone, at the edges that know one).
		if rest, ok := strings.CutPrefix(n, "00"); ok {
			n = rest
		} else if strings.HasPrefix(n, "0") {
			return "", fmt.Errorf("%q is a national number: write it in international form (+country code)", s)
		}
	}
	if len(n) < 3 || len(n) > 15 || n[0] == '0' { // ITU-T E.164: at most 15 digits
		return "", fmt.Errorf("%q is not an E.164 number (3 to 15 digits, no leading 0)", s)
	}
	return n, nil
}

// Domain returns the part after the last "@" of an email recipient, the key
// of per-domain rates; "" for anything else.
func Domain(recipient string) string {
	at := strings.LastIndexByte(recipient, '@')
	if at < 0 {
		return ""
	}
	return recipient[at+1:]
}

// CleanID reports whether an identifier is valid UTF-8 without control
// characters. PostgreSQL text refuses NUL and invalid UTF-8: an event
// carrying them would be accepted here and then fail every insert of its
// batch, so they are refused at the door with a clear error.
func CleanID(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// cleanText makes a diagnostic storable: each run of invalid UTF-8 and
// each NUL becomes "?" (the fact stays, its text cannot break a batch's
// insert, and the text never grows, so size bounds set upstream hold).
func cleanText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "?"), "\x00", "?")
}

// sanitizeText cleans every free-text field (diagnostics, receipt fields,
// the raw payload), which keep what the source said, minus what no
// database can store.
func (e *Event) sanitizeText() {
	if e.SMTP != nil {
		e.SMTP.Status, e.SMTP.Text = cleanText(e.SMTP.Status), cleanText(e.SMTP.Text)
	}
	if r := e.SMS; r != nil {
		r.Stat, r.Err, r.Dialect, r.NetworkError = cleanText(r.Stat), cleanText(r.Err), cleanText(r.Dialect), cleanText(r.NetworkError)
	}
	e.Raw = cleanText(e.Raw)
}
