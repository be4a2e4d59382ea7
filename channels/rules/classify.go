package rules

import (
	"slices"
	"strconv"
	"strings"

	"github.com/rebond/rebond/channels"
)

const (
	// MaxTextLen is how much of an SMTP diagnostic text rules look at; it
	// bounds the cost of one event on the hot path whatever a remote server
	// wrote. Diagnostics put their substance first.
	MaxTextLen = 8 << 10
	// maxEvidence bounds each value quoted in a verdict's evidence.
	maxEvidence = 120
)

// input is an event's matchable fields, extracted once per Classify call.
type input struct {
	typ      typeMask
	has      fieldMask
	typeName string
	status   string
	code     int
	text     string
	scratch  *scratch // text folded for prefilters, from scratchPool
	textLoc  []int    // where the deciding rule's expression matched
	stat     string
	err      string // without leading zeros
	errRaw   string
	dialect  string
	netErr   string
	state    int
	hasState bool
	provider string
}

func newInput(e channels.Event) input {
	in := input{typ: typeBit(e.Type), typeName: string(e.Type), provider: e.Provider}
	if r := e.SMTP; r != nil {
		in.status, in.code, in.text = strings.TrimSpace(r.Status), r.Code, r.Text
		if len(in.text) > MaxTextLen {
			in.text = in.text[:MaxTextLen]
		}
	}
	if r := e.SMS; r != nil {
		in.stat, in.errRaw, in.dialect, in.netErr = r.Stat, strings.TrimSpace(r.Err), r.Dialect, strings.TrimSpace(r.NetworkError)
		in.err = trimZeros(in.errRaw)
		if r.MessageState != nil {
			in.state, in.hasState = *r.MessageState, true
		}
	}
	in.has = in.fields()
	return in
}

// fields returns the set of fields in holds.
func (in *input) fields() fieldMask {
	var f fieldMask
	for _, x := range [...]struct {
		bit fieldMask
		set bool
	}{
		{fStatus, in.status != ""}, {fCode, in.code != 0}, {fText, in.text != ""},
		{fStat, in.stat != ""}, {fErr, in.err != ""}, {fDialect, in.dialect != ""},
		{fNetErr, in.netErr != ""}, {fState, in.hasState}, {fProvider, in.provider != ""},
	} {
		if x.set {
			f |= x.bit
		}
	}
	return f
}

// Classify returns the verdict of the first rule of e's channel that
// matches e, in evaluation order (see NewSet), or the fallback verdict when
// none does. It never fails and never panics, even on a nil Set; it is safe
// for concurrent use.
//
// The fallback verdict names rule "fallback.<channel>@1": delivered and
// complaint events get the outcome and reason of the same name, sent events
// pending "sent" (email) or "accepted_by_smsc" (sms, a submit_sm_resp), and
// failed, deferred or unknown events soft "undefined": nothing recognized,
// so nothing counts as hard.
//
// An email delay notice is never a failure (see stillQueued): its soft or
// hard verdict, the fallback's included, becomes pending with the same
// rule and reason.
//
// A consent event (opt_out, opt_in, inbound) is no delivery outcome and
// no rule reads it: it gets channels.ConsentVerdict.
func (s *Set) Classify(e channels.Event) (v channels.Verdict) {
	if e.Type.IsConsent() {
		return channels.ConsentVerdict(e)
	}
	defer func() { v = stillQueued(e, v) }()
	if cr := s.of(e.Channel); cr != nil {
		in := newInput(e)
		defer in.release()
		for i, c := range cr.live {
			if !c.matches(&in) {
				continue
			}
			if len(c.overriders) > 0 {
				if v, ok := cr.override(i, &in); ok {
					return v
				}
			}
			return c.verdict(c.evidence(&in))
		}
	}
	return fallback(e)
}

// verdict is c's verdict with the given evidence.
func (c *compiled) verdict(evidence string) channels.Verdict {
	return channels.Verdict{Outcome: c.rule.Verdict.Outcome, Reason: c.rule.Verdict.Reason, Rule: c.key, Evidence: evidence}
}

