package rulebook

import (
	"context"
	"fmt"

	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/store"
)

// Sets builds the live rule set (built-ins plus active and disabled
// operator rules) and the shadow one (the same plus shadow rules; nil when
// there are none). An operator rule that no longer validates or whose
// id@version a newer build of rebond ships as a built-in is left out, and
// reported in warnings: one bad row must not stop every worker.
func (b *Book) Sets(ctx context.Context) (live, shadow *rules.Set, warnings []error, err error) {
	overrides, err := b.st.RuleOverrides(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	return b.sets(overrides)
}

func (b *Book) sets(overrides []store.RuleOverride) (live, shadow *rules.Set, warnings []error, err error) {
	base, withShadow, warnings := b.overlay(overrides)
	if live, err = rules.NewSet(base); err != nil {
		return nil, nil, warnings, fmt.Errorf("build live rules: %w", err)
	}
	if len(withShadow) == len(base) {
		return live, nil, warnings, nil
	}
	if shadow, err = rules.NewSet(withShadow); err != nil {
		return nil, nil, warnings, fmt.Errorf("build shadow rules: %w", err)
	}
	return live, shadow, warnings, nil
}

// overlay returns the rules of the live set and of the shadow set: the
// built-ins and the operator rules that are valid and do not clash with a
// built-in key.
func (b *Book) overlay(overrides []store.RuleOverride) (live, shadow []rules.Rule, warnings []error) {
	keys := make(map[string]bool, len(b.builtin))
	for _, r := range b.builtin {
		keys[r.Key()] = true
	}
	live = append(live, b.builtin...)
	var extra []rules.Rule
	for _, o := range overrides {
		r := o.Rule
		if keys[r.Key()] {
			warnings = append(warnings, fmt.Errorf("operator rule %s is left out: a built-in rule has that id@version", r.Key()))
			continue
		}
		if _, err := rules.NewSet([]rules.Rule{r}); err != nil {
			warnings = append(warnings, fmt.Errorf("operator rule %s is left out: %w", r.Key(), err))
			continue
		}
		keys[r.Key()] = true
		if o.State == store.RuleShadow {
			r.Disabled = false
			extra = append(extra, r)
			continue
		}
		live = append(live, r)
	}
	shadow = append(append([]rules.Rule(nil), live...), extra...)
	return live, shadow, warnings
}
