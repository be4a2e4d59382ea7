package smpp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdutlv"
)

// FuzzReadPDU feeds a byte stream from a hostile SMSC to the frame reader
// and the dispatcher, then builds the event and the answer of each PDU as
// a session would. Nothing may panic, every refusal must name a status
// and a reason, and every answer must echo its request's sequence number.
// Seeds: testdata/fuzz/FuzzReadPDU.
func FuzzReadPDU(f *testing.F) {
	f.Add(receipt("447700900001", textDelivered))
	f.Add(dataSM(0x04, "447700900001", tlv(pdutlv.TagReceiptedMessageID, []byte("m\x00")), tlv(pdutlv.TagMessageStateOption, []byte{5})))
	f.Add(append(headerOnly(pdu.EnquireLinkID), headerOnly(pdu.UnbindID)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for consumed := 0; ; {
			fr, err := readFrame(r)
			if le := (*lengthError)(nil); errors.As(err, &le) {
				if le.hdr.Len >= pdu.HeaderLen && le.hdr.Len <= MaxPDULen {
					t.Fatalf("length %d refused", le.hdr.Len)
				}
				checkAnswer(t, genericNack(statusInvCmdLen, le.hdr.Seq), pdu.GenericNACKID, le.hdr.Seq)
				return
			}
			if err != nil {
				return
			}
			if !bytes.Equal(fr.bytes(), data[consumed:consumed+int(fr.hdr.Len)]) {
				t.Fatal("bytes() differs from the PDU read")
			}
			consumed += int(fr.hdr.Len)
			fuzzAction(t, decide(fr))
		}
	})
}

// fuzzAction checks one decision the way a session carries it out.
func fuzzAction(t *testing.T, a action) {
	h := a.f.hdr
	switch a.verb {
	case doNack:
		if a.status == statusOK || a.err == nil {
			t.Fatalf("refusal without status or reason: %#x %v", uint32(a.status), a.err)
		}
		checkAnswer(t, genericNack(a.status, h.Seq), pdu.GenericNACKID, h.Seq)
	case doReceipt:
		if a.err == nil && a.receipt.Receipt() {
			if ev, err := a.receipt.EventFrom("smpp:fuzz", "map", "raw"); err == nil {
				_ = ev.Normalize()
			}
		}
		checkAnswer(t, response(h.ID, statusOK, h.Seq), h.ID|respBit, h.Seq)
	case doAnswer, doUnbind:
		checkAnswer(t, response(h.ID, statusOK, h.Seq), h.ID|respBit, h.Seq)
	case doResponse, doIgnore:
	default:
		t.Fatalf("unknown verb %d", a.verb)
	}
}

// checkAnswer reads an encoded answer back and checks its id and sequence.
func checkAnswer(t *testing.T, p []byte, id pdu.ID, seq uint32) {
	t.Helper()
	f, err := readFrame(bytes.NewReader(p))
	if err != nil || f.hdr.ID != id || f.hdr.Seq != seq || int(f.hdr.Len) != len(p) {
		t.Fatalf("answer %x: id %s seq %d (%v), want %s seq %d", p, f.hdr.ID, f.hdr.Seq, err, id, seq)
	}
}
