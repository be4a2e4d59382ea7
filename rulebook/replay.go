package rulebook

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/store"
)

// ReplayStore is what Replay needs from the database besides the Book's
// Store; *store.Store is the real one.
type ReplayStore interface {
	AppliedEvents(ctx context.Context, r store.ReplayRange) (store.ReplayPage, error)
	Reconcile(ctx context.Context, vs []store.Reverdict, dry bool) (store.Reconciliation, error)
}

// ReplayRequest is a range of stored events to classify again under the
// current rules.
type ReplayRequest struct {
	// Channel is email, sms, or "" for both.
	Channel  channels.Channel
	From, To time.Time // occurred_at in [From, To)
	// DryRun computes everything and writes nothing.
	DryRun bool
	// Batch is how many events one page (and one transaction) holds
	// (default 1000).
	Batch int
	// Progress, when set, is called after each page with the events read
	// so far.
	Progress func(events int)
}

// CampaignRates is the rate-bucket delta of one campaign.
type CampaignRates struct {
	Campaign  string `json:"campaign"`
	Delivered int64  `json:"delivered"`
	Soft      int64  `json:"soft"`
	Hard      int64  `json:"hard"`
	// Complaints is the change in complaints counted.
	Complaints int64 `json:"complaints"`
}

// StatusChange counts the messages moved From one status To another.
type StatusChange struct {
	From  lifecycle.Status `json:"from"`
	To    lifecycle.Status `json:"to"`
	Count int              `json:"count"`
}

// ReplayReport says what a replay changed (or, dry, would change).
type ReplayReport struct {
	DryRun bool `json:"dry_run"`
	// Events counts the applied events read; Changed those whose stored
	// verdict (outcome, reason, rule) differs from the current rules'.
	Events   int            `json:"events"`
	Changed  int            `json:"changed"`
	Changes  []Change       `json:"changes"`
	Messages int            `json:"messages"`
	Statuses []StatusChange `json:"statuses"`
	// Campaigns are the rate deltas per campaign, as added to all three
	// rate tables.
	Campaigns []CampaignRates `json:"campaigns"`
	// RecipientsQuarantined and RecipientsReleased estimate the
	// recipients whose state the new verdicts would change, replaying
	// each page from blank states as a backtest does. Replay does not
	// change recipient states: that is left to operators (release API).
	RecipientsQuarantined int `json:"recipients_quarantined"`
	RecipientsReleased    int `json:"recipients_released"`
	// Warnings are operator rules left out of the current rules.
	Warnings []string `json:"warnings,omitempty"`
}

// Replay classifies the applied events of req's range again with the
// current rules (built-ins plus operator rules, as Sets builds them) and,
// page by page, has st rewrite the verdicts that differ and reconcile the
// messages and rates that depend on them (store.Reconcile: one transaction
// per page). Events still in the inbox are skipped. A second replay under
// the same rules finds nothing to change. A dry run reconciles each page
// in a rolled-back transaction: a message whose events span two pages is
// then judged per page.
func (b *Book) Replay(ctx context.Context, st ReplayStore, req ReplayRequest) (ReplayReport, error) {
	if req.Channel != "" && !req.Channel.Valid() {
		return ReplayReport{}, fmt.Errorf("%w: channel %q is not one of email, sms", ErrInvalid, req.Channel)
	}
	if req.From.IsZero() || req.To.IsZero() || !req.From.Before(req.To) {
		return ReplayReport{}, fmt.Errorf("%w: from and to are required, from before to", ErrInvalid)
	}
	live, _, warnings, err := b.Sets(ctx)
	if err != nil {
		return ReplayReport{}, err
	}
	t := newReplayTally(req.DryRun)
	for _, w := range warnings {
		t.rep.Warnings = append(t.rep.Warnings, w.Error())
	}
	r := store.ReplayRange{Channel: req.Channel, From: req.From, To: req.To, Limit: req.Batch}
	for {
		page, err := st.AppliedEvents(ctx, r)
		if err != nil {
			return ReplayReport{}, err
		}
		if err := t.page(ctx, b.cfg.Policy, live, st, page); err != nil {
			return ReplayReport{}, err
		}
		if req.Progress != nil {
			req.Progress(t.rep.Events)
		}
		if page.Done {
			return t.report(), nil
		}
		r.After = page.Next
	}
}

