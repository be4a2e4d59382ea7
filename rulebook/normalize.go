package rulebook

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/rebond/rebond/channels"
)

// MaxNormalizeLen is how much of a diagnostic text Normalize and Pattern
// read. Diagnostics put their substance first; the rest (transcripts,
// help URLs) would only split groups.
const MaxNormalizeLen = 1024

// MaxPatternLen bounds the expressions Pattern writes: a rule's
// expression runs on the worker's hot path.
const MaxPatternLen = 4096

// Normalize masks the variable parts of a diagnostic text, so that the
// texts of one cause, sent to different recipients at different times, read
// the same: addresses and message ids become <addr>, URLs <url>, host
// names <host>, IP addresses <ip>, dates <date>, times <time>, hex ids,
// UUIDs and words mixing letters and digits of 8 characters or more (queue
// ids) <id>, other numbers <n>; control characters and invalid
// UTF-8 become U+FFFD. RFC 3463 enhanced status codes and RFC 5321 reply
// codes stay, as they carry meaning. Letters are lower-cased (rules match
// texts case-insensitively) and whitespace runs become one space. Only the
// first MaxNormalizeLen bytes count; a longer text ends with " <more>".
// The result is valid UTF-8 without NUL, ready to store.
func Normalize(text string) string {
	toks, truncated := tokenize(text)
	var b strings.Builder
	b.Grow(len(text))
	for _, t := range toks {
		switch t.kind {
		case "":
			b.WriteString(asciiLower(t.text))
		case "space":
			b.WriteByte(' ')
		case "odd":
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString("<" + t.kind + ">")
		}
	}
	if truncated {
		b.WriteString(" <more>")
	}
	return strings.TrimSpace(b.String())
}

// Pattern returns a regular expression (for rules.Match.Text, which
// matches case-insensitively) that matches text and the texts Normalize
// gives the same result to, in the main: literal parts quoted, masked parts
// replaced by the expression that masked them, whitespace runs by \s+,
// anchored at both ends (at the start only when text is longer than
// MaxNormalizeLen, or the expression would be longer than MaxPatternLen).
func Pattern(text string) string {
	toks, truncated := tokenize(text)
	var b strings.Builder
	b.WriteString("^")
	for _, t := range toks {
		p := t.pat
		if t.kind == "" {
			p = regexp.QuoteMeta(t.text)
		}
		if b.Len()+len(p) > MaxPatternLen {
			truncated = true // a prefix of the tokens still matches the text
			break
		}
		b.WriteString(p)
	}
	if !truncated {
		b.WriteString("$")
	}
	return b.String()
}

// asciiLower lower-cases ASCII letters only: other bytes are kept as they
// are, so what Normalize prints never depends on Unicode case tables.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// GroupID names the qualification group of a normalized text of channel
// ch: the same text always gives the same id ("q" and 20 hex digits of a
// SHA-256).
func GroupID(ch channels.Channel, normalized string) string {
	sum := sha256.Sum256([]byte(string(ch) + "\n" + normalized))
	return "q" + hex.EncodeToString(sum[:10])
}
