package rules

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/rebond/rebond/channels"
)

// Set is a validated, compiled collection of rules, ready to classify
// events. It is immutable once built and safe for concurrent use.
type Set struct {
	email, sms channelRules
	byKey      map[string]Rule
}

// channelRules holds one channel's rules.
type channelRules struct {
	all  []Rule      // every rule, every version, in evaluation order
	live []*compiled // what Classify evaluates: the latest enabled versions
}

// Load reads every file of fsys matching pattern (fs.Glob syntax, e.g.
// "rules/*.yaml" over configs.Files), parses each with Parse and builds one
// Set from all of them. A pattern that matches no file is an error: a
// worker without rules would give every event the fallback verdict.
func Load(fsys fs.FS, pattern string) (*Set, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, fmt.Errorf("load rules %q: %w", pattern, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("load rules %q: no file matches", pattern)
	}
	var all []Rule
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("load rules: %w", err)
		}
		rs, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("load rules: %s: %w", name, err)
		}
		all = append(all, rs...)
	}
	s, err := NewSet(all)
	if err != nil {
		return nil, fmt.Errorf("load rules %q: %w", pattern, err)
	}
	return s, nil
}

// NewSet validates rules and builds a Set. It checks every rule (id,
// version, channel, verdict, conditions, patterns) and that each id@version
// appears once; the error lists every problem, each naming its rule and
// field. Of the versions of one id, only the highest is evaluated, and not
// at all when it is disabled.
func NewSet(rules []Rule) (*Set, error) {
	s := &Set{byKey: make(map[string]Rule, len(rules))}
	var errs []error
	latest := make(map[string]int)
	for _, r := range rules {
		r = r.clone()
		if err := validate(r); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := checkText(r); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := s.byKey[r.Key()]; dup {
			errs = append(errs, ruleError(r, "version", "%s is defined twice", r.Key()))
			continue
		}
		s.byKey[r.Key()] = r
		latest[r.ID] = max(latest[r.ID], r.Version)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	n := map[*channelRules]int{}
	for _, r := range s.byKey {
		n[s.of(r.Channel)]++
	}
	for cr, k := range n {
		if cr != nil {
			cr.all = make([]Rule, 0, k)
		}
	}
	for _, r := range s.byKey {
		cr := s.of(r.Channel)
		cr.all = append(cr.all, r)
		if r.Disabled || r.Version != latest[r.ID] {
			continue
		}
		cr.live = append(cr.live, compile(r))
	}
	for _, cr := range []*channelRules{&s.email, &s.sms} {
		cr.all = sortRules(cr.all)
		slices.SortFunc(cr.live, func(a, b *compiled) int { return order(&a.rule, &b.rule, a.spec, b.spec) })
		cr.linkOverriders()
	}
	return s, nil
}

// linkOverriders fills compiled.overriders for the live rules with Yields.
func (cr *channelRules) linkOverriders() {
	for i, c := range cr.live {
		for j := i + 1; j < len(cr.live) && len(c.rule.Yields) > 0; j++ {
			if d := cr.live[j]; d.text.pattern != "" && slices.Contains(c.rule.Yields, d.rule.Verdict.Reason) {
				c.overriders = append(c.overriders, j)
			}
		}
	}
}

// sortRules returns rs in evaluation order (see order). A Rule is large:
// sorting indices, each rule's specificity computed once, and copying each
// rule once costs less than swapping the rules themselves.
func sortRules(rs []Rule) []Rule {
	idx := make([]int, len(rs))
	spec := make([]int, len(rs))
	for i := range rs {
		idx[i], spec[i] = i, specificity(rs[i].Match)
	}
	slices.SortFunc(idx, func(a, b int) int { return order(&rs[a], &rs[b], spec[a], spec[b]) })
	out := make([]Rule, len(rs))
	for i, j := range idx {
		out[i] = rs[j]
	}
	return out
}

// order is the evaluation order: priority descending, then specificity
// descending, then id, then version descending. It is total, so the order
// of rules in files never changes a verdict.
func order(a, b *Rule, specA, specB int) int {
	return cmp.Or(
		cmp.Compare(b.Priority, a.Priority),
		cmp.Compare(specB, specA),
		cmp.Compare(a.ID, b.ID),
		cmp.Compare(b.Version, a.Version),
	)
}

// of returns the rules of channel ch, or nil for an unknown channel.
func (s *Set) of(ch channels.Channel) *channelRules {
	if s == nil {
		return nil
	}
	switch ch {
	case channels.Email:
		return &s.email
	case channels.SMS:
		return &s.sms
	}
	return nil
}

// Rules returns a copy of channel ch's rules in evaluation order, every
// version and disabled rules included (Classify evaluates only the latest
// enabled version of each id). It returns nil for an unknown channel or a
// nil Set.
func (s *Set) Rules(ch channels.Channel) []Rule {
	cr := s.of(ch)
	if cr == nil {
		return nil
	}
	out := make([]Rule, len(cr.all))
	for i, r := range cr.all {
		out[i] = r.clone()
	}
	return out
}

// Rule returns the rule a verdict names ("id@version"), so a past decision
// can be explained even after a newer version replaced that rule.
func (s *Set) Rule(key string) (Rule, bool) {
	if s == nil {
		return Rule{}, false
	}
	r, ok := s.byKey[key]
	return r.clone(), ok
}
