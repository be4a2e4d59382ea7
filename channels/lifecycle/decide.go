package lifecycle

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/rebond/rebond/channels"
)

// ActorApply is the audit actor of transitions decided by the apply path.
const ActorApply = "rebond:apply"

// Classifier gives an event its verdict; channels/rules.Set implements it.
type Classifier interface {
	Classify(e channels.Event) channels.Verdict
}

// Verdicts classifies an event by a verdict it was already given, by
// event key (channels.Event.Key): a replay decides with the verdicts stored
// with its events and those it rewrites. An event it does not hold gets
// the zero verdict.
type Verdicts map[string]channels.Verdict

// Classify returns the verdict recorded for e.
func (v Verdicts) Classify(e channels.Event) channels.Verdict { return v[e.Key()] }

// Decide classifies the snapshot's events in time order and returns the
// plan that applies them. It never fails: every event gets a verdict.
func Decide(p Policy, c Classifier, snap Snapshot) Plan {
	d := &decider{
		policy:     p,
		snap:       snap,
		messages:   make(map[MessageKey]Message),
		recipients: make(map[RecipientKey]Recipient),
		incidents:  make(map[IncidentKey]Incident),
		consents:   make(map[ConsentKey]Consent),
		plan:       Plan{Buckets: make(map[BucketKey]Counts)},
	}
	events := slices.Clone(snap.Events)
	slices.SortStableFunc(events, func(a, b channels.Event) int { return a.OccurredAt.Compare(b.OccurredAt) })
	for _, e := range events {
		v := c.Classify(e)
		d.plan.Applied = append(d.plan.Applied, Applied{EventID: e.Key(), Channel: e.Channel, Verdict: v})
		if e.Type.IsConsent() {
			d.applyConsent(e) // a consent is no delivery outcome: no status, retry or incident
			continue
		}
		if e.Unverified && !d.joinsSend(e) {
			d.unverified(e)
			continue
		}
		enteredSoft := d.applyMessage(e, v)
		d.applyRecipient(e, v, enteredSoft)
		d.applyIncident(e, v)
	}
	d.flush()
	return d.plan
}

type decider struct {
	policy     Policy
	snap       Snapshot
	messages   map[MessageKey]Message // touched in this batch
	recipients map[RecipientKey]Recipient
	incidents  map[IncidentKey]Incident
	consents   map[ConsentKey]Consent // changed in this batch
	plan       Plan
}

func (d *decider) message(k MessageKey) (Message, bool) {
	if m, ok := d.messages[k]; ok {
		return m, true
	}
	m, ok := d.snap.Messages[k]
	// The key says whose it is and to whom, even if the row did not.
	m.Tenant, m.Recipient = k.Tenant, k.Recipient
	return m, ok
}

// applyMessage updates the message's status and buckets and reports
// whether the message entered the soft status with this event, which is
// what the recipient's soft count counts.
func (d *decider) applyMessage(e channels.Event, v channels.Verdict) bool {
	if e.MessageID == "" || e.Recipient == "" {
		// No delivery to move: an event that names no message, or a
		// receipt that names its message but no recipient the message
		// is known to go to (store.Apply resolves the others).
		return v.Outcome == channels.OutcomeSoft
	}
	k := MessageKey{e.TenantName(), e.Channel, e.MessageID, e.Recipient}
	m, ok := d.message(k)
	if !ok {
		m = Message{Tenant: k.Tenant, Channel: e.Channel, MessageID: e.MessageID, Recipient: e.Recipient, Status: StatusPending}
	}
	// The bucket key (campaign, domain) is frozen once the send is counted:
	// a later event naming another campaign must not move counts between
	// buckets (a send counted in one, its failure in another).
	counted := !m.SentAt.IsZero()
	if !counted && m.Domain == "" {
		m.Domain = domainOf(e)
	}
	d.learnRoute(&m, e)
	d.learnCarrier(&m, e)
	if e.Type == channels.Sent {
		if e.Campaign != "" && !counted {
			m.Campaign = e.Campaign
		}
		d.send(&m, e)
		d.messages[k] = m
		return false
	}
	if !counted {
		fill(&m.Campaign, e.Campaign)
	}
	entered := d.moveStatus(&m, e, v)
	if v.Outcome == channels.OutcomeComplaint && !m.Complained {
		was := m
		m.Complained = true
		Recount(d.plan.Buckets, was, m)
	}
	d.messages[k] = m
	return entered
}

