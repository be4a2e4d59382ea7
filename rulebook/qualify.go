package rulebook

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/store"
)

// States of a qualification group.
const (
	QualifyOpen = "open"
	QualifyAll  = "all"
)

// maxExamples is how many event ids a group lists.
const maxExamples = 5

// KeepPriority is the default priority of a rule kept from the queue: the
// tier of high-confidence diagnostic texts of configs/rules/email.yaml. The
// group's events matched no rule at all, so any priority decides them; this
// one decides which rule wins on later events that some other rule matches
// too.
const KeepPriority = 200

// KeepErrPriority is the default priority of a rule kept from an SMS group
// with an err code: the err tier of configs/rules/sms-dialects.yaml (450),
// above the fallback.sms.err rules that sent the group's receipts to the
// queue (340, 440 with a message_state TLV, 480 for a provider's code),
// so the kept meaning of the code wins over "unknown"; below the provider
// codes (500) and the provider statuses that settle (520).
const KeepErrPriority = 450

// Group is a group of the qualification queue: failures of one channel no
// rule recognized (their verdict came from a fallback.* rule: Classify's
// fallback, or an SMS err code missing from its dialect's table), with the
// same masked diagnostic.
type Group struct {
	ID      string           `json:"id"`
	Channel channels.Channel `json:"channel"`
	// Text is the masked diagnostic (Normalize); for an email failure
	// without text, or an SMS receipt, the fields a rule would match: the
	// stat, and the err code with its dialect ("stat=UNDELIV err=099
	// dialect=map").
	Text  string `json:"text"`
	Count int    `json:"count"`
	// Unverified counts the group's events that were unverified bounce
	// mail (channels.Event.Unverified): a diagnostic only forged mail
	// carries is no reason for a rule.
	Unverified int       `json:"unverified"`
	Examples   []string  `json:"examples"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	// State is open, kept or ignored; Rule is the rule a kept group became.
	State string `json:"state"`
	Rule  string `json:"rule,omitempty"`
	// Sample is the latest diagnostic of the group as written.
	Sample string `json:"sample,omitempty"`
	// match is what a kept rule matches, from the latest event.
	match rules.Match
}

// QualifyQuery selects groups. Zero fields: both channels, open groups,
// the Book's window.
type QualifyQuery struct {
	Channel channels.Channel
	// State is open, kept, ignored or all.
	State string
	Since time.Time
}

// Qualification returns the groups of the queue, largest first.
func (b *Book) Qualification(ctx context.Context, q QualifyQuery) ([]Group, error) {
	if q.Channel != "" && !q.Channel.Valid() {
		return nil, fmt.Errorf("%w: channel %q is not one of email, sms", ErrInvalid, q.Channel)
	}
	switch q.State {
	case "":
		q.State = QualifyOpen
	case QualifyOpen, QualifyAll, store.QualifyKept, store.QualifyIgnored:
	default:
		return nil, fmt.Errorf("%w: state %q is not one of open, kept, ignored, all", ErrInvalid, q.State)
	}
	groups, err := b.groups(ctx, q.Channel, q.Since)
	if err != nil {
		return nil, err
	}
	out := []Group{}
	for _, g := range groups {
		if q.State == QualifyAll || g.State == q.State {
			out = append(out, g)
		}
	}
	return out, nil
}

// groups reads the fallback events and decisions and groups them.
func (b *Book) groups(ctx context.Context, ch channels.Channel, since time.Time) ([]Group, error) {
	if since.IsZero() {
		since = b.cfg.Now().Add(-b.cfg.QualifyWindow)
	}
	events, err := b.st.FallbackEvents(ctx, ch, since, b.cfg.QualifyScan)
	if err != nil {
		return nil, err
	}
	decisions, err := b.st.QualificationDecisions(ctx, ch)
	if err != nil {
		return nil, err
	}
	return Groups(events, decisions), nil
}

// Groups groups fallback events (newest first, as store.FallbackEvents
// returns them) by channel and masked text, with the decisions taken on
// them, largest group first. Events with nothing to match on are left out.
func Groups(events []store.FallbackEvent, decisions []store.QualificationDecision) []Group {
	byID := make(map[string]*Group)
	var order []*Group
	for _, e := range events {
		text, m, ok := signature(e)
		if !ok {
			continue
		}
		id := GroupID(e.Channel, text)
		g := byID[id]
		if g == nil {
			g = &Group{ID: id, Channel: e.Channel, Text: text, Examples: []string{}, State: QualifyOpen,
				FirstSeen: e.OccurredAt, LastSeen: e.OccurredAt, Sample: e.Text, match: m}
			byID[id] = g
			order = append(order, g)
		}
		g.Count++
		if e.Unverified {
			g.Unverified++
		}
		if len(g.Examples) < maxExamples {
			g.Examples = append(g.Examples, e.ID)
		}
		if e.OccurredAt.Before(g.FirstSeen) {
			g.FirstSeen = e.OccurredAt
		}
		if e.OccurredAt.After(g.LastSeen) {
			g.LastSeen, g.Sample, g.match = e.OccurredAt, e.Text, m
		}
	}
	for _, d := range decisions {
		if g := byID[d.GroupID]; g != nil {
			g.State, g.Rule = d.State, d.Rule
		}
	}
	out := make([]Group, len(order))
	for i, g := range order {
		out[i] = *g
	}
	slices.SortStableFunc(out, func(a, b Group) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), b.LastSeen.Compare(a.LastSeen), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// signature returns the text an event is grouped by and the match of the
// rule that would recognize it: the masked diagnostic for email; the
// status and reply code of an email failure without text; the stat, err
// and dialect of an SMS receipt (codes, never masked; an err code counts
// only with its dialect, the table that gives it a meaning).
func signature(e store.FallbackEvent) (string, rules.Match, bool) {
	types := []channels.Type{channels.Failed, channels.Deferred}
	if e.Channel == channels.SMS {
		stat, code := strings.TrimSpace(e.Stat), strings.TrimSpace(e.Err)
		if e.Dialect == "" {
			code = ""
		}
		if stat == "" && code == "" {
			return "", rules.Match{}, false
		}
		m := rules.Match{Types: types}
		var parts []string
		if stat != "" {
			m.Stat, parts = []string{stat}, append(parts, "stat="+strings.ToUpper(stat))
		}
		if e.Dialect != "" {
			m.Dialect = e.Dialect
			if code != "" {
				m.Err, parts = []string{code}, append(parts, "err="+code)
			}
			parts = append(parts, "dialect="+strings.ToLower(e.Dialect))
		}
		return strings.Join(parts, " "), m, true
	}
	if strings.TrimSpace(e.Text) != "" {
		return Normalize(e.Text), rules.Match{Types: types, Text: Pattern(e.Text)}, true
	}
	m := rules.Match{Types: types}
	var parts []string
	if e.Status != "" {
		m.Status, parts = []string{e.Status}, append(parts, "status="+e.Status)
	}
	if e.Code != 0 {
		m.Codes, parts = []int{e.Code}, append(parts, fmt.Sprintf("code=%d", e.Code))
	}
	return strings.Join(parts, " "), m, len(parts) > 0
}

// KeepRequest is the verdict an operator gives a group.
type KeepRequest struct {
	Outcome channels.Outcome `json:"outcome"`
	Reason  channels.Reason  `json:"reason"`
	// Priority defaults to KeepPriority, and to KeepErrPriority for an SMS
	// group with an err code.
	Priority *int `json:"priority,omitempty"`
}

// Keep turns group id into an active operator rule with the verdict of
// req ("<channel>.qualified.<group id>", matching the group's text) and
// marks the group kept, in one transaction. Workers pick the rule up at
// their next reload, and it classifies new events from then on.
func (b *Book) Keep(ctx context.Context, id string, req KeepRequest, author string) (Entry, error) {
	g, err := b.group(ctx, id)
	if err != nil {
		return Entry{}, err
	}
	overrides, err := b.st.RuleOverrides(ctx)
	if err != nil {
		return Entry{}, err
	}
	r := rules.Rule{
		ID: string(g.Channel) + ".qualified." + g.ID, Channel: g.Channel, Priority: KeepPriority,
		Description: fmt.Sprintf("Qualified by %s from the qualification queue: %d unrecognized failures like %q.", cmp.Or(author, "an operator"), g.Count, clipText(g.Text, 200)),
		Match:       g.match, Verdict: rules.Verdict{Outcome: req.Outcome, Reason: req.Reason},
	}
	if len(g.match.Err) > 0 {
		r.Priority = KeepErrPriority
	}
	if req.Priority != nil {
		r.Priority = *req.Priority
	}
	if r, err = b.catalog(overrides).nextVersion(r); err != nil {
		return Entry{}, err
	}
	if _, err := rules.NewSet([]rules.Rule{r}); err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	o := store.RuleOverride{Rule: r, State: store.RuleActive, Author: author}
	_, err = b.st.DecideQualification(ctx, store.QualificationDecision{GroupID: g.ID, Channel: g.Channel, Text: g.Text,
		State: store.QualifyKept, Rule: r.Key(), Author: author}, &o)
	if err != nil {
		return Entry{}, decideError(g.ID, err)
	}
	return Entry{Rule: r, Key: r.Key(), Source: SourceOperator, State: store.RuleActive, Author: author, CreatedAt: &o.CreatedAt}, nil
}

// Ignore closes group id without a rule.
func (b *Book) Ignore(ctx context.Context, id, author string) (Group, error) {
	g, err := b.group(ctx, id)
	if err != nil {
		return Group{}, err
	}
	d, err := b.st.DecideQualification(ctx, store.QualificationDecision{GroupID: g.ID, Channel: g.Channel, Text: g.Text,
		State: store.QualifyIgnored, Author: author}, nil)
	if err != nil {
		return Group{}, decideError(g.ID, err)
	}
	g.State = d.State
	return g, nil
}

// group finds an open group by id.
func (b *Book) group(ctx context.Context, id string) (Group, error) {
	groups, err := b.groups(ctx, "", time.Time{})
	if err != nil {
		return Group{}, err
	}
	for _, g := range groups {
		if g.ID != id {
			continue
		}
		if g.State != QualifyOpen {
			return Group{}, fmt.Errorf("%w: group %s is %s already", ErrConflict, id, g.State)
		}
		return g, nil
	}
	return Group{}, fmt.Errorf("%w: no open group %q in the queue's window", ErrNotFound, id)
}

func decideError(id string, err error) error {
	if errors.Is(err, store.ErrDecided) || errors.Is(err, store.ErrRuleExists) {
		return fmt.Errorf("%w: group %s: %v", ErrConflict, id, err)
	}
	return err
}

// clipText cuts s to n bytes on a rune boundary, marking the cut.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
