package rulebook

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/store"
)

// catalog is every rule version, built-in and operator, with its state.
type catalog struct {
	entries []Entry
	latest  map[string]int // highest version of each id, any state
}

func (b *Book) catalog(overrides []store.RuleOverride) catalog {
	c := catalog{latest: make(map[string]int)}
	for _, r := range b.builtin {
		c.entries = append(c.entries, Entry{Rule: r, Source: SourceBuiltin, State: store.RuleActive})
	}
	for _, o := range overrides {
		at := o.CreatedAt
		c.entries = append(c.entries, Entry{Rule: o.Rule, Source: SourceOperator, State: o.State, Author: o.Author, CreatedAt: &at})
	}
	liveLatest := make(map[string]int)
	for _, e := range c.entries {
		c.latest[e.Rule.ID] = max(c.latest[e.Rule.ID], e.Rule.Version)
		if e.State != store.RuleShadow {
			liveLatest[e.Rule.ID] = max(liveLatest[e.Rule.ID], e.Rule.Version)
		}
	}
	for i := range c.entries {
		e := &c.entries[i]
		e.Key = e.Rule.Key()
		switch {
		case e.Rule.Version < liveLatest[e.Rule.ID]:
			e.State = StateSuperseded
		case e.State != store.RuleShadow && e.Rule.Disabled:
			e.State = store.RuleDisabled
		}
	}
	slices.SortFunc(c.entries, func(a, b Entry) int {
		if d := strings.Compare(a.Rule.ID, b.Rule.ID); d != 0 {
			return d
		}
		return b.Rule.Version - a.Rule.Version
	})
	return c
}

// current returns the version of id that decides (or would, for an id
// with shadow versions only).
func (c catalog) current(id string) (Entry, bool) {
	var best Entry
	found := false
	for _, e := range c.entries {
		if e.Rule.ID != id || e.State == StateSuperseded {
			continue
		}
		if !found || (best.State == store.RuleShadow && e.State != store.RuleShadow) {
			best, found = e, true
		}
	}
	return best, found
}

// ruleState checks the state asked for a new rule.
func ruleState(r rules.Rule, state string) (string, error) {
	switch {
	case r.Disabled && (state == "" || state == store.RuleDisabled):
		return store.RuleDisabled, nil
	case r.Disabled:
		return "", fmt.Errorf("%w: a disabled rule cannot be %s", ErrInvalid, state)
	case state == "":
		return store.RuleActive, nil
	case state == store.RuleActive || state == store.RuleShadow:
		return state, nil
	}
	return "", fmt.Errorf("%w: state %q is not one of active, shadow", ErrInvalid, state)
}

// nextVersion gives r the next version of its id when it has none (and
// the id's channel when it names none), and refuses a version that is not
// above the id's latest or a channel that is not the id's.
func (c catalog) nextVersion(r rules.Rule) (rules.Rule, error) {
	if strings.TrimSpace(r.ID) == "" {
		return r, fmt.Errorf("%w: rule id: required", ErrInvalid)
	}
	if strings.HasPrefix(r.ID, "fallback.") {
		// Verdicts of "fallback.*" rules mean that no rule recognized the
		// event (Classify's fallback, or the built-in rules for an SMS err
		// code missing from its dialect's table): the qualification queue
		// is made of them.
		return r, fmt.Errorf("%w: rule id %q: the fallback.* ids are reserved", ErrInvalid, r.ID)
	}
	latest := c.latest[r.ID]
	for _, e := range c.entries {
		if e.Rule.ID == r.ID && r.Channel == "" {
			r.Channel = e.Rule.Channel // a new version may leave it out
		}
		if e.Rule.ID == r.ID && e.Rule.Channel != r.Channel {
			return r, fmt.Errorf("%w: rule %q is a %s rule; a new version cannot be %s", ErrInvalid, r.ID, e.Rule.Channel, r.Channel)
		}
	}
	switch {
	case r.Version == 0:
		r.Version = latest + 1
	case r.Version <= latest:
		return r, fmt.Errorf("%w: %s: the latest version of %q is %d; publish version %d (or omit the version)", ErrConflict, r.Key(), r.ID, latest, latest+1)
	}
	return r, nil
}
