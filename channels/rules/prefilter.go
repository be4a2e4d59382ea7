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
// text rule on every failure. So each expression gets groups of literals
// such that every match contains a literal of each group, and Classify runs
// the expression only when the case-folded text does. The prefilter only
// skips expressions that cannot match; the verdict is the one the
// expression alone would give.

// Bounds of a prefilter: a concatenation stops multiplying at maxProduct
// literals, a group needing more than maxLiterals is dropped, and at most
// maxGroups groups are kept (the most selective).
const (
	maxProduct  = 64
	maxLiterals = 128
	maxGroups   = 4
)

// literal is one prefilter literal with the trigram hashes it contains.
type literal struct {
	text  []byte
	grams []uint16
}

// prefilter returns groups of lower-case ASCII literals such that every
// match of pattern contains a literal of each group (an AND of ORs), most
// selective group first, or nil when it finds none worth testing. Several
// groups make the test sharper: "\b(spf|dkim|dmarc)\b.{0,40}\bfail" needs
// one of spf, dkim, dmarc and also "fail", where "fail" alone is common.
func prefilter(pattern string) [][]literal {
	re, err := syntax.Parse(pattern, syntax.Perl|syntax.FoldCase)
	if err != nil {
		return nil
	}
	c, ok := required(re.Simplify())
	if !ok {
		return nil
	}
	var out [][]literal
	for _, g := range c.groups {
		if len(g) == 0 || shortest(g) == 0 {
			continue // holds for every text
		}
		var group []literal
		for _, l := range minimal(g) {
			lit := literal{text: []byte(l)}
			for i := 0; i+2 < len(l); i++ {
				lit.grams = append(lit.grams, gram(l[i], l[i+1], l[i+2]))
			}
			group = append(group, lit)
		}
		out = append(out, group)
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

// cnf is what an expression requires of a text: for each group, one of its
// literals is in every match. When exact is true there is one group and
// every match is one of its literals, so it can be multiplied across a
// concatenation: "message (size )?too big" gives two long literals instead
// of the short "message ".
type cnf struct {
	groups [][]string
	exact  bool
}

// exactly is the exact requirement of lits.
func exactly(lits ...string) cnf { return cnf{[][]string{lits}, true} }

// shortest is the length of the shortest literal of g.
func shortest(g []string) int {
	return len(slices.MinFunc(g, func(a, b string) int { return len(a) - len(b) }))
}

// required returns what re requires, and false when it requires nothing
// worth testing (a class, a star, a non-ASCII literal...).
func required(re *syntax.Regexp) (cnf, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r >= 0x80 {
				return cnf{}, false
			}
		}
		return exactly(strings.ToLower(string(re.Rune))), true
	case syntax.OpEmptyMatch, syntax.OpWordBoundary, syntax.OpNoWordBoundary,
		syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		return exactly(""), true // zero width: adds nothing
	case syntax.OpCharClass:
		return class(re.Rune)
	case syntax.OpCapture:
		return required(re.Sub[0])
	case syntax.OpPlus:
		c, ok := required(re.Sub[0])
		c.exact = false
		return c, ok
	case syntax.OpQuest:
		c, ok := required(re.Sub[0])
		if !ok || !c.exact {
			return cnf{}, false
		}
		return exactly(append(slices.Clone(c.groups[0]), "")...), true
	case syntax.OpAlternate:
		return union(re.Sub)
	case syntax.OpConcat:
		return concat(re.Sub)
	}
	return cnf{}, false
}

// maxClass bounds the characters of a class read as literals.
const maxClass = 10

// class is the requirement of a character class of at most maxClass
// characters once case-folded: one literal per character, so the class
// joins the run around it. "\bib(50[468]|607)\b" gives "ib504", "ib506",
// "ib508" and "ib607" instead of the common "ib". Folded text holds ASCII
// letters in lower case and ſ and the Kelvin sign as s and k (appendFold);
// any other non-ASCII character requires nothing.
func class(ranges []rune) (cnf, bool) {
	var lits []string
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i+1]-ranges[i] >= maxClass {
			return cnf{}, false
		}
		for r := ranges[i]; r <= ranges[i+1]; r++ {
			c := r
			switch {
			case r == 0x17F:
				c = 's'
			case r == 0x212A:
				c = 'k'
			case r >= 0x80:
				return cnf{}, false
			}
			if l := strings.ToLower(string(c)); !slices.Contains(lits, l) {
				lits = append(lits, l)
			}
			if len(lits) > maxClass {
				return cnf{}, false
			}
		}
	}
	if len(lits) == 0 {
		return cnf{}, false
	}
	return exactly(lits...), true
}

// union is the requirement of an alternation: every branch must require
// something. A match comes from one branch, so each group of the result
// joins one group of every branch (distributing the AND over the OR);
// beyond maxGroups combinations, each branch keeps its best group only.
func union(subs []*syntax.Regexp) (cnf, bool) {
	branches := make([]cnf, 0, len(subs))
	exact, combos := true, 1
	for _, sub := range subs {
		c, ok := required(sub)
		if !ok {
			return cnf{}, false
		}
		branches = append(branches, c)
		exact = exact && c.exact
		combos *= len(c.groups)
		if combos > maxGroups {
			combos = maxGroups + 1 // stays over the bound
		}
	}
	groups := [][]string{nil}
	for _, b := range branches {
		bg := b.groups
		if combos > maxGroups {
			bg = bg[:1] // groups are kept best first
		}
		var next [][]string
		for _, g := range groups {
			for _, h := range bg {
				next = append(next, append(slices.Clone(g), h...))
			}
		}
		groups = next
	}
	groups = slices.DeleteFunc(groups, func(g []string) bool { return len(g) > maxLiterals })
	if len(groups) == 0 {
		return cnf{}, false
	}
	slices.SortStableFunc(groups, bySelectivity)
	return cnf{groups, exact && len(groups) == 1}, true
}

// concat multiplies runs of exact parts and requires every group found: the
// whole product when every part is exact, else each run's product and each
// inexact part's groups, the most selective (longest shortest literal)
// first, at most maxGroups of them.
func concat(subs []*syntax.Regexp) (cnf, bool) {
	var groups [][]string
	keep := func(g []string) {
		if len(g) > 0 && len(g) <= maxLiterals && shortest(g) > 0 {
			groups = append(groups, g)
		}
	}
	empty := []string{""}
	run, whole := empty, true
	for _, sub := range subs {
		c, ok := required(sub)
		if ok && c.exact && len(run)*len(c.groups[0]) <= maxProduct {
			run = product(run, c.groups[0])
			continue
		}
		keep(run)
		run, whole = empty, false
		switch {
		case ok && c.exact:
			run = c.groups[0]
		case ok:
			for _, g := range c.groups {
				keep(g)
			}
		}
	}
	if whole {
		return exactly(run...), true
	}
	keep(run)
	if len(groups) == 0 {
		return cnf{}, false
	}
	slices.SortStableFunc(groups, bySelectivity)
	return cnf{groups[:min(len(groups), maxGroups)], false}, true
}

// bySelectivity orders groups best first: the longer a group's shortest
// literal, the fewer texts contain one of its literals.
func bySelectivity(a, b []string) int { return shortest(b) - shortest(a) }

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

// containsAll reports whether the loaded text contains a literal of every
// group.
func (sc *scratch) containsAll(groups [][]literal) bool {
	for _, g := range groups {
		if !sc.containsAny(g) {
			return false
		}
	}
	return true
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
