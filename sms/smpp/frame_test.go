package smpp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdutlv"
)

func TestReadFrame(t *testing.T) {
	t.Parallel()
	valid := receipt("447700900001", textDelivered)
	tests := []struct {
		name    string
		in      []byte
		wantErr error // nil: a frame; errLength: a *lengthError
		wantLen int
	}{
		{"deliver_sm", valid, nil, len(valid)},
		{"header only", headerOnly(pdu.EnquireLinkID), nil, pdu.HeaderLen},
		{"the longest PDU", withLen(append(headerOnly(pdu.DataSMID), make([]byte, MaxPDULen-pdu.HeaderLen)...)), nil, MaxPDULen},
		{"nothing", nil, io.EOF, 0},
		{"header cut", valid[:10], io.ErrUnexpectedEOF, 0},
		{"body cut", valid[:len(valid)-1], io.ErrUnexpectedEOF, 0},
		{"body missing", valid[:pdu.HeaderLen], io.ErrUnexpectedEOF, 0},
		{"command_length 15", withLenOf(headerOnly(pdu.EnquireLinkID), 15), errLength, 0},
		{"command_length 0", withLenOf(headerOnly(pdu.EnquireLinkID), 0), errLength, 0},
		{"command_length past 64K", withLenOf(headerOnly(pdu.DeliverSMID), MaxPDULen+1), errLength, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := readFrame(bytes.NewReader(tt.in))
			var le *lengthError
			switch {
			case tt.wantErr == errLength:
				if !errors.As(err, &le) {
					t.Fatalf("err %v, want a length error", err)
				}
				if le.hdr.Seq != 7 {
					t.Errorf("length error seq %d, want 7 (kept for the generic_nack)", le.hdr.Seq)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case int(f.hdr.Len) != tt.wantLen || len(f.body) != tt.wantLen-pdu.HeaderLen:
				t.Errorf("frame of %d (body %d), want %d", f.hdr.Len, len(f.body), tt.wantLen)
			case !bytes.Equal(f.bytes(), tt.in):
				t.Errorf("bytes() does not give the PDU back")
			}
		})
	}
}

var errLength = errors.New("length error")

// withLenOf copies a header-only PDU, setting command_length to n and the
// sequence number to 7.
func withLenOf(p []byte, n uint32) []byte {
	p = append([]byte(nil), p...)
	p[0], p[1], p[2], p[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	p[15] = 7
	return p
}

func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in         []byte
		verb       verb
		status     pdu.Status
		receiptErr bool
	}{
		{"deliver_sm receipt", receipt("447700900001", textDelivered), doReceipt, statusOK, false},
		{"deliver_sm with UDH", deliverSMUDH(), doReceipt, statusOK, false},
		{"data_sm receipt", dataSM(0x04, "447700900001", tlv(pdutlv.TagMessageStateOption, []byte{2})), doReceipt, statusOK, false},
		{"receipt with a bad TLV size", receipt("1", "", tlv(pdutlv.TagMessageStateOption, []byte{})), doReceipt, statusOK, true},
		{"enquire_link", headerOnly(pdu.EnquireLinkID), doAnswer, statusOK, false},
		{"unbind", headerOnly(pdu.UnbindID), doUnbind, statusOK, false},
		{"enquire_link_resp", headerOnly(pdu.EnquireLinkRespID), doResponse, statusOK, false},
		{"generic_nack", headerOnly(pdu.GenericNACKID), doResponse, statusOK, false},
		{"unknown response", headerOnly(0x80000777), doResponse, statusOK, false},
		{"alert_notification", headerOnly(pdu.AlertNotificationID), doIgnore, statusOK, false},
		{"outbind", headerOnly(pdu.OutbindID), doNack, statusInvCmdID, false},
		{"bind_receiver", headerOnly(pdu.BindReceiverID), doNack, statusInvCmdID, false},
		{"unknown request", headerOnly(0x00000777), doNack, statusInvCmdID, false},
		{"deliver_sm empty", headerOnly(pdu.DeliverSMID), doNack, statusInvCmdLen, false},
		{"UDH longer than sm_length", withLen(append(receipt("1", "")[:pdu.HeaderLen+14], 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 1, 5)), doNack, statusInvCmdLen, false},
		{"TLV cut", withLen(append(receipt("1", textDelivered), 0x04, 0x27, 0, 2, 1)), doNack, statusInvOptParStrm, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := readFrame(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			a := decide(f)
			if a.verb != tt.verb || a.status != tt.status || (a.verb == doReceipt && (a.err != nil) != tt.receiptErr) {
				t.Errorf("decide = verb %d status %#x err %v, want verb %d status %#x receipt error %v",
					a.verb, uint32(a.status), a.err, tt.verb, uint32(tt.status), tt.receiptErr)
			}
			if a.verb == doNack && a.err == nil {
				t.Error("a refusal without a reason")
			}
		})
	}
}

// deliverSMUDH is a receipt whose short_message starts with a UDH
// (esm_class UDHI, 0x40): go-smpp splits the UDH off the text.
func deliverSMUDH() []byte {
	text := "\x05\x00\x03\x01\x02\x01" + "id:u-1 stat:DELIVRD err:000"
	p := deliverSM(0x44, "447700900001", text)
	return p
}

// TestResponses decodes what rebond sends back, byte for byte.
func TestResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"deliver_sm_resp", response(pdu.DeliverSMID, StatusTempAppError, 9), "00000011" + "80000005" + "00000064" + "00000009" + "00"},
		{"data_sm_resp", response(pdu.DataSMID, statusOK, 0), "00000011" + "80000103" + "00000000" + "00000000" + "00"},
		{"enquire_link_resp", response(pdu.EnquireLinkID, statusOK, 0x7fffffff), "00000010" + "80000015" + "00000000" + "7fffffff"},
		{"unbind_resp", response(pdu.UnbindID, statusOK, 3), "00000010" + "80000006" + "00000000" + "00000003"},
		{"generic_nack", genericNack(statusInvCmdID, 4), "00000010" + "80000000" + "00000003" + "00000004"},
		{"enquire_link", request(pdu.EnquireLinkID, 5), "00000010" + "00000015" + "00000000" + "00000005"},
		{"unbind", request(pdu.UnbindID, 6), "00000010" + "00000006" + "00000000" + "00000006"},
		{"bind_transceiver", bindRequest(Gateway{SystemID: "id", Password: "pw", BindMode: Transceiver}, 1),
			"0000001b" + "00000009" + "00000000" + "00000001" + "696400" + "707700" + "00" + "34" + "00" + "00" + "00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hex.EncodeToString(tt.got); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestCommandName: metric labels and logs use SMPP 3.4's command names.
func TestCommandName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   pdu.ID
		want string
	}{
		{pdu.DeliverSMID, "deliver_sm"},
		{pdu.DeliverSMRespID, "deliver_sm_resp"},
		{pdu.DataSMID, "data_sm"},
		{pdu.SubmitSMRespID, "submit_sm_resp"},
		{pdu.EnquireLinkRespID, "enquire_link_resp"},
		{pdu.GenericNACKID, "generic_nack"},
		{pdu.BindTransceiverRespID, "bind_transceiver_resp"},
		{pdu.UnbindID, "unbind"},
		{0x00ff0000, "unknown"},
	}
	for _, tt := range tests {
		if got := commandName(tt.id); got != tt.want {
			t.Errorf("commandName(%#08x) = %q, want %q", uint32(tt.id), got, tt.want)
		}
	}
}
