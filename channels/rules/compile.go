package rules

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rebond/rebond/channels"
)

// compiled is a rule prepared for the hot path: every pattern normalized
// once, so matching an event compares bytes and allocates nothing.
type compiled struct {
	rule  Rule
	key   string // id@version
	spec  int    // specificity, the second sort key
	types typeMask
	need  fieldMask // event fields the rule's conditions read
	// status holds the prefixes as written and with a trailing dot, so a
	// prefix test never builds a string.
	status    []string
	statusDot []string
	codes     []int
	text      lazyText
	stat      []string // upper case, no spaces
	errs      []string // lower case, no leading zeros
	errRanges []errRange
	anyErr    bool     // Match.Err holds AnyErr
	dialect   string   // lower case; AnyDialect for every dialect
	netErr    []string // lower case
	states    []int
	provider  string
	// overriders are the indexes, in the channel's live rules, of the
	// rules after this one that may override it (see Rule.Yields): a
	// text condition and a verdict reason among its Yields. NewSet fills
	// it once the order is known.
	overriders []int
}

// typeMask is a set of event types as bits.
type typeMask uint8

// fieldMask is a set of event fields. A rule needs every field one of its
// conditions reads, so one AND against the fields an event has skips most
// rules that cannot match (an err rule on a receipt without err, a text
// rule on a reply without text).
type fieldMask uint16

const (
	fStatus fieldMask = 1 << iota
	fCode
	fText
	fStat
	fErr
	fDialect
	fNetErr
	fState
	fProvider
)

// needs returns the fields the conditions of m read.
func needs(m Match) fieldMask {
	var f fieldMask
	for bit, set := range map[fieldMask]bool{
		fStatus: len(m.Status) > 0, fCode: len(m.Codes) > 0, fText: m.Text != "",
		fStat: len(m.Stat) > 0, fErr: len(m.Err) > 0, fDialect: m.Dialect != "",
		fNetErr: len(m.NetworkError) > 0, fState: len(m.MessageState) > 0, fProvider: m.Provider != "",
	} {
		if set {
			f |= bit
		}
	}
	return f
}

// typeBit returns t's bit, 0 for a type the schema does not know.
func typeBit(t channels.Type) typeMask {
	switch t {
	case channels.Sent:
		return 1
	case channels.Delivered:
		return 2
	case channels.Failed:
		return 4
	case channels.Deferred:
		return 8
	case channels.Complaint:
		return 16
	}
	return 0
}

// lazyText is a rule's text expression, compiled with its prefilter on
// first use: a run that never reaches a rule does not pay for it, and a
// command classifying a few mails starts sooner (compiling the email
// rules' expressions was half of building their Set). NewSet has parsed
// the expression already, so compiling it cannot fail.
type lazyText struct {
	pattern string // "(?i)" and the rule's text; "" for no text condition
	once    sync.Once
	re      *regexp.Regexp
	lits    [][]literal // prefilter of re; nil: always run it
}

// neverMatches stands in for an expression that failed to compile after
// it parsed, which regexp does not do; it keeps Classify from panicking.
var neverMatches = regexp.MustCompile(`[^\x00-\x{10FFFF}]`)

// get returns the compiled expression and its prefilter.
func (t *lazyText) get() (*regexp.Regexp, [][]literal) {
	t.once.Do(func() {
		re, err := regexp.Compile(t.pattern)
		if err != nil {
			re = neverMatches
		}
		t.re, t.lits = re, prefilter(t.pattern)
	})
	return t.re, t.lits
}