// override applies Rule.Yields of live[i], which matched in: the first rule
// after it with a text condition that gives one of the yielded reasons and
// matches decides instead. Its evidence ends with what it overrode:
// `text~"mailbox full" over status=5.1.1 (email.status.5.1.1@2)`.
func (cr *channelRules) override(i int, in *input) (channels.Verdict, bool) {
	c := cr.live[i]
	coarse := c.evidence(in) // before the search moves in.textLoc
	if j := cr.overrider(i, in); j >= 0 {
		d := cr.live[j] // its match was the last, so in.textLoc is its own
		return d.verdict(d.evidence(in) + " over " + coarse + " (" + c.key + ")"), true
	}
	return channels.Verdict{}, false
}

// overrider returns the index of the rule that overrides live[i] for in
// (see Rule.Yields), or -1.
func (cr *channelRules) overrider(i int, in *input) int {
	for _, j := range cr.live[i].overriders {
		if cr.live[j].matches(in) {
			return j
		}
	}
	return -1
}

// stillQueued turns the soft or hard verdict of an email delay notice into
// pending, keeping the rule and the reason it found. A deferred email event
// that is not a reply of the SMTP transaction (Sync false) reports that the
// MTA or ESP holding the message will try again by itself: RFC 3464 section
// 2.3.3's "delayed" action ("the reporting MTA has so far been unable to
// deliver or relay the message, but it will continue to attempt to do
// so"), Postfix's "Delayed Mail (still being retried)", an ESP's delay
// webhook. The message is still queued: counting it soft would feed the
// soft threshold, the soft rates and rebond's retry notices with a message
// that may yet be delivered. The reason stays what the notice says (a full
// mailbox, a greylisting refusal), so that the final bounce, if one
// comes, is no surprise. The evidence starts with the event type, which
// decided the outcome. A synchronous deferral (a 4xx reply the sender got
// and posted) stays as the rules say: rebond's retry schedule is what
// tries again then.
func stillQueued(e channels.Event, v channels.Verdict) channels.Verdict {
	if e.Channel != channels.Email || e.Type != channels.Deferred || e.Sync ||
		(v.Outcome != channels.OutcomeSoft && v.Outcome != channels.OutcomeHard) {
		return v
	}
	v.Outcome = channels.OutcomePending
	if !strings.HasPrefix(v.Evidence, "type=") {
		v.Evidence = strings.TrimSpace("type=deferred " + v.Evidence)
	}
	return v
}

// matches reports whether every condition of c holds for in, cheapest
// tests first and the regular expression last.
func (c *compiled) matches(in *input) bool {
	switch {
	case c.need&^in.has != 0,
		c.types != 0 && c.types&in.typ == 0,
		c.provider != "" && !strings.EqualFold(in.provider, c.provider),
		len(c.codes) > 0 && !slices.Contains(c.codes, in.code),
		len(c.status) > 0 && !c.matchStatus(in.status),
		len(c.stat) > 0 && !c.matchStat(in.stat),
		c.dialect != "" && !c.matchDialect(in.dialect),
		c.hasErr() && !c.matchErr(in.err),
		len(c.netErr) > 0 && !c.matchNetErr(in.netErr),
		len(c.states) > 0 && !(in.hasState && slices.Contains(c.states, in.state)),
		c.text.pattern != "" && !c.matchText(in):
		return false
	}
	return true
}

// matchText runs the text expression when its prefilter passes, and keeps
// where it matched for the evidence.
func (c *compiled) matchText(in *input) bool {
	if in.text == "" {
		return false
	}
	re, lits := c.text.get()
	if lits != nil && !in.fold().containsAll(lits) {
		return false
	}
	in.textLoc = re.FindStringIndex(in.text)
	return in.textLoc != nil
}

// fold returns the scratch area holding the folded text, loading it on
// first use.
func (in *input) fold() *scratch {
	if in.scratch == nil {
		in.scratch = scratchPool.Get().(*scratch)
		in.scratch.load(in.text)
	}
	return in.scratch
}

