package sms

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/phone"
)

// KeywordList is a list of SMS keywords of one scope (every number, a
// region, a tenant). A keyword is one or more words, matched whatever
// their case and accents ("arrêt", "ARRET" and "Arrêt" are one); a
// trailing "*" makes an opt-out keyword a lead keyword, which also opts
// out when it starts a longer message.
type KeywordList struct {
	// OptOut keywords opt the number out (channels.OptOut).
	OptOut []string `koanf:"opt_out"`
	// OptIn keywords opt it back in (channels.OptIn); never lead
	// keywords: a wrong opt-in sends to someone who asked not to be sent
	// to.
	OptIn []string `koanf:"opt_in"`
	// Ignore names keywords, built-in or configured elsewhere, not read
	// in this scope (a tenant whose customers answer "CANCEL" to an
	// appointment reminder ignores CANCEL).
	Ignore []string `koanf:"ignore"`
}

// KeywordConfig configures the SMS keywords besides the built-in ones
// (builtinKeywords): lists for every number, per region of the number
// and per tenant, and the languages read per region. The zero value is
// the built-in keywords alone.
type KeywordConfig struct {
	// KeywordList applies to every number.
	KeywordList `koanf:",squash"`
	// Languages replaces the built-in languages of a region (ISO 3166-1
	// alpha-2 → en, fr, es, de, it, pt): {US: [es]} reads Spanish
	// keywords from US numbers. English is read for every number.
	Languages map[string][]string `koanf:"languages"`
	// Regions adds and ignores keywords for the numbers of a region.
	Regions map[string]KeywordList `koanf:"regions"`
	// Tenants adds and ignores keywords for one tenant's numbers.
	Tenants map[string]KeywordList `koanf:"tenants"`
}

// Validate names the first key that is wrong.
func (c KeywordConfig) Validate() error {
	_, err := NewKeywords(c)
	return err
}

// Bounds of a configured keyword.
const (
	maxKeywordWords = 8
	maxKeywordLen   = 64
	// maxMessageWords is how many words of a message are read: more than
	// any keyword with the politeness around it, so a longer message can
	// only match a lead keyword.
	maxMessageWords = 64
)

// Keywords reads the SMS keywords of a mobile-originated message: it
// says whether "Stop svp" opts its sender out. Build it with
// NewKeywords; it is immutable and safe for concurrent use.
type Keywords struct {
	builtin   map[string]keywordSet // by language
	languages map[string][]string   // by region: the built-in table with the configured entries
	global    keywordSet
	regions   map[string]keywordSet
	tenants   map[string]keywordSet
	polite    [][]string // folded words of each politeness phrase
}

// keyword is one compiled keyword: its folded words.
type keyword struct {
	words []string
	lead  bool
}

// key is the keyword's folded words, the form ignore lists compare.
func (k keyword) key() string { return strings.Join(k.words, " ") }

// keywordSet is a compiled KeywordList.
type keywordSet struct {
	optOut, optIn []keyword
	ignore        map[string]bool
}

