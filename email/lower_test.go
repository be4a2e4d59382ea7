package email

import (
	"runtime"
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

// TestCommandIn checks commandIn against a case-folded search of each
// phrase in order (strings.EqualFold on every window, as it was written
// before it searched a lower-cased copy), including non-ASCII letters that
// fold to ASCII ones (U+212A KELVIN SIGN, U+017F LONG S).
func TestCommandIn(t *testing.T) {
	want := func(d string) string {
		for _, c := range commandPhrases {
			for i := 0; i+len(c.phrase) <= len(d); i++ {
				if strings.EqualFold(d[i:i+len(c.phrase)], string(c.phrase)) {
					return c.cmd
				}
			}
		}
		return ""
	}
	for _, d := range []string{
		"", "550 5.1.1 User unknown (in reply to RCPT TO command)", "554 rejected (IN REPLY TO END OF DATA COMMAND)",
		"Mail From: refused", "host said: 421 greeting failure", "STARTTLS failed", "ſtarttls", "does not li\u212Ae recipient", "rcpt to after data",
		"Ünknown ÜSER in reply to MAIL FROM", strings.Repeat("x", 600) + " rcpt to", "550 nothing here",
	} {
		if got, w := commandIn(d), want(d); got != w {
			t.Errorf("commandIn(%q) = %q, want %q", d, got, w)
		}
	}
}

// TestDecodeWords checks RFC 2047 encoded words in the charsets Japanese
// and European MTAs use, and that a word that cannot be decoded leaves the
// value as it was.
func TestDecodeWords(t *testing.T) {
	for in, want := range map[string]string{
		"=?ISO-2022-JP?B?GyRCR1s/LiUoJWkhPBsoQg==?=":        "配信エラー",
		"=?Shift_JIS?B?lHqQTYNHg4mBWw==?= (returned)":       "配信エラー (returned)",
		"=?iso-8859-1?Q?Caf=E9?= =?utf-8?Q?=C3=A9t=C3=A9?=": "Caféété",
		"Undelivered Mail Returned to Sender":               "Undelivered Mail Returned to Sender",
		"=?x-no-such-charset?Q?abc?=":                       "=?x-no-such-charset?Q?abc?=",
	} {
		if got := decodeWords(in); got != want {
			t.Errorf("decodeWords(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDecodeWordsAllocation checks that decoding a word in a charset other
// than UTF-8 does not take io.Copy's 32 KiB buffer (wordReader.WriteTo).
// It is not parallel: TotalAlloc counts the whole process.
func TestDecodeWordsAllocation(t *testing.T) {
	const word = "=?ISO-2022-JP?B?GyRCR1s/LiUoJWkhPBsoQg==?="
	decodeWords(word) // first-use costs (charset tables) out of the count
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 50
	for range n {
		decodeWords(word)
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per >= 32<<10 {
		t.Errorf("decoding one word allocated %d bytes, want less than 32 KiB", per)
	}
}
