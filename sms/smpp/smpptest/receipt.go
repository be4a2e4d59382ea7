package smpptest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdutlv"
)

// Receipt is one delivery receipt the SMSC delivers: the message it
// reports on, the handset it was for, and the outcome in the receipt
// text's terms (stat DELIVRD, UNDELIV...; err a network error code).
type Receipt struct {
	MessageID, Recipient, Stat, Err string
	Done                            time.Time
}

// Text is the receipt in the de-facto format of SMPP 3.4 Appendix B.
func (r Receipt) Text() string {
	dlvrd, ts := "000", r.Done.UTC().Format("0601021504")
	if r.Stat == "DELIVRD" {
		dlvrd = "001"
	}
	return fmt.Sprintf("id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%s text:",
		r.MessageID, dlvrd, ts, ts, r.Stat, r.Err)
}

// maxShortMessage is the longest short_message: sm_length is one octet
// and SMPP 3.4 section 4.6.1 allows at most 254. A longer receipt text
// travels in the message_payload TLV (section 5.3.2.32) instead.
const maxShortMessage = 254

// deliverSM encodes r as a deliver_sm carrying a delivery receipt (SMPP
// 3.4 section 4.6.1, esm_class 0x04), from the handset to the ESME. The
// mandatory fields are written by hand: go-smpp's encoder writes a UDH
// length octet even without UDHI, which no SMSC sends.
func (r Receipt) deliverSM(seq uint32) []byte {
	text := r.Text()
	var b bytes.Buffer
	b.Write(make([]byte, pdu.HeaderLen))
	b.WriteString("\x00")                         // service_type
	b.Write([]byte{1, 1})                         // source_addr_ton (international), npi (E.164)
	b.WriteString(r.Recipient + "\x00")           // source_addr: the handset
	b.WriteString("\x00\x00REBOND\x00")           // dest_addr_ton, npi, destination_addr
	b.Write([]byte{0x04, 0, 0, 0, 0, 0, 0, 0, 0}) // esm_class … sm_default_msg_id
	if len(text) <= maxShortMessage {
		b.WriteByte(byte(len(text))) // sm_length
		b.WriteString(text)
	} else {
		b.WriteByte(0) // sm_length 0: the text is in message_payload
		_ = (&pdutlv.Field{Tag: pdutlv.TagMessagePayload, Data: []byte(text)}).SerializeTo(&b)
	}
	p := b.Bytes()
	binary.BigEndian.PutUint32(p[0:4], uint32(len(p)))
	binary.BigEndian.PutUint32(p[4:8], uint32(pdu.DeliverSMID))
	binary.BigEndian.PutUint32(p[12:16], seq)
	return p
}
