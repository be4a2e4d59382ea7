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

// The SMPP formats ParseReceipt reads, as named in the corpus README
// (sms/testdata/README.md, "format values and payload shapes"). The HTTP
// callback formats are sms/dlr's.
const (
	FormatText    = "smpp-text"     // SMPP 3.4 Appendix B short_message text
	FormatTextCSV = "smpp-text-csv" // a vendor's comma-separated receipt text
	FormatTLV     = "smpp-tlv"      // deliver_sm fields and TLVs as JSON
	FormatPDU     = "smpp-pdu-hex"  // a whole deliver_sm PDU as hex
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

// ParseReceipt reads one SMPP delivery receipt in the given format
// (FormatText, FormatTextCSV, FormatTLV, FormatPDU) into an SMS event;
// dlr.ParseReceipt reads the HTTP callback formats as well. dialect names
// the err: code table of the connection the receipt came from ("map",
// "twilio-smpp", "8x8", "w2wts"; see channels.SMSReceipt).
//
// The event's ID is derived from the provider, the message id and the
// state (see EventID): the same receipt delivered twice gives the same
// event. Recipient and OccurredAt are set when the payload carries them;
// the caller completes them otherwise (a receipt text names neither the
// number nor a time zone).
func ParseReceipt(format string, payload []byte, dialect string) (channels.Event, error) {
	if !knownFormat(format) {
		return channels.Event{}, fmt.Errorf("parse receipt: unknown format %q", format)
	}
	if len(payload) > MaxPayloadLen {
		return channels.Event{}, fmt.Errorf("parse %s receipt: payload of %d bytes, limit %d", format, len(payload), MaxPayloadLen)
	}
	switch format {
	case FormatTextCSV:
		return ParseCSVEvent(string(payload), dialect)
	case FormatTLV:
		return ParseTLVJSON(payload, dialect)
	case FormatPDU:
		return ParsePDUHex(string(payload), dialect)
	}
	return ParseTextEvent(string(payload), dialect)
}

// knownFormat reports whether ParseReceipt reads format.
func knownFormat(format string) bool {
	switch format {
	case FormatText, FormatTextCSV, FormatTLV, FormatPDU:
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

// Receipt is what every receipt format, SMPP or a provider's callback,
// boils down to before it becomes an event: the parsers fill it, Event
// turns it into the channels.Event every format shares.
type Receipt struct {
	Provider  string
	MessageID string
	Recipient string
	Campaign  string // the sender's, from a callback URL it wrote
	At        time.Time
	Type      channels.Type // "" = derived from the stat and message_state
	SMS       channels.SMSReceipt
	Raw       string
}

// Event builds the channels.Event of r. Its ID is EventID(provider,
// message id, state), or derived from the whole event when the receipt
// names no message (channels.DeriveID); Type, when r leaves it empty,
// reads the message_state TLV, else the stat.
func (r Receipt) Event() channels.Event {
	typ := r.Type
	if typ == "" {
		typ = typeOf(r.SMS)
	}
	sr := r.SMS
	e := channels.Event{
		Channel: channels.SMS, Type: typ, MessageID: r.MessageID, Recipient: r.Recipient, Campaign: r.Campaign,
		OccurredAt: r.At, Provider: r.Provider, SMS: &sr, Raw: r.Raw,
	}
	state := sr.Stat
	if sr.MessageState != nil {
		state += "/" + strconv.Itoa(*sr.MessageState)
	}
	if r.MessageID == "" {
		e.ID = "sms:" + channels.DeriveID(e)
		return e
	}
	e.ID = EventID(r.Provider, r.MessageID, state)
	return e
}

// CheckID refuses a message id the event schema would refuse, naming its
// field.
func CheckID(field, id string) error {
	if len(id) > channels.MaxIDLen {
		return fmt.Errorf("%s: longer than %d bytes", field, channels.MaxIDLen)
	}
	return nil
}
