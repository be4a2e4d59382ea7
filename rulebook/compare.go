package rulebook

import (
	"cmp"
	"slices"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/store"
)

// Compare replays rp under base and under cand and reports what differs
// (see Book.Backtest). It is pure: no clock, no I/O.
func Compare(p lifecycle.Policy, base, cand lifecycle.Classifier, rp store.Replay, examples int) BacktestReport {
	if examples <= 0 {
		examples = 5
	}
	rep := BacktestReport{Changes: []Change{}, Quarantined: []RecipientChange{}, Released: []RecipientChange{}, Campaigns: []CampaignDelta{}}
	events := make([]channels.Event, len(rp.Events))
	changes := make(map[[2]VerdictKey]*Change)
	for i, se := range rp.Events {
		events[i] = se.Event
		if !se.InWindow {
			continue
		}
		rep.Events++
		old, nu := base.Classify(se.Event), cand.Classify(se.Event)
		if se.Verdict.Rule != "" && key(se.Verdict) != key(old) {
			rep.StoredDiffers++
		}
		if key(old) == key(nu) {
			continue
		}
		rep.Changed++
		k := [2]VerdictKey{key(old), key(nu)}
		c := changes[k]
		if c == nil {
			c = &Change{From: k[0], To: k[1], Examples: []string{}}
			changes[k] = c
		}
		c.Count++
		if len(c.Examples) < examples {
			c.Examples = append(c.Examples, se.Event.ID)
		}
	}
	for _, c := range changes {
		rep.Changes = append(rep.Changes, *c)
	}
	slices.SortFunc(rep.Changes, func(a, b Change) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.From.Rule, b.From.Rule), cmp.Compare(a.To.Rule, b.To.Rule))
	})
	snap := func() lifecycle.Snapshot {
		return lifecycle.Snapshot{Events: events, Messages: map[lifecycle.MessageKey]lifecycle.Message{},
			Recipients: map[lifecycle.RecipientKey]lifecycle.Recipient{}, Allowed: rp.Allowed}
	}
	before, after := lifecycle.Decide(p, base, snap()), lifecycle.Decide(p, cand, snap())
	rep.recipients(before, after)
	rep.Campaigns = campaignDeltas(before, after)
	return rep
}

func key(v channels.Verdict) VerdictKey { return VerdictKey{v.Rule, v.Outcome, v.Reason} }

// recipients lists the recipients quarantined after the candidate's replay
// and not before, and the other way round.
func (rep *BacktestReport) recipients(before, after lifecycle.Plan) {
	state := func(p lifecycle.Plan) map[lifecycle.RecipientKey]lifecycle.Recipient {
		m := make(map[lifecycle.RecipientKey]lifecycle.Recipient, len(p.Recipients))
		for _, r := range p.Recipients {
			m[lifecycle.RecipientKey{Channel: r.Channel, Address: r.Address}] = r
		}
		return m
	}
	b, a := state(before), state(after)
	keys := make([]lifecycle.RecipientKey, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y lifecycle.RecipientKey) int {
		return cmp.Or(cmp.Compare(x.Channel, y.Channel), cmp.Compare(x.Address, y.Address))
	})
	for _, k := range keys {
		was, now := stateOf(b, k), stateOf(a, k)
		rc := RecipientChange{Channel: k.Channel, Address: k.Address, Before: was, After: now}
		switch {
		case now == channels.StateQuarantined && was != channels.StateQuarantined:
			rc.Reason, rc.Rule = a[k].Reason, a[k].Rule
			rep.QuarantinedTotal++
			if len(rep.Quarantined) < maxListed {
				rep.Quarantined = append(rep.Quarantined, rc)
			}
		case was == channels.StateQuarantined && now != channels.StateQuarantined:
			rep.ReleasedTotal++
			if len(rep.Released) < maxListed {
				rep.Released = append(rep.Released, rc)
			}
		}
	}
}

func stateOf(m map[lifecycle.RecipientKey]lifecycle.Recipient, k lifecycle.RecipientKey) channels.State {
	if r, ok := m[k]; ok && r.State != "" {
		return r.State
	}
	return channels.StateActive
}

// campaignDeltas sums both plans' bucket deltas per campaign and returns
// the campaigns whose counts differ, by campaign.
func campaignDeltas(before, after lifecycle.Plan) []CampaignDelta {
	sum := func(p lifecycle.Plan) map[string]lifecycle.Counts {
		m := make(map[string]lifecycle.Counts)
		for k, c := range p.Buckets {
			t := m[k.Campaign]
			t.Sent, t.Delivered, t.Soft, t.Hard, t.Complaints = t.Sent+c.Sent, t.Delivered+c.Delivered, t.Soft+c.Soft, t.Hard+c.Hard, t.Complaints+c.Complaints
			m[k.Campaign] = t
		}
		return m
	}
	b, a := sum(before), sum(after)
	names := make([]string, 0, len(a)+len(b))
	for n := range a {
		names = append(names, n)
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	out := []CampaignDelta{}
	for _, n := range names {
		if a[n] == b[n] {
			continue
		}
		before, after := counts(b[n]), counts(a[n])
		out = append(out, CampaignDelta{Campaign: n, Before: before, After: after, Delta: Counts{
			Sent: after.Sent - before.Sent, Delivered: after.Delivered - before.Delivered, Soft: after.Soft - before.Soft,
			Hard: after.Hard - before.Hard, Complaints: after.Complaints - before.Complaints,
			SoftRate: after.SoftRate - before.SoftRate, HardRate: after.HardRate - before.HardRate,
		}})
	}
	return out
}

func counts(c lifecycle.Counts) Counts {
	out := Counts{Sent: c.Sent, Delivered: c.Delivered, Soft: c.Soft, Hard: c.Hard, Complaints: c.Complaints}
	if c.Sent > 0 {
		out.SoftRate, out.HardRate = float64(c.Soft)/float64(c.Sent), float64(c.Hard)/float64(c.Sent)
	}
	return out
}
