package sms_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/configs"
)

// row is one labelled sample of testdata/receipts.tsv (see
// testdata/README.md for the columns and where the samples come from).
type row struct {
	id, source, format, dialect, payload, outcome, reason, note string
}

// readCorpus reads testdata/receipts.tsv: TAB-separated, no quoting, a
// header line, eight fields per line.
func readCorpus(tb testing.TB) []row {
	tb.Helper()
	f, err := os.Open("testdata/receipts.tsv")
	if err != nil {
		tb.Fatalf("open corpus: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var rows []row
	for n := 1; sc.Scan(); n++ {
		if n == 1 {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 8 {
			tb.Fatalf("receipts.tsv line %d: %d fields, want 8", n, len(c))
		}
		rows = append(rows, row{c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]})
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read corpus: %v", err)
	}
	return rows
}

// loadRules loads the rule files the binary embeds.
func loadRules(tb testing.TB) *rules.Set {
	tb.Helper()
	set, err := rules.Load(configs.Files, "rules/*.yaml")
	if err != nil {
		tb.Fatalf("load rules: %v", err)
	}
	return set
}