// compile prepares a validated rule (its text pattern parsed by
// checkText).
func compile(r Rule) *compiled {
	c := &compiled{
		rule: r, key: r.Key(), spec: specificity(r.Match), need: needs(r.Match),
		codes: slices.Clone(r.Match.Codes), states: slices.Clone(r.Match.MessageState),
		dialect: strings.ToLower(r.Match.Dialect), provider: strings.ToLower(r.Match.Provider),
	}
	for _, t := range r.Match.Types {
		c.types |= typeBit(t)
	}
	for _, s := range r.Match.Status {
		c.status = append(c.status, s)
		c.statusDot = append(c.statusDot, s+".")
	}
	if r.Match.Text != "" {
		c.text.pattern = textPattern(r.Match.Text)
	}
	for _, s := range r.Match.Stat {
		c.stat = append(c.stat, normStat(s))
	}
	for _, s := range r.Match.Err {
		if strings.TrimSpace(s) == AnyErr {
			c.anyErr = true
			continue
		}
		if lo, hi, ok := parseErrRange(s); ok {
			c.errRanges = append(c.errRanges, errRange{lo, hi})
			continue
		}
		c.errs = append(c.errs, strings.ToLower(trimZeros(s)))
	}
	for _, s := range r.Match.NetworkError {
		c.netErr = append(c.netErr, strings.ToLower(s))
	}
	return c
}

// specificity ranks rules of equal priority: one point per condition, plus
// the depth of the shortest status prefix beyond the class ("5.1.1" adds 2,
// "5.1" adds 1) and the octets of the shortest network_error prefix beyond
// the type octet. A list is as specific as its most general value.
func specificity(m Match) int {
	n := m.conditions()
	if len(m.Status) > 0 {
		minDepth := 3
		for _, s := range m.Status {
			minDepth = min(minDepth, strings.Count(s, ".")+1)
		}
		n += minDepth - 1
	}
	if len(m.NetworkError) > 0 {
		minLen := 6
		for _, s := range m.NetworkError {
			minLen = min(minLen, len(s))
		}
		n += (minLen+1)/2 - 1
	}
	return n
}

// normStat returns s with ASCII letters upper-cased and without spaces or
// tabs, the form stat patterns are kept in (see equalStat).
func normStat(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
		case 'a' <= c && c <= 'z':
			b = append(b, c-('a'-'A'))
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// trimZeros drops leading zeros, keeping at least one character, so "001"
// and "1" are the same err code.
func trimZeros(s string) string {
	s = strings.TrimSpace(s)
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// equalStat reports whether the receipt's stat v equals the normalized
// pattern p, ignoring case and spaces in v, without allocating.
func equalStat(v, p string) bool {
	j := 0
	for i := 0; i < len(v); i++ {
		b := v[i]
		if b == ' ' || b == '\t' {
			continue
		}
		if 'a' <= b && b <= 'z' {
			b -= 'a' - 'A'
		}
		if j >= len(p) || p[j] != b {
			return false
		}
		j++
	}
	return j == len(p)
}

// hasPrefixFold reports whether s starts with the lower-case prefix p,
// ignoring the case of s.
func hasPrefixFold(s, p string) bool {
	return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
}

// errRange is an inclusive range of decimal err codes, written "lo-hi" in
// Match.Err: a provider's family of ids (Infobip's SS7 transport errors
// 1024-1796) that the table gives one meaning.
type errRange struct{ lo, hi uint64 }

// parseErrRange reads "lo-hi" (decimal, lo <= hi); ok is false for
// anything else, a single code included.
func parseErrRange(s string) (lo, hi uint64, ok bool) {
	a, b, found := strings.Cut(strings.TrimSpace(s), "-")
	if !found {
		return 0, 0, false
	}
	lo, err1 := strconv.ParseUint(a, 10, 32)
	hi, err2 := strconv.ParseUint(b, 10, 32)
	if err1 != nil || err2 != nil || lo > hi {
		return 0, 0, false
	}
	return lo, hi, true
}

// hasErr reports whether the rule has an err condition.
func (c *compiled) hasErr() bool { return len(c.errs) > 0 || len(c.errRanges) > 0 || c.anyErr }

// matchDialect reports whether the receipt's dialect d is the rule's, or
// the rule takes any dialect (d is never empty here: the rule needs it).
func (c *compiled) matchDialect(d string) bool {
	return c.dialect == AnyDialect || strings.EqualFold(d, c.dialect)
}
