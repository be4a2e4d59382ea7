package dlr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// The HTTP callback formats ParseReceipt reads, as named in the corpus
// README (sms/testdata/README.md, "format values and payload shapes"):
// the request recorded as a JSON envelope. An adapter's events keep their
// request in that form as Raw (Webhook.Format names it).
const (
	FormatKannel  = "kannel-http" // Kannel dlr-url request
	FormatJasmin  = "jasmin-http" // Jasmin HTTP DLR thrower request
	FormatTwilio  = "twilio"      // Twilio status callback
	FormatVonage  = "vonage"      // Vonage (Nexmo) SMS delivery receipt
	FormatInfobip = "infobip"     // Infobip delivery report webhook
	FormatPlivo   = "plivo"       // Plivo message status callback
	FormatSinch   = "sinch"       // Sinch REST delivery report
)

// ParseReceipt reads one delivery receipt in any format of the corpus into
// an SMS event: a recorded provider callback (the Format constants of
// this package), or an SMPP receipt (sms.ParseReceipt's formats). dialect
// names the err: code table of the connection the receipt came from
// ("map", "twilio-smpp", "8x8", "w2wts"; see channels.SMSReceipt); it only
// applies to formats that carry an SMSC's err: field. Provider callbacks
// are normalized to SMSReceipt{Stat: provider status, Err: provider error
// code, Dialect: provider name}, so the rules, not this package, decide
// what a status means.
//
// The event's ID is derived from the provider, the message id and the
// state (sms.EventID): the same callback delivered twice gives the same
// event. Recipient and OccurredAt are set when the payload carries them;
// the caller completes them otherwise. ParseReceipt fails when the
// payload holds anything but exactly one receipt; ParseReceipts takes
// batches.
func ParseReceipt(format string, payload []byte, dialect string) (channels.Event, error) {
	evs, err := ParseReceipts(format, payload, dialect)
	if err != nil {
		return channels.Event{}, err
	}
	if len(evs) != 1 {
		return channels.Event{}, fmt.Errorf("parse %s receipt: %d receipts in one payload, want 1", format, len(evs))
	}
	return evs[0], nil
}

// ParseReceipts is ParseReceipt for payloads that may batch receipts (an
// Infobip webhook carries a results list, a Sinch batch report one status
// per recipient); every other format gives one event.
func ParseReceipts(format string, payload []byte, dialect string) ([]channels.Event, error) {
	if !knownFormat(format) {
		e, err := sms.ParseReceipt(format, payload, dialect)
		if err != nil {
			return nil, err
		}
		return []channels.Event{e}, nil
	}
	if len(payload) > sms.MaxPayloadLen {
		return nil, fmt.Errorf("parse %s receipt: payload of %d bytes, limit %d", format, len(payload), sms.MaxPayloadLen)
	}
	if format == FormatInfobip {
		return parseInfobipEnvelope(payload)
	}
	return parseHTTPEnvelope(format, payload, dialect)
}

// knownFormat reports whether format is one of this package's.
func knownFormat(format string) bool {
	switch format {
	case FormatKannel, FormatJasmin, FormatTwilio, FormatVonage, FormatInfobip, FormatPlivo, FormatSinch:
		return true
	}
	return false
}

// envelope is the corpus's record of an HTTP callback: the request line's
// query (raw and decoded), or the form or JSON body of a POST.
type envelope struct {
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	RawQuery    *string           `json:"raw_query"`
	Query       map[string]string `json:"query"`
	ContentType string            `json:"content_type"`
	Form        map[string]string `json:"form"`
	Body        json.RawMessage   `json:"body"`
}

// values returns the request's parameters: the byte-exact raw query when
// recorded, else the decoded query, then the form fields.
func (e envelope) values() (url.Values, error) {
	v := url.Values{}
	if e.RawQuery != nil {
		q, err := url.ParseQuery(*e.RawQuery)
		if err != nil {
			return nil, fmt.Errorf("raw_query: %w", err)
		}
		v = q
	} else {
		for k, s := range e.Query {
			v.Set(k, s)
		}
	}
	for k, s := range e.Form {
		v.Set(k, s)
	}
	return v, nil
}