// replayTally sums the pages of a replay.
type replayTally struct {
	rep       ReplayReport
	changes   map[[2]VerdictKey]*Change
	statuses  map[[2]lifecycle.Status]int
	campaigns map[string]lifecycle.Counts
}

func newReplayTally(dry bool) *replayTally {
	return &replayTally{rep: ReplayReport{DryRun: dry}, changes: map[[2]VerdictKey]*Change{},
		statuses: map[[2]lifecycle.Status]int{}, campaigns: map[string]lifecycle.Counts{}}
}

// page re-classifies one page, reconciles its changed verdicts and adds
// both to the tally.
func (t *replayTally) page(ctx context.Context, p lifecycle.Policy, live lifecycle.Classifier, st ReplayStore, page store.ReplayPage) error {
	var vs []store.Reverdict
	stored := make(lifecycle.Verdicts, len(page.Events))
	for _, se := range page.Events {
		t.rep.Events++
		stored[se.Event.Key()] = se.Verdict
		nu := live.Classify(se.Event)
		if key(nu) == key(se.Verdict) {
			continue
		}
		t.verdict(se.Event.ID, key(se.Verdict), key(nu))
		vs = append(vs, store.Reverdict{EventID: se.Event.Key(), Channel: se.Event.Channel, MessageID: se.Event.MessageID,
			OccurredAt: se.Event.OccurredAt, Verdict: nu})
	}
	if len(vs) == 0 {
		return nil
	}
	est := Compare(p, stored, live, page.Replay, 1)
	t.rep.RecipientsQuarantined += est.QuarantinedTotal
	t.rep.RecipientsReleased += est.ReleasedTotal
	rec, err := st.Reconcile(ctx, vs, t.rep.DryRun)
	if err != nil {
		return err
	}
	for _, m := range rec.Messages {
		t.rep.Messages++
		t.statuses[[2]lifecycle.Status{m.From, m.To}]++
	}
	for k, c := range rec.Buckets {
		s := t.campaigns[k.Campaign]
		s.Delivered, s.Soft, s.Hard, s.Complaints = s.Delivered+c.Delivered, s.Soft+c.Soft, s.Hard+c.Hard, s.Complaints+c.Complaints
		t.campaigns[k.Campaign] = s
	}
	return nil
}

func (t *replayTally) verdict(id string, from, to VerdictKey) {
	t.rep.Changed++
	k := [2]VerdictKey{from, to}
	c := t.changes[k]
	if c == nil {
		c = &Change{From: from, To: to, Examples: []string{}}
		t.changes[k] = c
	}
	c.Count++
	if len(c.Examples) < 5 {
		c.Examples = append(c.Examples, id)
	}
}

// report returns the tally in a stable order.
func (t *replayTally) report() ReplayReport {
	rep := t.rep
	rep.Changes, rep.Statuses, rep.Campaigns = []Change{}, []StatusChange{}, []CampaignRates{}
	for _, c := range t.changes {
		rep.Changes = append(rep.Changes, *c)
	}
	slices.SortFunc(rep.Changes, func(a, b Change) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.From.Rule, b.From.Rule), cmp.Compare(a.To.Rule, b.To.Rule))
	})
	for k, n := range t.statuses {
		rep.Statuses = append(rep.Statuses, StatusChange{From: k[0], To: k[1], Count: n})
	}
	slices.SortFunc(rep.Statuses, func(a, b StatusChange) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	for name, c := range t.campaigns {
		if c == (lifecycle.Counts{}) {
			continue
		}
		rep.Campaigns = append(rep.Campaigns, CampaignRates{Campaign: name, Delivered: c.Delivered, Soft: c.Soft, Hard: c.Hard, Complaints: c.Complaints})
	}
	slices.SortFunc(rep.Campaigns, func(a, b CampaignRates) int { return cmp.Compare(a.Campaign, b.Campaign) })
	return rep
}
