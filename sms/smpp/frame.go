package smpp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdufield"
)

// MaxPDULen bounds command_length. SMPP 3.4 sets no limit, but the largest
// thing a receipt can carry is a message_payload TLV (section 5.3.2.32, at
// most 64K octets); go-smpp's own limit (pdu.MaxSize, 4096) would refuse
// such a data_sm, so rebond frames PDUs itself.
const MaxPDULen = 64 << 10

// command_status values of SMPP 3.4 section 5.1.3 that rebond answers with.
const (
	statusOK            pdu.Status = 0x00000000 // ESME_ROK
	statusInvCmdLen     pdu.Status = 0x00000002 // ESME_RINVCMDLEN
	statusInvCmdID      pdu.Status = 0x00000003 // ESME_RINVCMDID
	statusInvOptParStrm pdu.Status = 0x000000c0 // ESME_RINVOPTPARSTREAM
	interfaceVersion34             = 0x34       // interface_version of a bind (section 5.2.4)
)

// The command_status values besides ESME_ROK with which rebond answers a
// receipt's deliver_sm or data_sm (SMPP 3.4 section 5.1.3), as an SMSC
// sees them.
const (
	// StatusTempAppError (ESME_RX_T_APPN) asks the SMSC to deliver the
	// receipt again later: rebond could not keep it yet.
	StatusTempAppError pdu.Status = 0x00000064
	// StatusPermAppError (ESME_RX_P_APPN) asks it not to: rebond will
	// never take this receipt.
	StatusPermAppError pdu.Status = 0x00000065
)

// frame is one PDU read off the wire: the header of SMPP 3.4 section 3.2
// and the body bytes after it.
type frame struct {
	hdr  pdu.Header
	body []byte
}

// lengthError is a command_length rebond cannot frame: below the header's
// 16 octets or above MaxPDULen. The stream cannot be resynchronised after
// it (nothing marks where the next PDU starts), so the connection must
// close; hdr still holds the sequence number for a generic_nack.
type lengthError struct{ hdr pdu.Header }

func (e *lengthError) Error() string {
	return fmt.Sprintf("command_length %d is out of %d..%d", e.hdr.Len, pdu.HeaderLen, MaxPDULen)
}

// readFrame reads one PDU. An I/O error (including a PDU cut short by EOF)
// is returned as it is; a command_length out of bounds is a *lengthError,
// returned before any body byte is read.
func readFrame(r io.Reader) (frame, error) {
	var h [pdu.HeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return frame{}, err
	}
	f := frame{hdr: pdu.Header{
		Len:    binary.BigEndian.Uint32(h[0:4]),
		ID:     pdu.ID(binary.BigEndian.Uint32(h[4:8])),
		Status: pdu.Status(binary.BigEndian.Uint32(h[8:12])),
		Seq:    binary.BigEndian.Uint32(h[12:16]),
	}}
	if f.hdr.Len < pdu.HeaderLen || f.hdr.Len > MaxPDULen {
		return f, &lengthError{hdr: f.hdr}
	}
	f.body = make([]byte, f.hdr.Len-pdu.HeaderLen)
	if _, err := io.ReadFull(r, f.body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return frame{}, err
	}
	return f, nil
}

// EncodePDU serializes a PDU built by go-smpp with the given header
// values. They are set after construction: go-smpp numbers a PDU whose sequence
// is 0 from a process-wide counter, and a response must echo the
// request's sequence number whatever it is (SMPP 3.4 section 3.2).
func EncodePDU(b pdu.Body, id pdu.ID, status pdu.Status, seq uint32) []byte {
	h := b.Header()
	h.ID, h.Status, h.Seq = id, status, seq
	var buf bytes.Buffer
	buf.Grow(pdu.HeaderLen + 1)
	// SerializeTo writes into a bytes.Buffer, which never fails, and every
	// field rebond sets has a type go-smpp serializes.
	_ = b.SerializeTo(&buf)
	return buf.Bytes()
}

