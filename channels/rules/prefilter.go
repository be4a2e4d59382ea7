package rules

import (
	"bytes"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
)

// Go's regexp runs an unanchored alternation at roughly 100 ns per byte of
// text, tens of microseconds on a typical diagnostic: too slow to try every
// text rule on every failure. So NewSet derives from each expression a set
// of literals, one of which every match must contain, and Classify runs the
// expression only when the case-folded text contains one of them. The
// prefilter only skips expressions that cannot match; the verdict is the one
// the expression alone would give.

// Bounds of a prefilter: a concatenation stops multiplying at maxProduct
// literals, and an expression needing more than maxLiterals runs always.
const (
	maxProduct  = 64
	maxLiterals = 128
)

// literal is one prefilter literal with the trigram hashes it contains.
type literal struct {
	text  []byte
	grams []uint16
}

// prefilter returns the lower-case ASCII literals one of which every match
// of pattern contains, or nil when it finds no such set.
func prefilter(pattern string) []literal {
	re, err := syntax.Parse(pattern, syntax.Perl|syntax.FoldCase)
	if err != nil {
		return nil
	}
	ls, ok := required(re.Simplify())
	if !ok || ls.shortest() == 0 {
		return nil
	}
	var out []literal
	for _, l := range minimal(ls.lits) {
		lit := literal{text: []byte(l)}
		for i := 0; i+2 < len(l); i++ {
			lit.grams = append(lit.grams, gram(l[i], l[i+1], l[i+2]))
		}
		out = append(out, lit)
	}
	return out
}

// minimal drops the literals that contain another one: a text containing
// "exceeded the " contains "exceeded " too, so testing the latter is enough.
func minimal(lits []string) []string {
	var out []string
	for i, l := range lits {
		redundant := false
		for j, m := range lits {
			if i != j && strings.Contains(l, m) && (len(m) < len(l) || j < i) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, l)
		}
	}
	return out
}

// litSet is a set of literals one of which every match contains. When exact
// is true, every match is one of them, so sets can be multiplied across a
// concatenation: "message (size )?too big" gives two long literals instead
// of the short "message ".
type litSet struct {
	lits  []string
	exact bool
}

func (ls litSet) shortest() int {
	return len(slices.MinFunc(ls.lits, func(a, b string) int { return len(a) - len(b) }))
}

// required returns the literal set of re, and false when there is none
// worth testing (a class, a star, a non-ASCII literal...).
func required(re *syntax.Regexp) (litSet, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r >= 0x80 {
				return litSet{}, false
			}
		}
		return litSet{[]string{strings.ToLower(string(re.Rune))}, true}, true
	case syntax.OpEmptyMatch, syntax.OpWordBoundary, syntax.OpNoWordBoundary,
		syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		return litSet{[]string{""}, true}, true // zero width: adds nothing
	case syntax.OpCapture:
		return required(re.Sub[0])
	case syntax.OpPlus:
		ls, ok := required(re.Sub[0])
		ls.exact = false
		return ls, ok
	case syntax.OpQuest:
		ls, ok := required(re.Sub[0])
		if !ok || !ls.exact {
			return litSet{}, false
		}
		return litSet{append(slices.Clone(ls.lits), ""), true}, true
	case syntax.OpAlternate:
		return union(re.Sub)
	case syntax.OpConcat:
		return concat(re.Sub)
	}
	return litSet{}, false
}

// union is the literal set of an alternation: every branch must have one.
func union(subs []*syntax.Regexp) (litSet, bool) {
	all := litSet{exact: true}
	for _, sub := range subs {
		ls, ok := required(sub)
		if !ok {
			return litSet{}, false
		}
		all.lits = append(all.lits, ls.lits...)
		all.exact = all.exact && ls.exact
	}
	return all, len(all.lits) <= maxLiterals
}

// concat multiplies runs of exact parts and returns the best set found: the
// whole product when every part is exact, else the set whose shortest
// literal is longest, the most selective test.
func concat(subs []*syntax.Regexp) (litSet, bool) {
	var best litSet
	consider := func(ls litSet) {
		if len(ls.lits) > 0 && len(ls.lits) <= maxLiterals && ls.shortest() > shortestOr0(best) {
			best = litSet{lits: ls.lits}
		}
	}
	empty := litSet{[]string{""}, true}
	run, whole := empty, true
	for _, sub := range subs {
		ls, ok := required(sub)
		if ok && ls.exact && len(run.lits)*len(ls.lits) <= maxProduct {
			run.lits = product(run.lits, ls.lits)
			continue
		}
		consider(run)
		run, whole = empty, false
		switch {
		case ok && ls.exact:
			run = ls
		case ok:
			consider(ls)
		}
	}
	if whole {
		return run, true
	}
	consider(run)
	return best, best.lits != nil
}

func shortestOr0(ls litSet) int {
	if ls.lits == nil {
		return 0
	}
	return ls.shortest()
}

// product returns every a+b.
func product(as, bs []string) []string {
	out := make([]string, 0, len(as)*len(bs))
	for _, a := range as {
		for _, b := range bs {
			out = append(out, a+b)
		}
	}
	return out
}

// scratch is the per-call work area of text rules: the case-folded text and
// the set of its trigrams, which rejects most literals with a few bit tests
// before any substring search.
type scratch struct {
	folded []byte
	grams  [1 << gramBits / 64]uint64
}

const gramBits = 12

// gram hashes three bytes to gramBits bits.
func gram(a, b, c byte) uint16 {
	return uint16((uint32(a)<<16 | uint32(b)<<8 | uint32(c)) * 2654435761 >> (32 - gramBits))
}

// scratchPool recycles scratch areas across calls.
var scratchPool = sync.Pool{New: func() any {
	return &scratch{folded: make([]byte, 0, MaxTextLen)}
}}

// load case-folds text into sc and indexes its trigrams.
func (sc *scratch) load(text string) {
	sc.folded = appendFold(sc.folded[:0], text)
	clear(sc.grams[:])
	f := sc.folded
	for i := 0; i+2 < len(f); i++ {
		g := gram(f[i], f[i+1], f[i+2])
		sc.grams[g/64] |= 1 << (g % 64)
	}
}

// containsAny reports whether the loaded text contains one of lits.
func (sc *scratch) containsAny(lits []literal) bool {
	for _, l := range lits {
		if sc.hasGrams(l.grams) && bytes.Contains(sc.folded, l.text) {
			return true
		}
	}
	return false
}

func (sc *scratch) hasGrams(gs []uint16) bool {
	for _, g := range gs {
		if sc.grams[g/64]&(1<<(g%64)) == 0 {
			return false
		}
	}
	return true
}

// appendFold appends s to dst with ASCII letters lower-cased and the two
// non-ASCII runes that case-fold to ASCII letters (U+017F ſ to s, U+212A
// Kelvin sign to k) replaced by them, so an ASCII literal is contained in
// the result whenever (?i) could match it in s. The result is never longer
// than s.
func appendFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case 'A' <= b && b <= 'Z':
			b += 'a' - 'A'
		case b == 0xC5 && i+1 < len(s) && s[i+1] == 0xBF:
			b, i = 's', i+1
		case b == 0xE2 && i+2 < len(s) && s[i+1] == 0x84 && s[i+2] == 0xAA:
			b, i = 'k', i+2
		}
		dst = append(dst, b)
	}
	return dst
}