// release returns the scratch area to its pool.
func (in *input) release() {
	if in.scratch != nil {
		scratchPool.Put(in.scratch)
		in.scratch = nil
	}
}

// matchStatus applies the dot-aligned prefix rule: "5.1" matches "5.1"
// and "5.1.7" but not "5.10.1".
func (c *compiled) matchStatus(s string) bool {
	for i, p := range c.status {
		if s == p || strings.HasPrefix(s, c.statusDot[i]) {
			return true
		}
	}
	return false
}

func (c *compiled) matchStat(s string) bool {
	for _, p := range c.stat {
		if equalStat(s, p) {
			return true
		}
	}
	return false
}

// matchErr reports whether the err code s (without leading zeros) is one
// of the rule's; AnyErr takes every code but "0", which SMPP 3.4 Appendix B
// receipts and providers write when there was no error.
func (c *compiled) matchErr(s string) bool {
	if c.anyErr && s != "0" {
		return true
	}
	for _, p := range c.errs {
		if strings.EqualFold(s, p) {
			return true
		}
	}
	if len(c.errRanges) == 0 {
		return false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return false
	}
	for _, r := range c.errRanges {
		if r.lo <= n && n <= r.hi {
			return true
		}
	}
	return false
}

func (c *compiled) matchNetErr(s string) bool {
	for _, p := range c.netErr {
		if hasPrefixFold(s, p) {
			return true
		}
	}
	return false
}

// evidence says which of the event's values the rule matched, condition by
// condition: `code=550 text~"user unknown"`, `stat=UNDELIV err=001 dialect=map`.
func (c *compiled) evidence(in *input) string {
	var b evidenceBuilder
	b.Grow(64)
	b.add(c.types != 0, "type=", in.typeName)
	b.add(len(c.status) > 0, "status=", in.status)
	if len(c.codes) > 0 {
		b.add(true, "code=", strconv.Itoa(in.code))
	}
	if loc := in.textLoc; c.text.pattern != "" && loc != nil {
		b.add(true, "text~", strconv.Quote(clip(in.text[loc[0]:loc[1]], maxEvidence)))
	}
	b.add(len(c.stat) > 0, "stat=", in.stat)
	b.add(c.hasErr(), "err=", in.errRaw)
	b.add(c.dialect != "", "dialect=", in.dialect)
	b.add(len(c.netErr) > 0, "network_error=", in.netErr)
	if len(c.states) > 0 {
		b.add(true, "message_state=", strconv.Itoa(in.state))
	}
	b.add(c.provider != "", "provider=", in.provider)
	return b.String()
}

// evidenceBuilder joins key=value pairs with spaces.
type evidenceBuilder struct{ strings.Builder }

// add appends key and v (clipped to maxEvidence bytes) when on is true.
func (b *evidenceBuilder) add(on bool, key, v string) {
	if !on {
		return
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(key)
	if key != "text~" {
		v = clip(v, maxEvidence)
	}
	b.WriteString(v)
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// fallback is the verdict of an event no rule matched; see Classify.
func fallback(e channels.Event) channels.Verdict {
	v := channels.Verdict{Outcome: channels.OutcomeSoft, Reason: channels.ReasonUndefined}
	switch e.Type {
	case channels.Sent:
		v.Outcome, v.Reason = channels.OutcomePending, "sent"
		if e.Channel == channels.SMS {
			v.Reason = "accepted_by_smsc"
		}
	case channels.Delivered:
		v.Outcome, v.Reason = channels.OutcomeDelivered, channels.ReasonDelivered
	case channels.Complaint:
		v.Outcome, v.Reason = channels.OutcomeComplaint, channels.ReasonComplaint
	}
	switch e.Channel {
	case channels.Email:
		v.Rule = "fallback.email@1"
	case channels.SMS:
		v.Rule = "fallback.sms@1"
	default:
		v.Rule = "fallback.unknown@1"
	}
	v.Evidence = "type=" + clip(string(e.Type), maxEvidence)
	return v
}
