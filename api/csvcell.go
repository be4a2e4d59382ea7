package api

import "strings"

// formulaStart holds the characters that make a spreadsheet read a CSV
// cell as a formula (OWASP, "CSV Injection"): '=', '+', '-', '@', and a
// leading tab or carriage return, which some spreadsheets skip before
// looking for one.
const formulaStart = "=+-@\t\r"

// csvText neutralizes a text cell of a CSV export (a campaign, a domain, a
// list value or reason: anything a sender or an operator chose): a cell
// that a spreadsheet would run as a formula gets a leading single quote,
// which spreadsheets show as text. Only text cells go through it: the
// numeric columns are written by rebond and stay numbers, negative ones
// too. A cell that already starts with quotes before a formula character
// gets one more, so csvUntext undoes exactly what csvText did.
func csvText(s string) string {
	if rest := strings.TrimLeft(s, "'"); rest != "" && strings.IndexByte(formulaStart, rest[0]) >= 0 {
		return "'" + s
	}
	return s
}

// csvUntext reverses csvText for a CSV upload, so a list exported and
// imported again keeps its values.
func csvUntext(s string) string {
	if rest := strings.TrimLeft(s, "'"); len(rest) < len(s) && rest != "" && strings.IndexByte(formulaStart, rest[0]) >= 0 {
		return s[1:]
	}
	return s
}
