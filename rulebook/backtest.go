package rulebook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/store"
)

// maxListed bounds the examples and recipients a report lists; counts are
// always whole.
const maxListed = 100

// BacktestRequest is a candidate change to try on the stored events of a
// window.
type BacktestRequest struct {
	Channel  channels.Channel
	From, To time.Time
	// Rules are candidate rules: new ids or new versions (a zero version
	// means the next one), as Create would publish them, active.
	Rules []rules.Rule
	// Disable lists rule ids the candidate turns off.
	Disable []string
	// Examples is how many event ids each verdict change lists (default 5).
	Examples int
}

// VerdictKey is a verdict without its evidence.
type VerdictKey struct {
	Rule    string           `json:"rule"`
	Outcome channels.Outcome `json:"outcome"`
	Reason  channels.Reason  `json:"reason"`
}

// Change counts the events whose verdict would go From one To another.
type Change struct {
	From     VerdictKey `json:"from"`
	To       VerdictKey `json:"to"`
	Count    int        `json:"count"`
	Examples []string   `json:"examples"`
}

// RecipientChange is a recipient whose state the candidate would change.
type RecipientChange struct {
	Channel channels.Channel `json:"channel"`
	Address string           `json:"address"`
	// Before and After are the states the replay ends in.
	Before channels.State `json:"before"`
	After  channels.State `json:"after"`
	// Reason and Rule are the candidate's, for a quarantine.
	Reason string `json:"reason,omitempty"`
	Rule   string `json:"rule,omitempty"`
}

// Counts are a campaign's messages by final status, and its rates.
type Counts struct {
	Sent       int64   `json:"sent"`
	Delivered  int64   `json:"delivered"`
	Soft       int64   `json:"soft"`
	Hard       int64   `json:"hard"`
	Complaints int64   `json:"complaints"`
	SoftRate   float64 `json:"soft_rate"`
	HardRate   float64 `json:"hard_rate"`
}

// CampaignDelta is a campaign whose counts the candidate would change.
type CampaignDelta struct {
	Campaign string `json:"campaign"`
	Before   Counts `json:"before"`
	After    Counts `json:"after"`
	// Delta is After minus Before.
	Delta Counts `json:"delta"`
}

// BacktestReport says what the candidate would have changed in the window.
type BacktestReport struct {
	Channel channels.Channel `json:"channel"`
	From    time.Time        `json:"from"`
	To      time.Time        `json:"to"`
	// Rules lists the rules the candidate adds, as tried: the request's
	// Rules with their versions, and a disabled version of each id of
	// Disable. It is named as the request's field (POST
	// /v1/rules/backtest takes "rules" and answers "rules").
	Rules []rules.Rule `json:"rules"`
	// Events counts the events of the window; Changed those whose verdict
	// the candidate changes.
	Events  int `json:"events"`
	Changed int `json:"changed"`
	// StoredDiffers counts events whose stored verdict is not what the
	// current rules give (rules changed since they were applied): the
	// report compares the current rules with the candidate, not the past.
	StoredDiffers int      `json:"stored_differs"`
	Changes       []Change `json:"changes"`
	// Quarantined and Released list (up to 100 each) the recipients the
	// candidate would quarantine or release; the totals count them all.
	Quarantined      []RecipientChange `json:"quarantined"`
	QuarantinedTotal int               `json:"quarantined_total"`
	Released         []RecipientChange `json:"released"`
	ReleasedTotal    int               `json:"released_total"`
	Campaigns        []CampaignDelta   `json:"campaigns"`
}

// Backtest replays the stored events of the window (and the sends of the
// messages they name) under the current rules and under the current rules
// with the candidate, and reports the differences. It reads in one
// read-only transaction and writes nothing anywhere.
//
// It is bounded, being open to read-role tokens: a window of at most
// Config.BacktestMaxRange and Config.BacktestMax events, read under a
// statement timeout of Config.BacktestTimeout without the events' raw
// sources, and one backtest per tenant at a time in this process (ErrBusy).
//
// Both replays start from blank message and recipient states and run the
// window's events through lifecycle.Decide with the Book's policy (the
// allow lists as stored): the starting states before the window are the
// same on both sides, so leaving them out changes neither side's
// difference, only the absolute counts.
func (b *Book) Backtest(ctx context.Context, req BacktestRequest) (BacktestReport, error) {
	if !req.Channel.Valid() {
		return BacktestReport{}, fmt.Errorf("%w: channel %q is not one of email, sms", ErrInvalid, req.Channel)
	}
	if req.From.IsZero() || req.To.IsZero() || !req.From.Before(req.To) {
		return BacktestReport{}, fmt.Errorf("%w: from and to are required, from before to", ErrInvalid)
	}
	if d := req.To.Sub(req.From); d > b.cfg.BacktestMaxRange {
		return BacktestReport{}, fmt.Errorf("%w: a window of %s is longer than %s; narrow it", ErrInvalid, d, b.cfg.BacktestMaxRange)
	}
	tenant := channels.Tenant(ctx)
	if _, busy := b.running.LoadOrStore(tenant, true); busy {
		return BacktestReport{}, fmt.Errorf("%w; try again when it ends", ErrBusy)
	}
	defer b.running.Delete(tenant)
	rp, err := b.st.ReplayEvents(ctx, store.ReplayQuery{Channel: req.Channel, From: req.From, To: req.To,
		Max: b.cfg.BacktestMax, Timeout: b.cfg.BacktestTimeout})
	if errors.Is(err, store.ErrTimeout) {
		return BacktestReport{}, fmt.Errorf("%w: %w; narrow the window", ErrInvalid, err)
	}
	if errors.Is(err, store.ErrTooMany) {
		return BacktestReport{}, fmt.Errorf("%w: %v; narrow the window", ErrInvalid, err)
	}
	if err != nil {
		return BacktestReport{}, err
	}
	current, _, _ := b.overlay(rp.Overrides)
	base, err := rules.NewSet(current)
	if err != nil {
		return BacktestReport{}, fmt.Errorf("build the current rules: %w", err)
	}
	cand, added, err := b.candidate(current, rp.Overrides, req)
	if err != nil {
		return BacktestReport{}, err
	}
	rep := Compare(b.cfg.Policy, base, cand, rp, req.Examples)
	rep.Channel, rep.From, rep.To, rep.Rules = req.Channel, req.From, req.To, added
	return rep, nil
}

// candidate builds the current rules base plus the request's changes, and
// returns the rules it added.
func (b *Book) candidate(base []rules.Rule, overrides []store.RuleOverride, req BacktestRequest) (*rules.Set, []rules.Rule, error) {
	c := b.catalog(overrides)
	var added []rules.Rule
	for _, r := range req.Rules {
		r.Disabled = false
		r, err := c.nextVersion(r)
		if err != nil {
			return nil, nil, err
		}
		c.latest[r.ID] = r.Version
		c.entries = append(c.entries, Entry{Rule: r, State: store.RuleActive})
		added = append(added, r)
	}
	for _, id := range req.Disable {
		cur, ok := c.current(id)
		if !ok {
			return nil, nil, fmt.Errorf("%w: disable: no rule %q", ErrInvalid, id)
		}
		r := cur.Rule
		r.Version, r.Disabled = c.latest[id]+1, true
		c.latest[id] = r.Version
		added = append(added, r)
	}
	set, err := rules.NewSet(append(slices.Clip(base), added...))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return set, added, nil
}