// response encodes the answer to a request of the SMSC. deliver_sm_resp
// and data_sm_resp share a body (message_id, unused and NULL: sections
// 4.6.2 and 4.7.2); go-smpp has no data_sm_resp, so it is a
// deliver_sm_resp with the data_sm_resp command_id. The other answers
// rebond sends have no body.
func response(req pdu.ID, status pdu.Status, seq uint32) []byte {
	switch req {
	case pdu.DeliverSMID, pdu.DataSMID:
		return EncodePDU(pdu.NewDeliverSMResp(), req|respBit, status, seq)
	case pdu.EnquireLinkID:
		return EncodePDU(pdu.NewEnquireLinkResp(), pdu.EnquireLinkRespID, status, seq)
	case pdu.UnbindID:
		return EncodePDU(pdu.NewUnbindResp(), pdu.UnbindRespID, status, seq)
	}
	return genericNack(status, seq)
}

// genericNack encodes a generic_nack (section 4.3) for the sequence number
// of the PDU it refuses.
func genericNack(status pdu.Status, seq uint32) []byte {
	return EncodePDU(pdu.NewGenericNACK(), pdu.GenericNACKID, status, seq)
}

// request encodes a body-less request of rebond (enquire_link, unbind).
func request(id pdu.ID, seq uint32) []byte {
	var b pdu.Body
	switch id {
	case pdu.EnquireLinkID:
		b = pdu.NewEnquireLink()
	default:
		b = pdu.NewUnbind()
	}
	return EncodePDU(b, id, statusOK, seq)
}

// bindRequest encodes the bind of section 4.1.1 for a gateway.
func bindRequest(g Gateway, seq uint32) []byte {
	b := pdu.NewBindReceiver()
	if g.BindMode == Transceiver {
		b = pdu.NewBindTransceiver()
	}
	f := b.Fields()
	_ = f.Set(pdufield.SystemID, g.SystemID)
	_ = f.Set(pdufield.Password, g.Password)
	_ = f.Set(pdufield.SystemType, g.SystemType)
	_ = f.Set(pdufield.InterfaceVersion, uint8(interfaceVersion34))
	return EncodePDU(b, g.bindID(), statusOK, seq)
}

// bindID is the command_id of the gateway's bind.
func (g Gateway) bindID() pdu.ID {
	if g.BindMode == Transceiver {
		return pdu.BindTransceiverID
	}
	return pdu.BindReceiverID
}

// respBit marks a response command_id (section 5.1.2.1).
const respBit pdu.ID = 0x80000000

// isResponse reports whether id is a response, generic_nack included.
func isResponse(id pdu.ID) bool { return id&respBit != 0 }

// commandName is the label of a command_id in metrics and logs: its
// name in SMPP 3.4 section 5.1.2.1 (deliver_sm, enquire_link_resp), made
// from go-smpp's, or "unknown" so a hostile SMSC cannot grow the label set.
func commandName(id pdu.ID) string {
	s := id.String()
	if s == "" {
		return "unknown"
	}
	return snakeCase(s)
}

// snakeCase turns go-smpp's Go names (DeliverSM, SubmitSMResp,
// GenericNACK) into the specification's (deliver_sm, submit_sm_resp,
// generic_nack): a word starts at an upper-case letter after a lower-case
// one, or before a lower-case one after an upper-case run.
func snakeCase(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		upper := c >= 'A' && c <= 'Z'
		if upper && i > 0 {
			prevLower := s[i-1] >= 'a' && s[i-1] <= 'z'
			nextLower := i+1 < len(s) && s[i+1] >= 'a' && s[i+1] <= 'z'
			prevUpper := s[i-1] >= 'A' && s[i-1] <= 'Z'
			if prevLower || (prevUpper && nextLower) {
				b.WriteByte('_')
			}
		}
		if upper {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}
