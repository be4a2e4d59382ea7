package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rebond/rebond/channels"
)

// Trace is how a Set decided one event: every rule Classify evaluated, in
// evaluation order, up to and including the one that decided.
type Trace struct {
	// Verdict is what Classify returns for the event.
	Verdict channels.Verdict `json:"verdict"`
	// Steps are the rules evaluated, in order; only the last one can have
	// matched.
	Steps []Step `json:"steps"`
	// Fallback is true when no rule matched and the fallback verdict applied.
	Fallback bool `json:"fallback"`
	// NotReached counts the rules of the channel after the deciding one:
	// Classify never evaluated them. When a rule's Yields passed the
	// decision to a later rule, the steps list both and every rule between.
	NotReached int `json:"not_reached"`
}

// Step is one rule evaluated for an event.
type Step struct {
	// Rule is the rule's "id@version".
	Rule     string `json:"rule"`
	Priority int    `json:"priority"`
	// Matched is true for the rule that decided.
	Matched bool `json:"matched"`
	// Failed names the first condition that did not hold, as the rule
	// file spells it ("status", "text", "types"...); empty when Matched.
	Failed string `json:"failed,omitempty"`
	// Detail says what the event had against what the condition wanted.
	Detail string `json:"detail,omitempty"`
}

// Explain returns the decision trace of e: the verdict Classify gives it,
// and for every rule evaluated before the deciding one the first condition
// that failed. It evaluates exactly as Classify does (the same compiled
// rules and order), so the verdicts agree; it is slower and allocates, and
// is meant for operators, not the hot path.
func (s *Set) Explain(e channels.Event) (tr Trace) {
	if e.Type.IsConsent() {
		return Trace{Verdict: channels.ConsentVerdict(e), Steps: []Step{}} // as Classify: no rule reads a consent
	}
	defer func() { tr.Verdict = stillQueued(e, tr.Verdict) }() // as Classify
	cr := s.of(e.Channel)
	if cr == nil {
		return Trace{Verdict: fallback(e), Fallback: true, Steps: []Step{}}
	}
	in := newInput(e)
	defer in.release()
	t := Trace{Steps: make([]Step, 0, len(cr.live))}
	for i, c := range cr.live {
		st := Step{Rule: c.key, Priority: c.rule.Priority}
		if c.matches(&in) {
			if len(c.overriders) > 0 {
				if v, ok := cr.override(i, &in); ok {
					t.Verdict = v
					return cr.explainOverride(t, i, &in)
				}
			}
			st.Matched = true
			t.Steps = append(t.Steps, st)
			t.Verdict = c.verdict(c.evidence(&in))
			t.NotReached = len(cr.live) - i - 1
			return t
		}
		st.Failed, st.Detail = c.failure(&in)
		t.Steps = append(t.Steps, st)
	}
	t.Verdict, t.Fallback = fallback(e), true
	return t
}

// failure names the first condition of c that in fails, in the order
// matches tests them, and says why.
func (c *compiled) failure(in *input) (string, string) {
	if missing := c.need &^ in.has; missing != 0 {
		f := fieldName(missing)
		return f, "the event has no " + f
	}
	m := c.rule.Match
	switch {
	case c.types != 0 && c.types&in.typ == 0:
		return "types", fmt.Sprintf("type %q is not one of %s", in.typeName, joinAny(m.Types))
	case c.provider != "" && !strings.EqualFold(in.provider, c.provider):
		return "provider", fmt.Sprintf("provider %q is not %q", in.provider, m.Provider)
	case len(c.codes) > 0 && !slices.Contains(c.codes, in.code):
		return "codes", fmt.Sprintf("code %d is not one of %s", in.code, joinAny(m.Codes))
	case len(c.status) > 0 && !c.matchStatus(in.status):
		return "status", fmt.Sprintf("status %q has none of the prefixes %s", in.status, joinAny(m.Status))
	case len(c.stat) > 0 && !c.matchStat(in.stat):
		return "stat", fmt.Sprintf("stat %q is not one of %s", in.stat, joinAny(m.Stat))
	case c.dialect != "" && !c.matchDialect(in.dialect):
		return "dialect", fmt.Sprintf("dialect %q is not %q", in.dialect, m.Dialect)
	case c.hasErr() && !c.matchErr(in.err):
		return "err", fmt.Sprintf("err %q is not one of %s", in.errRaw, joinAny(m.Err))
	case len(c.netErr) > 0 && !c.matchNetErr(in.netErr):
		return "network_error", fmt.Sprintf("network_error %q has none of the prefixes %s", in.netErr, joinAny(m.NetworkError))
	case len(c.states) > 0 && !(in.hasState && slices.Contains(c.states, in.state)):
		return "message_state", fmt.Sprintf("message_state %d is not one of %s", in.state, joinAny(m.MessageState))
	case c.text.pattern != "":
		return "text", fmt.Sprintf("text %s does not match /%s/i", strconv.Quote(clip(in.text, maxEvidence)), m.Text)
	}
	return "", "" // unreachable while failure and matches test the same conditions
}

// fieldNames spells the fields of a fieldMask as rule files do.
var fieldNames = []struct {
	bit  fieldMask
	name string
}{
	{fStatus, "status"}, {fCode, "codes"}, {fText, "text"}, {fStat, "stat"}, {fErr, "err"},
	{fDialect, "dialect"}, {fNetErr, "network_error"}, {fState, "message_state"}, {fProvider, "provider"},
}

// fieldName names the first field set in f.
func fieldName(f fieldMask) string {
	for _, n := range fieldNames {
		if f&n.bit != 0 {
			return n.name
		}
	}
	return "field"
}

// joinAny formats a condition's list as [a, b].
func joinAny[T any](vs []T) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprint(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// explainOverride ends trace t when live[i] matched and a later rule
// overrode it (Rule.Yields): the overridden rule's step, then every rule up
// to the overriding one, which matched.
func (cr *channelRules) explainOverride(t Trace, i int, in *input) Trace {
	c, j := cr.live[i], cr.overrider(i, in)
	yields := joinAny(c.rule.Yields)
	t.Steps = append(t.Steps, Step{Rule: c.key, Priority: c.rule.Priority, Failed: "yields",
		Detail: "matched, but the text gives " + string(t.Verdict.Reason) + ", one of " + yields + " (" + t.Verdict.Rule + ")"})
	for _, d := range cr.live[i+1 : j] {
		st := Step{Rule: d.key, Priority: d.rule.Priority, Failed: "yields",
			Detail: "not a text rule giving one of " + yields + ", which " + c.key + " yields to"}
		if d.text.pattern != "" && slices.Contains(c.rule.Yields, d.rule.Verdict.Reason) {
			st.Failed, st.Detail = d.failure(in)
		}
		t.Steps = append(t.Steps, st)
	}
	t.Steps = append(t.Steps, Step{Rule: cr.live[j].key, Priority: cr.live[j].rule.Priority, Matched: true})
	t.NotReached = len(cr.live) - j - 1
	return t
}
