package sms_test

import (
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// textSeeds returns the payloads of the corpus's smpp-text rows
// (testdata/receipts.tsv: TAB-separated, the format third, the payload
// fifth; see testdata/README.md).
func textSeeds(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile("testdata/receipts.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if c := strings.Split(line, "\t"); len(c) == 8 && c[2] == sms.FormatText {
			out = append(out, c[4])
		}
	}
	if len(out) == 0 {
		tb.Fatal("no corpus rows of format smpp-text")
	}
	return out
}

// checkEvent fails on an event a parser must never return without error.
func checkEvent(t *testing.T, e channels.Event) {
	t.Helper()
	if e.Channel != channels.SMS || !e.Type.Valid() || e.SMS == nil || e.ID == "" || len(e.ID) > channels.MaxIDLen || len(e.MessageID) > channels.MaxIDLen {
		t.Fatalf("bad event: %+v", e)
	}
}

func FuzzParseReceiptText(f *testing.F) {
	for _, s := range append(textSeeds(f), "stat:DELIVERED TO CARRIER", "Text:id:1", "id: done date:") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rt, err := sms.ParseReceiptText(s)
		if err != nil {
			return
		}
		if rt.ID == "" && rt.Stat == "" {
			t.Fatalf("receipt without id and stat from %q", s)
		}
		if e, err := sms.ParseTextEvent(s, "map"); err == nil {
			checkEvent(t, e)
		}
	})
}

func FuzzParsePDU(f *testing.F) {
	b, _ := hex.DecodeString(corpusPDU)
	f.Add(b)
	f.Add(buildDeliverSM(f, 0x04, "id:1 stat:DELIVRD err:000", nil))
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := sms.ParsePDUHex(hex.EncodeToString(b), ""); err == nil {
			checkEvent(t, e)
		}
	})
}
