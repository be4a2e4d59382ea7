package lifecycle

import (
	"cmp"
	"slices"
	"time"

	"github.com/rebond/rebond/channels"
)

// UnknownRoute is the route of a sender incident whose events name no
// provider.
const UnknownRoute = "unknown"

// IncidentKey identifies a sender incident: a sender-side reason seen on
// one route of one channel.
//
// The route is the event's Provider ("ses", "smpp:<gateway>", a Kannel or
// Jasmin webhook name, "bounce-mail" for the inbound SMTP listener): the
// event schema has no sending-domain or sender-id field, so the path the
// message took is the finest thing that says which of the sender's setups
// is in trouble. A "sender" field in the schema would let incidents be
// keyed per sending domain (or SMS sender id) later, as one more key part.
type IncidentKey struct {
	// Tenant owns the row (channels.Event.TenantName).
	Tenant  string
	Channel channels.Channel
	Route   string
	Reason  string
}

// Incident is what one batch adds to a sender incident. The store adds
// Count to the open incident of the key (opening one when none is open),
// widens its first and last seen times, and records the latest event and
// rule.
type Incident struct {
	// Tenant owns the row (channels.Event.TenantName).
	Tenant    string
	Channel   channels.Channel
	Route     string
	Reason    string
	Count     int64
	FirstSeen time.Time
	LastSeen  time.Time
	EventID   string // the batch's latest event of the key
	Rule      string // the rule that classified it
}

// Route returns the incident route of an event's provider: the provider
// itself, or UnknownRoute when the event names none.
func Route(provider string) string {
	if provider == "" {
		return UnknownRoute
	}
	return provider
}

// applyIncident raises or updates the sender incident of a failure whose
// reason is sender-side (policy action "sender"). It runs whatever the
// recipient's lists say: an allowlisted recipient does not make the
// sender's problem go away.
func (d *decider) applyIncident(e channels.Event, v channels.Verdict) {
	if v.Outcome != channels.OutcomeSoft && v.Outcome != channels.OutcomeHard {
		return
	}
	if d.policy.For(e.Channel, v.Reason).Action != ActionSender {
		return
	}
	k := IncidentKey{Tenant: e.TenantName(), Channel: e.Channel, Route: Route(e.Provider), Reason: string(v.Reason)}
	in, ok := d.incidents[k]
	if !ok {
		in = Incident{Tenant: k.Tenant, Channel: k.Channel, Route: k.Route, Reason: k.Reason, FirstSeen: e.OccurredAt}
	}
	in.Count++
	// Events come in time order, so the latest one is the last seen.
	in.LastSeen, in.EventID, in.Rule = e.OccurredAt, e.Key(), v.Rule
	d.incidents[k] = in
}

// flushIncidents moves the batch's incidents into the plan in key order,
// the order the store locks them in.
func (d *decider) flushIncidents() {
	for _, in := range d.incidents {
		d.plan.Incidents = append(d.plan.Incidents, in)
	}
	slices.SortFunc(d.plan.Incidents, func(a, b Incident) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Route, b.Route), cmp.Compare(a.Reason, b.Reason))
	})
}
