package rulebook

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// A token is one piece of a diagnostic text: a literal run, or a masked
// variable part (an address, a number...).
type token struct {
	kind string // "" for a literal; else the placeholder's name
	text string // the text as written
	pat  string // the expression that matches it, for a masked part
}

// masks are the variable parts of diagnostics, tried left to right at each
// position of a chunk (see tokenize), first alternative first. Each has a
// cheap pattern that matches every text the mask matches (a superset,
// without word boundaries), which is what Pattern writes: a rule built from
// the masks matches the text again, and stays cheap on the hot path.
var masks = []struct{ name, re, pat string }{
	{"url", `\b(?:https?|ftp)://[^\s<>"']+`, `(?:https?|ftp)://[^\s<>"']+`},
	{"addr", `[A-Za-z0-9._%+=#/!$&*^~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*`, `[^\s@]+@[A-Za-z0-9.-]+`},
	{"date", `\b[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?\b`,
		`[0-9]{4}-[0-9]{2}-[0-9]{2}[0-9T:.Z+-]*`},
	{"time", `\b[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\b`, `[0-9][0-9:.]*`},
	{"ip", `\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b|\b(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{1,4}\b|\b(?:[0-9A-Fa-f]{1,4}:)+:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?`,
		`[0-9A-Fa-f:.]+`},
	// RFC 3463 enhanced status codes carry the meaning: kept as written
	// (no name: a literal), before numbers are masked; so is the reply
	// code of a multi-line reply before one ("550-5.1.1", RFC 5321 section
	// 4.2.1). Bare reply codes are told apart from numbers in chunk.
	{"", `\b[245][0-9][0-9]-[245]\.[0-9]{1,3}\.[0-9]{1,3}\b|\b[245]\.[0-9]{1,3}\.[0-9]{1,3}\b`, ""},
	{"host", `\b(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}\b`, `[A-Za-z0-9.-]+`},
	// Hex ids and UUIDs, then queue and message ids: words mixing letters
	// and digits. Short ones ("user12") only get their digits masked (see
	// idTokens).
	{"id", `\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b|\b[0-9A-Fa-f]{8,}\b`, `[A-Za-z0-9-]+`},
	{"id", `\b[A-Za-z]+[0-9][A-Za-z0-9]*\b|\b[0-9]+[A-Za-z][A-Za-z0-9]*\b`, `[A-Za-z0-9]+`},
	{"n", `[0-9]+`, digitsPattern},
}

var (
	maskRE = compileMasks()
	// rfcDate is an RFC 5322 section 3.3 date, the one mask that spans
	// spaces: it is found in the whole text before chunks are read.
	rfcDate = regexp.MustCompile(`\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),? +[0-9]{1,2} +(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +[0-9]{4}\b`)
)

// Patterns of the parts Normalize masks outside maskRE.
const (
	digitsPattern = `[0-9]+`
	rfcDatePat    = `[A-Za-z]{3},? +[0-9]{1,2} +[A-Za-z]{3} +[0-9]{4}`
	// Control characters and bytes that are not UTF-8 are never literal
	// text (PostgreSQL text refuses NUL); U+FFFD in a pattern matches an
	// invalid byte, which package regexp decodes so.
	oddPat = `(?:[\x00-\x08\x0b\x0e-\x1f\x7f]|\x{FFFD})`
	// Whitespace runs become one space, matched as \s+ (RE2's \s class is
	// exactly the bytes isSpace accepts).
	spacePat = `\s+`
)

var days = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

func compileMasks() *regexp.Regexp {
	parts := make([]string, len(masks))
	for i, m := range masks {
		parts[i] = "(" + m.re + ")"
	}
	return regexp.MustCompile(strings.Join(parts, "|"))
}

// shortID is the length under which a word mixing letters and digits is
// text with a number in it ("user12"), not an id.
const shortID = 8

