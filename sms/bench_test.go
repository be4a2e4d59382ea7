package sms_test

import (
	"testing"

	"github.com/rebond/rebond/sms"
)

// BenchmarkParseReceiptText measures the SMPP 3.4 Appendix B text parse
// alone (the target: >= 1,000,000 parses per second per core).
func BenchmarkParseReceiptText(b *testing.B) {
	const text = "id:5F3A1B03 sub:001 dlvrd:000 submit date:2611221200 done date:2611221201 stat:UNDELIV err:001 text:Hello there"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sms.ParseReceiptText(text); err != nil {
			b.Fatal(err)
		}
	}
}
