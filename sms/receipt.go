package sms

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// The formats ParseReceipt reads, as named in the corpus README
// (sms/testdata/README.md, "format values and payload shapes").
const (
	FormatText    = "smpp-text"     // SMPP 3.4 Appendix B short_message text
	FormatTextCSV = "smpp-text-csv" // a vendor's comma-separated receipt text
	FormatTLV     = "smpp-tlv"      // deliver_sm fields and TLVs as JSON
	FormatPDU     = "smpp-pdu-hex"  // a whole deliver_sm PDU as hex
	FormatKannel  = "kannel-http"   // Kannel dlr-url request
	FormatJasmin  = "jasmin-http"   // Jasmin HTTP DLR thrower request
	FormatTwilio  = "twilio"        // Twilio status callback
	FormatVonage  = "vonage"        // Vonage (Nexmo) SMS delivery receipt
	FormatInfobip = "infobip"       // Infobip delivery report webhook
	FormatPlivo   = "plivo"         // Plivo message status callback
	FormatSinch   = "sinch"         // Sinch REST delivery report
)

// Input bounds. A receipt is small; anything larger is refused before it
// is decoded, so a hostile gateway cannot make the parser allocate much.
const (
	// MaxPayloadLen bounds a whole payload (a webhook body, a PDU as hex).
	MaxPayloadLen = 64 << 10
	// MaxTextLen bounds receipt text: short_message holds at most 254
	// octets (SMPP 3.4 section 5.2.22), message_payload more.
	MaxTextLen = 4 << 10
)

// ErrNotReceipt marks a payload that is well-formed but is not a delivery
// receipt (a deliver_sm without the receipt esm_class, a text with neither
// id: nor stat:); callers may treat it as a mobile-originated message.
var ErrNotReceipt = errors.New("not a delivery receipt")

// ErrNoDelivery marks a well-formed report of outcomes that names no
// delivery they belong to (a Sinch "summary" report: counts per status,
// no recipients): no per-delivery fact can be read from it. It wraps
// ErrNotReceipt; a webhook answers it as accepted, marked Unusable
// (channels.WebhookResult), rather than drop it silently.
var ErrNoDelivery = fmt.Errorf("%w: outcomes of no named delivery", ErrNotReceipt)

// ParseReceipt reads one delivery receipt in the given format into an SMS
// event. dialect names the err: code table of the connection the receipt
// came from ("map", "twilio-smpp", "8x8", "w2wts"; see channels.SMSReceipt);
// it only applies to formats that carry an SMSC's err: field. Provider
// callbacks are normalized to SMSReceipt{Stat: provider status, Err:
// provider error code, Dialect: provider name}, so the rules, not this
// package, decide what a status means.
//
// The event's ID is derived from the provider, the message id and the
// state (see EventID): the same callback delivered twice gives the same
// event. Recipient and OccurredAt are set when the payload carries them;
// the caller completes them otherwise (a receipt text names neither the
// number nor a time zone). ParseReceipt fails when the payload holds
// anything but exactly one receipt; ParseReceipts takes batches.
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
// Infobip webhook carries a results list); every other format gives one
// event.
func ParseReceipts(format string, payload []byte, dialect string) ([]channels.Event, error) {
	if !knownFormat(format) {
		return nil, fmt.Errorf("parse receipt: unknown format %q", format)
	}
	if len(payload) > MaxPayloadLen {
		return nil, fmt.Errorf("parse %s receipt: payload of %d bytes, limit %d", format, len(payload), MaxPayloadLen)
	}
	one := func(e channels.Event, err error) ([]channels.Event, error) {
		if err != nil {
			return nil, err
		}
		return []channels.Event{e}, nil
	}
	switch format {
	case FormatText:
		return one(ParseTextEvent(string(payload), dialect))
	case FormatTextCSV:
		return one(ParseCSVEvent(string(payload), dialect))
	case FormatTLV:
		return one(ParseTLVJSON(payload, dialect))
	case FormatPDU:
		return one(ParsePDUHex(string(payload), dialect))
	case FormatInfobip:
		return parseInfobipEnvelope(payload)
	}
	return parseHTTPEnvelope(format, payload, dialect)
}

// knownFormat reports whether ParseReceipts reads format.
func knownFormat(format string) bool {
	switch format {
	case FormatText, FormatTextCSV, FormatTLV, FormatPDU, FormatKannel, FormatJasmin,
		FormatTwilio, FormatVonage, FormatInfobip, FormatPlivo, FormatSinch:
		return true
	}
	return false
}

// EventID returns the id of the event a provider reports for one message
// in one state: "provider:message-id:state", lower-cased state, or a hash
// of it when that is longer than channels.MaxIDLen. The same callback
// delivered twice thus has one id, and the bus keeps it once.
func EventID(provider, messageID, state string) string {
	id := provider + ":" + messageID + ":" + strings.ToLower(strings.ReplaceAll(state, " ", ""))
	if len(id) <= channels.MaxIDLen {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sms_" + hex.EncodeToString(sum[:16])
}

// receipt is what every format boils down to before it becomes an event.
type receipt struct {
	provider  string
	messageID string
	recipient string
	campaign  string // the sender's, from a callback URL it wrote
	at        time.Time
	typ       channels.Type // "" = derived from the stat
	sms       channels.SMSReceipt
	raw       string
}

// event builds the channels.Event of r, with its deterministic ID.
func (r receipt) event() channels.Event {
	typ := r.typ
	if typ == "" {
		typ = typeOf(r.sms)
	}
	sr := r.sms
	e := channels.Event{
		Channel: channels.SMS, Type: typ, MessageID: r.messageID, Recipient: r.recipient, Campaign: r.campaign,
		OccurredAt: r.at, Provider: r.provider, SMS: &sr, Raw: r.raw,
	}
	state := sr.Stat
	if sr.MessageState != nil {
		state += "/" + strconv.Itoa(*sr.MessageState)
	}
	if r.messageID == "" {
		e.ID = "sms:" + channels.DeriveID(e)
		return e
	}
	e.ID = EventID(r.provider, r.messageID, state)
	return e
}

// checkID refuses message ids the event schema would refuse.
func checkID(field, id string) error {
	if len(id) > channels.MaxIDLen {
		return fmt.Errorf("%s: longer than %d bytes", field, channels.MaxIDLen)
	}
	return nil
}