// send records the first sent event of a message and counts it, with
// whatever status earlier events already gave it.
func (d *decider) send(m *Message, e channels.Event) {
	if !m.SentAt.IsZero() {
		return // a second "sent" for the same message counts once
	}
	m.SentAt = e.OccurredAt
	m.EventID = e.Key()
	count(d.plan.Buckets, *m, counted(*m))
}

// learnRoute gives m the route of e's provider when m has none yet (see
// "Routes" in the package documentation). A delivery already counted
// without a route moves whole to its route's bucket, in this plan: what
// it counts leaves the bucket without a route and enters the new one.
func (d *decider) learnRoute(m *Message, e channels.Event) {
	// A returned mail gives no route: if it did, a split by route would
	// sort deliveries by outcome, not by path.
	if m.Route != "" || e.Provider == "" || channels.ReturnPath(e.Provider) {
		return
	}
	c := counted(*m)
	count(d.plan.Buckets, *m, Counts{}.Sub(c))
	m.Route = Route(e.Provider)
	count(d.plan.Buckets, *m, c)
}

// counted is what a delivery counts in its send's bucket: nothing before
// its send, then the send, its status and its complaint.
func counted(m Message) Counts {
	if m.SentAt.IsZero() {
		return Counts{}
	}
	c := CountsOf(m)
	c.Sent = 1
	return c
}

func (d *decider) moveStatus(m *Message, e channels.Event, v channels.Verdict) bool {
	next := nextStatus(m.Status, v.Outcome)
	if next == m.Status {
		return false
	}
	was := *m
	m.Status, m.Reason, m.EventID = next, string(v.Reason), e.Key()
	Recount(d.plan.Buckets, was, *m)
	if next != StatusSoft {
		m.RetryDueAt = time.Time{}
		return false
	}
	if m.RetryAttempt == 0 && m.RetryDueAt.IsZero() {
		if due, ok := d.policy.NextRetry(e.Channel, v.Reason, 1, e.OccurredAt); ok {
			m.RetryDueAt, m.RetryReason = due, string(v.Reason)
			d.plan.Retries = append(d.plan.Retries, Retry{Tenant: m.Tenant, Channel: e.Channel, MessageID: e.MessageID,
				Recipient: m.Recipient, Attempt: 1, DueAt: due})
		}
	}
	return true
}

// nextStatus is the message status machine of the package documentation.
func nextStatus(cur Status, o channels.Outcome) Status {
	switch {
	case o == channels.OutcomeHard:
		return StatusHard
	case o == channels.OutcomeDelivered && (cur == StatusPending || cur == StatusSoft):
		return StatusDelivered
	case o == channels.OutcomeSoft && cur == StatusPending:
		return StatusSoft
	}
	return cur
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// flush moves the touched rows into the plan in key order, so concurrent
// batches lock rows in the same order and cannot deadlock on each other.
func (d *decider) flush() {
	// A delivery counted and moved to its route within the batch leaves
	// nothing in the bucket it left: no row to write.
	maps.DeleteFunc(d.plan.Buckets, func(_ BucketKey, c Counts) bool { return c == (Counts{}) })
	for _, m := range d.messages {
		d.plan.Messages = append(d.plan.Messages, m)
	}
	slices.SortFunc(d.plan.Messages, func(a, b Message) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.MessageID, b.MessageID),
			cmp.Compare(a.Recipient, b.Recipient))
	})
	for _, r := range d.recipients {
		d.plan.Recipients = append(d.plan.Recipients, r)
	}
	slices.SortFunc(d.plan.Recipients, func(a, b Recipient) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Address, b.Address))
	})
	d.flushIncidents()
	d.flushConsents()
}