// NewKeywords compiles the built-in keywords and cfg. Errors name the
// key: "regions.FR.opt_in[0]: …".
func NewKeywords(cfg KeywordConfig) (*Keywords, error) {
	k := &Keywords{builtin: map[string]keywordSet{}, languages: maps.Clone(regionLanguages),
		regions: map[string]keywordSet{}, tenants: map[string]keywordSet{}}
	for lang, l := range builtinKeywords {
		s, err := compileList(l)
		if err != nil {
			return nil, fmt.Errorf("built-in %s keywords: %w", lang, err) // a bug of this file
		}
		k.builtin[lang] = s
	}
	var err error
	if k.global, err = compileList(cfg.KeywordList); err != nil {
		return nil, err
	}
	for _, region := range sortedKeys(cfg.Languages) {
		r := strings.ToUpper(region)
		if !validRegion(r) {
			return nil, fmt.Errorf("languages.%s: not an ISO 3166-1 alpha-2 region", region)
		}
		for _, lang := range cfg.Languages[region] {
			if _, ok := builtinKeywords[lang]; !ok {
				return nil, fmt.Errorf("languages.%s: %q is not one of %s", region, lang, strings.Join(sortedKeys(builtinKeywords), ", "))
			}
		}
		k.languages[r] = cfg.Languages[region]
	}
	for _, region := range sortedKeys(cfg.Regions) {
		r := strings.ToUpper(region)
		if !validRegion(r) {
			return nil, fmt.Errorf("regions.%s: not an ISO 3166-1 alpha-2 region", region)
		}
		if k.regions[r], err = compileList(cfg.Regions[region]); err != nil {
			return nil, fmt.Errorf("regions.%s.%w", region, err)
		}
	}
	for _, tenant := range sortedKeys(cfg.Tenants) {
		if !channels.ValidTenant(tenant) {
			return nil, fmt.Errorf("tenants.%s: not a tenant name", tenant)
		}
		if k.tenants[tenant], err = compileList(cfg.Tenants[tenant]); err != nil {
			return nil, fmt.Errorf("tenants.%s.%w", tenant, err)
		}
	}
	for _, p := range politeness {
		ws, _ := splitWords(p, maxKeywordWords)
		k.polite = append(k.polite, folded(ws))
	}
	return k, nil
}

func validRegion(r string) bool { return len(r) == 2 && phone.ValidRegion(r) }

func sortedKeys[V any](m map[string]V) []string {
	out := slices.Collect(maps.Keys(m))
	sort.Strings(out)
	return out
}

// compileList compiles one scope's lists. A keyword in both opt_out and
// opt_in, or in a list and in ignore, is refused: which would it be?
func compileList(l KeywordList) (keywordSet, error) {
	s := keywordSet{ignore: map[string]bool{}}
	seen := map[string]string{}
	for _, f := range []struct {
		name string
		in   []string
		out  *[]keyword
	}{{"opt_out", l.OptOut, &s.optOut}, {"opt_in", l.OptIn, &s.optIn}, {"ignore", l.Ignore, nil}} {
		for i, raw := range f.in {
			kw, err := parseKeyword(raw)
			if err != nil {
				return keywordSet{}, fmt.Errorf("%s[%d]: %w", f.name, i, err)
			}
			if kw.lead && f.name == "opt_in" {
				return keywordSet{}, fmt.Errorf("%s[%d]: %q: opt-in keywords match whole messages only (no \"*\")", f.name, i, raw)
			}
			if prev, ok := seen[kw.key()]; ok && prev != f.name {
				return keywordSet{}, fmt.Errorf("%s[%d]: %q is also in %s", f.name, i, raw, prev)
			}
			seen[kw.key()] = f.name
			if f.out == nil {
				s.ignore[kw.key()] = true
			} else {
				*f.out = append(*f.out, kw)
			}
		}
	}
	return s, nil
}

// parseKeyword reads "STOP", "opt out", "STOP*".
func parseKeyword(s string) (keyword, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxKeywordLen {
		return keyword{}, fmt.Errorf("%q: longer than %d bytes", s[:maxKeywordLen], maxKeywordLen)
	}
	body, lead := strings.CutSuffix(s, "*")
	ws, more := splitWords(body, maxKeywordWords)
	switch {
	case len(ws) == 0:
		return keyword{}, fmt.Errorf("%q: no word", s)
	case more:
		return keyword{}, fmt.Errorf("%q: more than %d words", s, maxKeywordWords)
	}
	return keyword{words: folded(ws), lead: lead}, nil
}

func folded(ws []word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.folded
	}
	return out
}

// KeywordMatch is what a message says: channels.OptOut, channels.OptIn,
// or channels.Inbound (no keyword), and for the first two the words that
// matched, upper-cased as received ("ARRÊT").
type KeywordMatch struct {
	Type    channels.Type
	Keyword string
}

