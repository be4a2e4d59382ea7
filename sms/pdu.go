package sms

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdufield"
	"github.com/fiorix/go-smpp/smpp/pdu/pdutlv"

	"github.com/rebond/rebond/channels"
)

// DecodeDeliverSM decodes a whole deliver_sm PDU (16-byte header and body,
// SMPP 3.4 sections 3.2 and 4.6.1) with go-smpp's codec and returns its
// receipt fields. Any other PDU, a length that disagrees with the header,
// or bytes the codec cannot read are errors; malformed input never panics.
func DecodeDeliverSM(b []byte) (d DeliverSM, err error) {
	if len(b) < pdu.HeaderLen || len(b) > pdu.MaxSize {
		return DeliverSM{}, fmt.Errorf("decode deliver_sm: %d bytes, want %d to %d", len(b), pdu.HeaderLen, pdu.MaxSize)
	}
	defer func() {
		// go-smpp decodes fields without bounds checks of its own in places;
		// a hostile PDU must be an error, not a crashed receiver.
		if r := recover(); r != nil {
			d, err = DeliverSM{}, fmt.Errorf("decode deliver_sm: malformed PDU: %v", r)
		}
	}()
	body, err := pdu.Decode(bytes.NewReader(b))
	if err != nil {
		return DeliverSM{}, fmt.Errorf("decode deliver_sm: %w", err)
	}
	h := body.Header()
	if h.ID != pdu.DeliverSMID {
		return DeliverSM{}, fmt.Errorf("decode deliver_sm: command_id %#08x is %s, not deliver_sm", uint32(h.ID), h.ID)
	}
	if int(h.Len) != len(b) {
		return DeliverSM{}, fmt.Errorf("decode deliver_sm: command_length %d, have %d bytes", h.Len, len(b))
	}
	return deliverSMOf(body.Fields(), body.TLVFields())
}

// DeliverSMFields returns the receipt fields of a deliver_sm or data_sm
// (SMPP 3.4 sections 4.6.1 and 4.7.1) whose body the caller decoded with
// go-smpp's pdufield and pdutlv codecs, as DecodeDeliverSM reads them: an
// ESME that frames PDUs itself (sms/smpp) shares this reading of the
// fields and TLVs. A TLV of the wrong size is an error.
func DeliverSMFields(f pdufield.Map, t pdutlv.Map) (DeliverSM, error) { return deliverSMOf(f, t) }

// deliverSMOf picks the receipt fields out of the decoded maps.
func deliverSMOf(f pdufield.Map, t pdutlv.Map) (DeliverSM, error) {
	d := DeliverSM{
		SourceAddr: fieldString(f, pdufield.SourceAddr),
		ESMClass:   fieldByte(f, pdufield.ESMClass),
		DataCoding: fieldByte(f, pdufield.DataCoding),
	}
	if sm, ok := f[pdufield.ShortMessage]; ok {
		d.ShortMessage = sm.Bytes()
	}
	if v, ok := t[pdutlv.TagMessagePayload]; ok {
		d.MessagePayload = v.Bytes()
	}
	if v, ok := t[pdutlv.TagReceiptedMessageID]; ok {
		d.ReceiptedMessageID = strings.TrimRight(string(v.Bytes()), "\x00")
	}
	if v, ok := t[pdutlv.TagMessageStateOption]; ok {
		b := v.Bytes()
		if len(b) != 1 {
			return DeliverSM{}, fmt.Errorf("decode deliver_sm: message_state TLV of %d octets, want 1", len(b))
		}
		s := int(b[0])
		d.MessageState = &s
	}
	if v, ok := t[pdutlv.TagNetworkErrorCode]; ok {
		ne, err := NetworkErrorHex(v.Bytes())
		if err != nil {
			return DeliverSM{}, fmt.Errorf("decode deliver_sm: %w", err)
		}
		d.NetworkError = ne
	}
	d.Part, d.Parts = segment(f, t)
	return d, nil
}

// segment reads where a segment sits in a concatenated message: the
// concatenation element of the UDH (3GPP TS 23.040 section 9.2.3.24.1,
// IEI 0x00 with an 8-bit reference, and 9.2.3.24.8, IEI 0x08 with a
// 16-bit one: reference, total, sequence), else the SAR TLVs of SMPP 3.4
// sections 5.3.2.23 and 5.3.2.24. An element that does not hold together
// (a sequence of 0 or past the total) is ignored: the message is read as
// whole.
func segment(f pdufield.Map, t pdutlv.Map) (part, parts int) {
	if l, ok := f[pdufield.GSMUserData].(*pdufield.UDHList); ok {
		for _, ie := range l.Data {
			d := ie.IEData.Data
			switch {
			case ie.IEI.Data == 0x00 && len(d) == 3:
				part, parts = int(d[2]), int(d[1])
			case ie.IEI.Data == 0x08 && len(d) == 4:
				part, parts = int(d[3]), int(d[2])
			}
		}
	}
	if parts == 0 {
		total, okT := t[pdutlv.TagSarTotalSegments]
		seq, okS := t[pdutlv.TagSarSegmentSeqnum]
		if okT && okS && len(total.Bytes()) == 1 && len(seq.Bytes()) == 1 {
			part, parts = int(seq.Bytes()[0]), int(total.Bytes()[0])
		}
	}
	if parts < 2 || part < 1 || part > parts {
		return 0, 0
	}
	return part, parts
}

func fieldString(f pdufield.Map, n pdufield.Name) string {
	if v, ok := f[n]; ok {
		return strings.TrimRight(string(v.Bytes()), "\x00")
	}
	return ""
}

func fieldByte(f pdufield.Map, n pdufield.Name) int {
	if v, ok := f[n].(*pdufield.Fixed); ok {
		return int(v.Data)
	}
	return 0
}

// ParsePDUHex reads a deliver_sm PDU written as hex (spaces allowed) into
// an event; see DecodeDeliverSM and DeliverSM.Event.
func ParsePDUHex(s, dialect string) (channels.Event, error) {
	s = strings.Join(strings.Fields(s), "")
	if len(s) > 2*pdu.MaxSize {
		return channels.Event{}, fmt.Errorf("parse smpp-pdu-hex receipt: %d hex digits, limit %d", len(s), 2*pdu.MaxSize)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return channels.Event{}, fmt.Errorf("parse smpp-pdu-hex receipt: %w", err)
	}
	d, err := DecodeDeliverSM(b)
	if err != nil {
		return channels.Event{}, fmt.Errorf("parse smpp-pdu-hex receipt: %w", err)
	}
	e, err := d.Event(dialect, s)
	if err != nil {
		return channels.Event{}, fmt.Errorf("parse smpp-pdu-hex receipt: %w", err)
	}
	return e, nil
}
