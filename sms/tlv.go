package sms

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"

	"github.com/rebond/rebond/channels"
)

// DeliverSM is what a delivery receipt's deliver_sm (SMPP 3.4 section
// 4.6.1) carries for rebond: the mandatory fields that matter and the
// receipt TLVs of section 5.3.2. MessageState is nil when the TLV is
// absent; NetworkError is the network_error_code TLV (5.3.2.31) as six
// lowercase hex digits, "" when absent.
type DeliverSM struct {
	SourceAddr         string // the original recipient (section 4.6.1)
	ESMClass           int
	DataCoding         int
	ShortMessage       []byte
	MessagePayload     []byte // TLV 0x0424, used when short_message is empty
	ReceiptedMessageID string // TLV 0x001E
	MessageState       *int   // TLV 0x0427
	NetworkError       string // TLV 0x0423
	// Part and Parts place a segment of a concatenated message (Part of
	// Parts, from 1), read from the UDH's concatenation element or the
	// sar_segment_seqnum and sar_total_segments TLVs; zero when the
	// message is whole. Only a mobile-originated message uses them.
	Part, Parts int
}

// Receipt reports whether esm_class marks a receipt: SMSC delivery receipt
// (0x04), SME acknowledgement (0x08, 0x10) or intermediate notification
// (0x20), SMPP 3.4 section 5.2.12.
func (d DeliverSM) Receipt() bool { return d.ESMClass&0x3c != 0 }

// Event turns the deliver_sm into an event of provider "smpp". The TLVs
// win over the receipt text: receipted_message_id is the message id and
// message_state and network_error_code go to the SMSReceipt next to the
// text's stat and err (Kannel's smsc_smpp.c and Jasmin read them first).
func (d DeliverSM) Event(dialect, raw string) (channels.Event, error) {
	return d.EventFrom("smpp", dialect, raw)
}

// EventFrom is Event for a receipt read on a named connection: the event's
// provider is provider ("smpp:<gateway>") and its id is derived from it
// (see EventID), so two SMSCs that number their messages alike never
// share an event id, while a receipt re-delivered by the same SMSC keeps
// its id.
func (d DeliverSM) EventFrom(provider, dialect, raw string) (channels.Event, error) {
	if !d.Receipt() {
		return channels.Event{}, fmt.Errorf("esm_class %#02x: %w", d.ESMClass, ErrNotReceipt)
	}
	text := d.ShortMessage
	if len(text) == 0 {
		text = d.MessagePayload
	}
	rt, err := ParseReceiptText(decodeText(text, d.DataCoding))
	if err != nil && d.MessageState == nil {
		return channels.Event{}, err
	}
	r := textReceipt(rt, dialect, raw)
	r.Provider = provider
	r.Recipient = d.SourceAddr
	if d.ReceiptedMessageID != "" {
		r.MessageID = d.ReceiptedMessageID
	}
	if err := CheckID("receipted_message_id", r.MessageID); err != nil {
		return channels.Event{}, err
	}
	r.SMS.MessageState, r.SMS.NetworkError = d.MessageState, d.NetworkError
	return r.Event(), nil
}

// decodeText returns receipt text as a string: UCS-2 (data_coding 8,
// SMPP 3.4 section 5.2.19) is decoded; every other coding of a receipt is
// ASCII in practice. Receipt text starts with an ASCII key, so UCS-2 text
// starts with a zero octet; an SMSC that labels ASCII as UCS-2 is read as
// ASCII.
func decodeText(b []byte, dataCoding int) string {
	if dataCoding != 8 || len(b) == 0 || len(b)%2 != 0 || b[0] != 0 {
		return string(bytes.TrimRight(b, "\x00"))
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}

// tlvJSON is the corpus's JSON form of a receipt deliver_sm.
type tlvJSON struct {
	ESMClass     int    `json:"esm_class"`
	DataCoding   int    `json:"data_coding"`
	ShortMessage string `json:"short_message"`
	SourceAddr   string `json:"source_addr"`
	TLV          struct {
		ReceiptedMessageID string `json:"receipted_message_id"`
		MessagePayload     string `json:"message_payload"`
		MessageState       *int   `json:"message_state"`
		NetworkErrorCode   string `json:"network_error_code"`
	} `json:"tlv"`
}

// ParseTLVJSON reads a receipt deliver_sm written as JSON
// ({"esm_class":4,"short_message":"…","tlv":{…}}, TLV names of SMPP 3.4
// section 5.3.2, network_error_code as hex) into an event; see
// DeliverSM.Event.
func ParseTLVJSON(payload []byte, dialect string) (channels.Event, error) {
	var j tlvJSON
	if err := json.Unmarshal(payload, &j); err != nil {
		return channels.Event{}, fmt.Errorf("parse smpp-tlv receipt: %w", err)
	}
	d := DeliverSM{
		SourceAddr: j.SourceAddr, ESMClass: j.ESMClass, DataCoding: j.DataCoding,
		ShortMessage: []byte(j.ShortMessage), MessagePayload: []byte(j.TLV.MessagePayload),
		ReceiptedMessageID: j.TLV.ReceiptedMessageID, MessageState: j.TLV.MessageState,
	}
	if j.TLV.NetworkErrorCode != "" {
		b, err := hex.DecodeString(j.TLV.NetworkErrorCode)
		if err != nil {
			return channels.Event{}, fmt.Errorf("parse smpp-tlv receipt: network_error_code: %w", err)
		}
		if d.NetworkError, err = NetworkErrorHex(b); err != nil {
			return channels.Event{}, fmt.Errorf("parse smpp-tlv receipt: %w", err)
		}
	}
	if err := checkState(d.MessageState); err != nil {
		return channels.Event{}, fmt.Errorf("parse smpp-tlv receipt: %w", err)
	}
	e, err := d.Event(dialect, string(payload))
	if err != nil {
		return channels.Event{}, fmt.Errorf("parse smpp-tlv receipt: %w", err)
	}
	return e, nil
}

// checkState refuses a message_state that is not one octet.
func checkState(s *int) error {
	if s != nil && (*s < 0 || *s > 255) {
		return fmt.Errorf("message_state %d is not one octet", *s)
	}
	return nil
}

// NetworkErrorHex returns the network_error_code TLV value (SMPP 3.4
// section 5.3.2.31: a type octet, 1 to 8, then a 2-octet code) as six
// lowercase hex digits. Some SMSCs send the code as three ASCII digits
// ("027"); Kannel's smsc_smpp.c accepts that form, and so does this
// function, reading it as a GSM (type 3) error in decimal.
func NetworkErrorHex(b []byte) (string, error) {
	if len(b) != 3 {
		return "", fmt.Errorf("network_error_code: %d octets, want 3", len(b))
	}
	if isDigits(b) {
		n, _ := strconv.Atoi(string(b))
		return fmt.Sprintf("03%04x", n), nil
	}
	return hex.EncodeToString(b), nil
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}