// parseHTTPEnvelope decodes the recorded request and hands it to the
// format's decoder.
func parseHTTPEnvelope(format string, payload []byte, dialect string) ([]channels.Event, error) {
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("parse %s callback: %w", format, err)
	}
	v, err := env.values()
	if err != nil {
		return nil, fmt.Errorf("parse %s callback: %w", format, err)
	}
	if format == FormatSinch {
		evs, err := ParseSinchReports(env.Body)
		for i := range evs {
			evs[i].Raw = string(payload)
		}
		return evs, err
	}
	var e channels.Event
	switch format {
	case FormatKannel:
		e, err = ParseKannel(v, dialect)
	case FormatJasmin:
		e, err = ParseJasmin(v, dialect)
	case FormatTwilio:
		e, err = ParseTwilio(v)
	case FormatPlivo:
		e, err = ParsePlivo(v)
	case FormatVonage:
		e, err = parseVonageEnvelope(env.Body, v)
	default:
		return nil, fmt.Errorf("parse receipt: unknown format %q", format)
	}
	if err != nil {
		return nil, err
	}
	e.Raw = string(payload)
	return []channels.Event{e}, nil
}

// flexString decodes a JSON string or number as a string: providers write
// codes either way ("err-code":"0", "code":401).
type flexString string

// UnmarshalJSON accepts a string, a number, or null.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = flexString(n.String())
	}
	return nil
}

// providerReceipt builds the receipt of a provider callback, normalized as
// ParseReceipt describes: Stat the provider's status, Err its error code,
// Dialect the provider's name.
func providerReceipt(provider, id, to, status, code string) (sms.Receipt, error) {
	if status == "" {
		return sms.Receipt{}, fmt.Errorf("parse %s callback: no status", provider)
	}
	if err := sms.CheckID("message id", id); err != nil {
		return sms.Receipt{}, fmt.Errorf("parse %s callback: %w", provider, err)
	}
	if len(status) > 64 || len(code) > 64 {
		return sms.Receipt{}, fmt.Errorf("parse %s callback: status or error code longer than 64 bytes", provider)
	}
	return sms.Receipt{
		Provider: provider, MessageID: id, Recipient: to,
		SMS: channels.SMSReceipt{Stat: status, Err: code, Dialect: provider},
	}, nil
}

// carrier is a gateway's MCC-MNC field as channels.SMSReceipt keeps it:
// digits ("23410", "310-150" without its dash), or "" when the field is
// absent or not an MCC-MNC (Vonage writes "unknown" for a network it
// could not resolve): a network the gateway did not name is no fault of
// the receipt, which is kept without it.
func carrier(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "-", "")
	if !channels.ValidMCCMNC(s) {
		return ""
	}
	return s
}

// parseTimeAny reads the time formats providers use: RFC 3339, Infobip's
// "2006-01-02T15:04:05.000-0700", and "2006-01-02 15:04:05" with or
// without a zone, "-07:00" or " -0700" (UTC when none). Zero when none fits.
func parseTimeAny(s string) time.Time {
	for _, layout := range []string{
		time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700",
		"2006-01-02 15:04:05-07:00", "2006-01-02 15:04:05.999999-07:00",
		// Vonage's message-timestamp with a numeric zone after a space
		// ("2020-01-01 12:00:00 +0000", its SMS API webhook reference).
		"2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// first returns the first non-empty parameter of the names.
func first(v url.Values, names ...string) string {
	for _, n := range names {
		if s := strings.TrimSpace(v.Get(n)); s != "" {
			return s
		}
	}
	return ""
}

// phone returns s when it looks like a phone number, else "".
func phone(s string) string {
	t := strings.TrimPrefix(s, "+")
	if t == "" || len(t) > 20 || strings.Trim(t, "0123456789") != "" {
		return ""
	}
	return s
}
