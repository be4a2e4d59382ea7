package dlr_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/configs"
)

// row is one labelled sample of the SMS corpus, sms/testdata/receipts.tsv
// (see sms/testdata/README.md for the columns and where the samples come
// from). It lives beside package sms because it holds SMPP receipts too;
// every format is read here, through ParseReceipt.
type row struct {
	id, source, format, dialect, payload, outcome, reason, note string
}

// readCorpus reads sms/testdata/receipts.tsv: TAB-separated, no quoting, a
// header line, eight fields per line.
func readCorpus(tb testing.TB) []row {
	tb.Helper()
	var rows []row
	for _, c := range readTSV(tb, "../testdata/receipts.tsv", 8) {
		rows = append(rows, row{c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]})
	}
	return rows
}

// readTSV reads a TAB-separated testdata file without quoting: a header
// line, then lines of exactly fields fields.
func readTSV(tb testing.TB, path string, fields int) [][]string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var lines [][]string
	for n := 1; sc.Scan(); n++ {
		if n == 1 {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != fields {
			tb.Fatalf("%s line %d: %d fields, want %d", path, n, len(c), fields)
		}
		lines = append(lines, c)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	return lines
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
