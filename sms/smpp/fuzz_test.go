package smpp

import (
	"bytes"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdutlv"

	"github.com/rebond/rebond/sms"
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
	f.Add(moPDU(0, 8, "+33612345678", ucs2("Arrêt svp")))
	f.Add(moPDU(0x40, 0, "33612345678", []byte{0x05, 0x00, 0x03, 0x2a, 0x02, 0x01, 'S', 'T', 'O', 'P'}))
	kw, err := sms.NewKeywords(sms.KeywordConfig{})
	if err != nil {
		f.Fatal(err)
	}
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
			fuzzAction(t, decide(fr), kw)
		}
	})
}

// fuzzAction checks one decision the way a session carries it out; a
// mobile-originated message must give a consent event or a reason.
func fuzzAction(t *testing.T, a action, kw *sms.Keywords) {
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
		if a.err == nil && !a.receipt.Receipt() {
			ev, err := moEvent(a.receipt, "smpp:fuzz", "raw", kw, "", "FR")
			if err != nil {
				t.Fatalf("MO reader failed: %v", err)
			}
			if ev.Consent == nil || !ev.Type.IsConsent() || !utf8.ValidString(ev.Consent.Text) {
				t.Fatalf("MO event %+v", ev)
			}
			ev.OccurredAt = time.Now()
			_ = ev.Normalize()
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
