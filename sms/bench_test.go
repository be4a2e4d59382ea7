package sms_test

import (
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// BenchmarkParseReceipt parses one corpus sample per format.
func BenchmarkParseReceipt(b *testing.B) {
	seen := map[string]bool{}
	for _, r := range readCorpus(b) {
		if seen[r.format] {
			continue
		}
		seen[r.format] = true
		payload := []byte(r.payload)
		b.Run(r.format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sms.ParseReceipt(r.format, payload, r.dialect); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClassify classifies the corpus, parsed beforehand, with the
// shipped rules: the rule engine's cost per receipt.
func BenchmarkClassify(b *testing.B) {
	set := loadRules(b)
	var evs []channels.Event
	for _, r := range readCorpus(b) {
		e, err := sms.ParseReceipt(r.format, []byte(r.payload), r.dialect)
		if err != nil {
			b.Fatal(err)
		}
		evs = append(evs, e)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = set.Classify(evs[i%len(evs)])
	}
}

// BenchmarkParseAndClassify is a worker's whole cost per receipt: parse
// the payload, then classify it.
func BenchmarkParseAndClassify(b *testing.B) {
	set := loadRules(b)
	rows := readCorpus(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := rows[i%len(rows)]
		e, err := sms.ParseReceipt(r.format, []byte(r.payload), r.dialect)
		if err != nil {
			b.Fatal(err)
		}
		_ = set.Classify(e)
	}
}

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
