package rulebook

import (
	"context"
	"fmt"

	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/store"
)

// Sets builds, for the tenant of ctx (channels.WithTenant), the live rule set (built-ins plus active and disabled
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

// TenantSets are the rule sets of every tenant that has operator rules,
// and the built-in set that classifies the events of every other tenant.
type TenantSets struct {
	Base     *rules.Set
	ByTenant map[string]SetPair
	// baseShadow is a shadow set for every tenant (Classifier.Swap).
	baseShadow *rules.Set
}

// SetPair is one tenant's live set and its shadow set (nil: no shadow
// rules).
type SetPair struct{ Live, Shadow *rules.Set }

// AllSets builds the sets a worker classifies every tenant's events with:
// operator rules apply to the events of the tenant that wrote them only.
func (b *Book) AllSets(ctx context.Context) (TenantSets, []error, error) {
	overrides, err := b.st.AllRuleOverrides(ctx)
	if err != nil {
		return TenantSets{}, nil, err
	}
	base, _, _, err := b.sets(nil)
	if err != nil {
		return TenantSets{}, nil, err
	}
	out := TenantSets{Base: base, ByTenant: map[string]SetPair{}}
	byTenant := map[string][]store.RuleOverride{}
	for _, o := range overrides {
		byTenant[o.Tenant] = append(byTenant[o.Tenant], o)
	}
	var warnings []error
	for t, os := range byTenant {
		live, shadow, w, err := b.sets(os)
		for _, e := range w {
			warnings = append(warnings, fmt.Errorf("tenant %s: %w", t, e))
		}
		if err != nil {
			return TenantSets{}, warnings, fmt.Errorf("tenant %s: %w", t, err)
		}
		out.ByTenant[t] = SetPair{Live: live, Shadow: shadow}
	}
	return out, warnings, nil
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