// tokenize splits the first MaxNormalizeLen bytes of text into literals and
// masked parts. truncated reports that text went on: the tokens then end
// before the last whitespace of that prefix, so that no masked part is cut.
//
// Masks other than dates apply within chunks: runs of the bytes they read
// (letters, digits and the punctuation of addresses, hosts, ids, URLs).
// Whitespace, brackets, quotes and other characters end chunks, and a
// chunk of letters alone is a word, read without a regular expression;
// that keeps the cost of a text near one pass over its bytes.
func tokenize(text string) (toks []token, truncated bool) {
	if len(text) > MaxNormalizeLen {
		text, truncated = cutPrefix(text, MaxNormalizeLen), true
	}
	tk := tokenizer{src: text, toks: make([]token, 0, 8+len(text)/8)}
	pos := 0
	if containsAny(text, days) {
		for _, loc := range rfcDate.FindAllStringIndex(text, -1) {
			tk.scan(pos, loc[0])
			tk.add(loc[0], loc[1], "date", rfcDatePat)
			pos = loc[1]
		}
	}
	tk.scan(pos, len(text))
	return tk.toks, truncated
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// tokenizer accumulates the tokens of src, merging adjacent literals.
type tokenizer struct {
	src  string
	toks []token
	// litStart is where the literal that ends the tokens starts, or -1.
	litStart int
}

// add appends src[i:j] as a token of kind (a literal when kind is empty).
func (tk *tokenizer) add(i, j int, kind, pat string) {
	if kind == "" {
		if n := len(tk.toks); n > 0 && tk.toks[n-1].kind == "" && tk.litStart >= 0 {
			tk.toks[n-1].text = tk.src[tk.litStart:j]
			return
		}
		tk.litStart = i
	}
	tk.toks = append(tk.toks, token{kind: kind, text: tk.src[i:j], pat: pat})
}

// scan reads src[i:end] byte by byte: whitespace runs, odd characters,
// chunks, and everything else as literal text.
func (tk *tokenizer) scan(i, end int) {
	s := tk.src
	for i < end {
		c, j := s[i], i+1
		switch {
		case isSpace(c):
			for j < end && isSpace(s[j]) {
				j++
			}
			tk.add(i, j, "space", spacePat)
		case c < 0x20 || c == 0x7f:
			tk.add(i, j, "odd", oddPat)
		case c >= utf8.RuneSelf:
			r, w := utf8.DecodeRuneInString(s[i:end])
			j = i + w
			if r == utf8.RuneError {
				tk.add(i, j, "odd", oddPat)
			} else {
				tk.add(i, j, "", "")
			}
		case isChunk(c):
			for j < end && isChunk(s[j]) {
				j++
			}
			tk.chunk(i, j)
		default:
			tk.add(i, j, "", "")
		}
		i = j
	}
}

// chunk masks what the chunk src[i:j] holds. Most chunks are words, or
// numbers: they are told apart without a regular expression.
func (tk *tokenizer) chunk(i, j int) {
	s := tk.src[i:j]
	switch plainChunk(s) {
	case chunkWord:
		tk.add(i, j, "", "")
		return
	case chunkNumber:
		if tk.replyCode(i, j) {
			tk.add(i, j, "", "")
		} else {
			tk.add(i, j, "n", digitsPattern)
		}
		return
	}
	pos := 0
	for _, loc := range maskRE.FindAllStringSubmatchIndex(s, -1) {
		if loc[0] > pos {
			tk.add(i+pos, i+loc[0], "", "")
		}
		tk.mask(i, s, loc)
		pos = loc[1]
	}
	if pos < len(s) {
		tk.add(i+pos, j, "", "")
	}
}

// statusAhead is an RFC 3463 enhanced status code at the start of a text.
var statusAhead = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}\b`)

// replyCode reports whether the number src[i:j] is an RFC 5321 reply code
// (section 4.2: three digits, 2, 4 or 5 first) where a reply puts one: at
// the start of the text, or before an enhanced status code ("said: 550
// 5.1.1"). Anywhere else three digits are a number like any other ("retry
// in 450 seconds").
func (tk *tokenizer) replyCode(i, j int) bool {
	if j-i != 3 || strings.IndexByte("245", tk.src[i]) < 0 {
		return false
	}
	if strings.TrimLeft(tk.src[:i], "\t\n\f\r ") == "" {
		return true
	}
	rest := strings.TrimLeft(tk.src[j:], "\t\n\f\r ")
	return len(rest) < len(tk.src[j:]) && statusAhead.MatchString(rest)
}

// Chunk shapes plainChunk tells apart.
const (
	chunkOther = iota
	chunkWord
	chunkNumber
)

// plainChunk says whether s is a word no mask can match (letters and
// punctuation, with '.' and ':' only at its end: "said:", "rejected.") or
// a number, without running a regular expression.
func plainChunk(s string) int {
	digits, other := 0, false
	for k := 0; k < len(s); k++ {
		switch c := s[k]; {
		case '0' <= c && c <= '9':
			digits++
		case c == '@':
			return chunkOther
		case c == '.' || c == ':':
			if strings.Trim(s[k:], ".:") != "" {
				return chunkOther
			}
			other = true
		default:
			other = true
		}
	}
	switch {
	case digits == 0:
		return chunkWord
	case !other:
		return chunkNumber
	}
	return chunkOther
}

// isSpace is RE2's \s: tab, newline, form feed, carriage return, space.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// isChunk reports whether c is a byte masks read: ASCII letters, digits
// and the punctuation of addresses, hosts, ids and URLs.
func isChunk(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("._%+=#/!$&*^~:@?-", c) >= 0
}

// cutPrefix returns text cut to at most n bytes before whitespace, so that
// every token of the prefix is a token of the whole text. Without any
// whitespace it cuts between two characters as the whole text decodes
// (an invalid byte counts as one), which is how package regexp reads it.
func cutPrefix(text string, n int) string {
	if i := strings.LastIndexAny(text[:n+1], "\t\n\f\r "); i > 0 {
		return strings.TrimRight(text[:i], "\t\n\f\r ")
	}
	i := 0
	for i < n {
		_, w := utf8.DecodeRuneInString(text[i:])
		if i+w > n {
			break
		}
		i += w
	}
	return text[:i]
}

// mask adds the tokens of one match loc of maskRE in chunk s, which
// starts at off in src.
func (tk *tokenizer) mask(off int, s string, loc []int) {
	for k, m := range masks {
		a, b := loc[2+2*k], loc[3+2*k]
		if a < 0 {
			continue
		}
		v := s[a:b]
		switch {
		case m.name == "id" && strings.Trim(v, "0123456789") == "":
			tk.add(off+a, off+b, "n", digitsPattern) // a long hex-looking number
		case m.name == "id" && len(v) < shortID:
			tk.idTokens(off+a, off+b)
		default:
			tk.add(off+a, off+b, m.name, m.pat)
		}
		return
	}
	tk.add(off+loc[0], off+loc[1], "", "")
}

// idTokens splits the short word src[i:j] into letters (literal) and
// digit runs.
func (tk *tokenizer) idTokens(i, j int) {
	for i < j {
		k := i
		digits := isDigit(tk.src[i])
		for k < j && isDigit(tk.src[k]) == digits {
			k++
		}
		if digits {
			tk.add(i, k, "n", digitsPattern)
		} else {
			tk.add(i, k, "", "")
		}
		i = k
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
