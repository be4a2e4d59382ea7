package sms_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdutlv"
	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/sms"
)

// corpusPDU is the deliver_sm of mozes/smpp.pdu issue #21 (receipts.tsv
// row smpp-pdu-hex-001).
const corpusPDU = "000000d3000000050000000000000024000000393731353532323332323239000000454920534d53000400000000000000008369643a39333931323831313037353237323730343039207375623a30303120646c7672643a303031207375626d697420646174653a3138303732323137333620646f6e6520646174653a3138303732323137333620737461743a554e44454c4956206572723a32353520746578743a3f3f203f3f3f3f3f204145442035302e3234203f001e001439333931323831313037353237323730343039000427000100"

// buildDeliverSM encodes a deliver_sm by hand (SMPP 3.4 section 4.6.1):
// go-smpp's encoder writes a UDH length octet even without UDHI, which its
// own decoder and every SMSC would misread.
func buildDeliverSM(tb testing.TB, esm uint8, text string, tlv map[pdutlv.Tag][]byte) []byte {
	tb.Helper()
	var body bytes.Buffer
	body.WriteString("\x00\x01\x01447700900123\x00\x00\x00rebond\x00") // service_type, source, destination
	body.Write([]byte{esm, 0, 0, 0, 0, 0, 0, 0, 0, byte(len(text))})   // esm_class … sm_length
	body.WriteString(text)
	for _, tag := range []pdutlv.Tag{pdutlv.TagReceiptedMessageID, pdutlv.TagMessageStateOption, pdutlv.TagNetworkErrorCode} {
		if v, ok := tlv[tag]; ok {
			body.Write(binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, uint16(tag)), uint16(len(v))))
			body.Write(v)
		}
	}
	h := make([]byte, 16)
	binary.BigEndian.PutUint32(h[0:], uint32(16+body.Len()))
	binary.BigEndian.PutUint32(h[4:], uint32(pdu.DeliverSMID))
	binary.BigEndian.PutUint32(h[12:], 1)
	return append(h, body.Bytes()...)
}

func TestParsePDUHex(t *testing.T) {
	t.Parallel()
	text := "id:6C000002 sub:001 dlvrd:000 submit date:2405101230 done date:2405101231 stat:UNDELIV err:001 text:x"
	full := buildDeliverSM(t, 0x04, text, map[pdutlv.Tag][]byte{
		pdutlv.TagReceiptedMessageID: []byte("6C000002\x00"),
		pdutlv.TagMessageStateOption: {5},
		pdutlv.TagNetworkErrorCode:   {3, 0, 1},
	})
	tests := []struct {
		name, hex string
		want      string // message_id recipient stat err state network_error type
	}{
		{name: "corpus: text and message_state disagree", hex: corpusPDU, want: "9391281107527270409 971552232229 UNDELIV 255 0  failed"},
		{name: "TLVs", hex: hex.EncodeToString(full), want: "6C000002 447700900123 UNDELIV 001 5 030001 failed"},
		{name: "text only", hex: hex.EncodeToString(buildDeliverSM(t, 0x04, strings.Replace(text, "UNDELIV", "DELIVRD", 1), nil)), want: "6C000002 447700900123 DELIVRD 001 -  delivered"},
		{name: "hex with spaces", hex: corpusPDU[:32] + " \n" + corpusPDU[32:], want: "9391281107527270409 971552232229 UNDELIV 255 0  failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := sms.ParsePDUHex(tt.hex, "")
			if err != nil {
				t.Fatalf("ParsePDUHex: %v", err)
			}
			state := "-"
			if e.SMS.MessageState != nil {
				state = string(rune('0' + *e.SMS.MessageState))
			}
			got := strings.Join([]string{e.MessageID, e.Recipient, e.SMS.Stat, e.SMS.Err, state, e.SMS.NetworkError, string(e.Type)}, " ")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePDUHex (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePDUHexErrors(t *testing.T) {
	t.Parallel()
	pdu := corpusPDU
	tests := []struct{ name, hex string }{
		{name: "empty", hex: ""},
		{name: "not hex", hex: "zz"},
		{name: "header only, short", hex: pdu[:20]},
		{name: "truncated body", hex: pdu[:len(pdu)-20]},
		{name: "trailing bytes", hex: pdu + "00"},
		{name: "submit_sm_resp, not deliver_sm", hex: "0000001180000004000000000000000100"},
		{name: "mobile originated (esm_class 0)", hex: strings.Replace(pdu, "0000454920534d53000400", "0000454920534d53000000", 1)},
		{name: "message_state of two octets", hex: strings.Replace(pdu, "0427000100", "042700020000", 1)},
		{name: "command_length beyond the limit", hex: "0000ffff000000050000000000000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if e, err := sms.ParsePDUHex(tt.hex, ""); err == nil {
				t.Errorf("ParsePDUHex: no error, got %+v", e)
			}
		})
	}
}

func TestNetworkErrorHex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr bool
	}{
		{name: "GSM 27", in: []byte{3, 0, 0x1b}, want: "03001b"},
		{name: "ANSI-41 32", in: []byte{6, 0, 0x20}, want: "060020"},
		{name: "ASCII digits are GSM decimal", in: []byte("027"), want: "03001b"},
		{name: "two octets", in: []byte{3, 0}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := sms.NetworkErrorHex(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NetworkErrorHex: error %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("NetworkErrorHex = %q, want %q", got, tt.want)
			}
		})
	}
}