// Match reads text, a message from a number of region (its ISO 3166-1
// alpha-2 region, "" when unknown) to tenant. Punctuation, emoji and the
// politeness words at either end ("Stop svp", "STOP!", "please stop")
// are set aside; the rest must then be a keyword, or start with a lead
// keyword. So "don't stop sending", "cancel my appointment" and "Stop by
// the shop" read in Spanish ("stop" is not Spanish) are no opt-out;
// "STOP sending me these" is. The keywords read are the tenant's, then
// the region's, then those of every number, then the built-in ones of
// English and of the region's languages; a keyword any of the tenant's,
// region's or global ignore lists names is skipped.
func (k *Keywords) Match(tenant, region, text string) KeywordMatch {
	if len(text) > MaxTextLen {
		text = text[:MaxTextLen]
	}
	ws, more := splitWords(text, maxMessageWords)
	ws = k.trimPolite(ws, !more)
	inbound := KeywordMatch{Type: channels.Inbound}
	if len(ws) == 0 {
		return inbound
	}
	if tenant == "" {
		tenant = channels.DefaultTenant
	}
	sets := k.sets(tenant, strings.ToUpper(region))
	ignored := func(kw keyword) bool {
		for _, s := range sets[:3] {
			if s.ignore[kw.key()] {
				return true
			}
		}
		return false
	}
	if !more {
		for _, s := range sets {
			for _, l := range []struct {
				typ channels.Type
				kws []keyword
			}{{channels.OptOut, s.optOut}, {channels.OptIn, s.optIn}} {
				for _, kw := range l.kws {
					if wordsEqual(ws, kw.words) && !ignored(kw) {
						return KeywordMatch{Type: l.typ, Keyword: matched(ws)}
					}
				}
			}
		}
	}
	for _, s := range sets {
		for _, kw := range s.optOut {
			if kw.lead && len(ws) > len(kw.words) && wordsEqual(ws[:len(kw.words)], kw.words) && !ignored(kw) {
				return KeywordMatch{Type: channels.OptOut, Keyword: matched(ws[:len(kw.words)])}
			}
		}
	}
	return inbound
}

// sets are the keyword sets read for tenant and region, in order: the
// tenant's, the region's, the global one (these three always, empty
// when not configured), then the built-in ones of English and of the
// region's languages.
func (k *Keywords) sets(tenant, region string) []keywordSet {
	sets := []keywordSet{k.tenants[tenant], k.regions[region], k.global, k.builtin["en"]}
	for _, lang := range k.languages[region] {
		if lang != "en" {
			sets = append(sets, k.builtin[lang])
		}
	}
	return sets
}

// trimPolite drops the politeness phrases at the start of ws, and at its
// end when ws is the whole message.
func (k *Keywords) trimPolite(ws []word, whole bool) []word {
	for trimmed := true; trimmed && len(ws) > 0; {
		trimmed = false
		for _, p := range k.polite {
			if len(ws) >= len(p) && wordsEqual(ws[:len(p)], p) {
				ws, trimmed = ws[len(p):], true
			}
			if whole && len(ws) >= len(p) && wordsEqual(ws[len(ws)-len(p):], p) {
				ws, trimmed = ws[:len(ws)-len(p)], true
			}
		}
	}
	return ws
}

func wordsEqual(ws []word, folded []string) bool {
	if len(ws) != len(folded) {
		return false
	}
	for i, w := range ws {
		if w.folded != folded[i] {
			return false
		}
	}
	return true
}

// matched is the keyword as the event records it: the words as
// received, upper-cased, one space apart (channels.Consent.Keyword).
func matched(ws []word) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = strings.ToUpper(w.text)
	}
	s := strings.Join(parts, " ")
	if len(s) > channels.MaxIDLen {
		s = clipUTF8(s, channels.MaxIDLen)
	}
	return s
}
