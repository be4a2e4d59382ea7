package email

import (
	"strings"
	"testing"
)

// TestJoinLower checks joinLower against what it replaces, on ASCII,
// non-ASCII and invalid UTF-8 lines.
func TestJoinLower(t *testing.T) {
	for _, lines := range [][]string{
		{"A"},
		{"Hello WORLD", "", "550 5.1.1 <Ann@Example.COM>: User Unknown"},
		{"Ünïcödé ÄÖÜ", "İSTANBUL", "ΣΊΣΥΦΟΣ"},
		{"bad \xff\xfe BYTES", "\xe3\x81", "TAIL"},
		{"", ""},
	} {
		want := strings.ToLower(strings.Join(lines, "\n"))
		if got := joinLower(lines); got != want {
			t.Errorf("joinLower(%q) = %q, want %q", lines, got, want)
		}
	}
}
