package lifecycle

import (
	"cmp"
	"slices"
	"time"

	"github.com/rebond/rebond/channels"
)

// ConsentKey identifies one consent of a recipient: its scope and what
// the scope names (channels.Event.ConsentName: the list, the campaign,
// "" for ScopeAll).
type ConsentKey struct {
	// Tenant owns the row (channels.Event.TenantName).
	Tenant  string
	Channel channels.Channel
	Address string
	Scope   channels.Scope
	Name    string
}

// ConsentKeyOf is the consent a consent event speaks of.
func ConsentKeyOf(e channels.Event) ConsentKey {
	scope := channels.ScopeAll
	if e.Consent != nil && e.Consent.Scope != "" {
		scope = e.Consent.Scope
	}
	return ConsentKey{Tenant: e.TenantName(), Channel: e.Channel, Address: e.Recipient, Scope: scope, Name: e.ConsentName()}
}

// Label names the key's scope in an audit row: "all", "list:<name>" or
// "campaign:<name>".
func (k ConsentKey) Label() string {
	if k.Scope == channels.ScopeAll || k.Scope == "" {
		return string(channels.ScopeAll)
	}
	return string(k.Scope) + ":" + k.Name
}

// Consent is the stored state of one ConsentKey: whether the recipient
// opted out of it, since when, by which event and source; the latest
// consent event applied to it (At: an older one arriving later is stale
// and changes nothing); and the latest confirmed double opt-in with the
// confirming client (IP and user agent), zero when never confirmed.
type Consent struct {
	ConsentKey
	OptedOut bool
	Since    time.Time
	Source   string
	EventID  string
	At       time.Time
	// ConfirmedAt is the latest confirmation (zero: none) and the others
	// its event and client.
	ConfirmedAt      time.Time
	ConfirmEventID   string
	ConfirmIP        string
	ConfirmUserAgent string
}

// consent returns the state of k for an event at at, and false when a
// later consent event already decided it (at is before its At): consent
// events may be applied out of order (two batches, two workers), and the
// recipient's latest word must win.
func (d *decider) consent(k ConsentKey, at time.Time) (Consent, bool) {
	c, ok := d.consents[k]
	if !ok {
		c, ok = d.snap.Consents[k]
		c.ConsentKey = k
	}
	if ok && at.Before(c.At) {
		return c, false
	}
	c.At = at
	return c, true
}

// applyConsent applies a consent event (see "Consent" in the package
// documentation): an opt-out or an opt-in of its scope, a confirmation,
// and the unsubscribe count of the delivery it names. Unverified ones and
// inbound messages change nothing.
func (d *decider) applyConsent(e channels.Event) {
	if e.Unverified || e.Recipient == "" || e.Type == channels.Inbound {
		return
	}
	k := ConsentKeyOf(e)
	c, ok := d.consent(k, e.OccurredAt)
	if !ok {
		return
	}
	v := channels.ConsentVerdict(e)
	src := ""
	if e.Consent != nil {
		src = e.Consent.Source
	}
	was := c.OptedOut
	if e.Type == channels.OptOut {
		d.optOut(&c, e, v, src)
	} else {
		d.optIn(&c, e, v, src)
	}
	d.consents[k] = c
	if c.OptedOut != was && e.MessageID != "" {
		d.unsubscribed(e, c.OptedOut)
	}
}

// optOut opts c out, once: an opt-out of a recipient opted out already
// changes nothing (a replayed one-click POST, a second STOP). Of scope
// all, the recipient's state becomes opted_out.
func (d *decider) optOut(c *Consent, e channels.Event, v channels.Verdict, src string) {
	if c.OptedOut {
		return
	}
	c.OptedOut, c.Since, c.Source, c.EventID = true, e.OccurredAt, src, e.Key()
	d.consentState(c.ConsentKey, e, v, src, channels.StateOptedOut)
}

// optIn lifts an opt-out of c's scope (START, an undo), and records a
// confirmation (source confirm) whether or not there was one to lift.
func (d *decider) optIn(c *Consent, e channels.Event, v channels.Verdict, src string) {
	lift := c.OptedOut
	if lift {
		c.OptedOut, c.Since, c.Source, c.EventID = false, e.OccurredAt, src, e.Key()
	}
	if src == channels.SourceConfirm {
		c.ConfirmedAt, c.ConfirmEventID = e.OccurredAt, e.Key()
		c.ConfirmIP, c.ConfirmUserAgent = e.Consent.IP, e.Consent.UserAgent
		v.Reason = channels.ReasonConfirmed
	} else if !lift {
		return
	}
	d.consentState(c.ConsentKey, e, v, src, channels.StateActive)
}

// consentState records a consent change in the recipient's history, and
// for scope all moves its state: to opted_out, or from opted_out back to
// active. A narrower consent leaves the state alone (the row says
// from = to, with the scope).
func (d *decider) consentState(k ConsentKey, e channels.Event, v channels.Verdict, src string, to channels.State) {
	rk := RecipientKey{k.Tenant, k.Channel, k.Address}
	r := d.recipient(rk)
	a := Audit{Tenant: r.Tenant, Channel: r.Channel, Address: r.Address, At: e.OccurredAt, From: r.State, To: r.State,
		Reason: string(v.Reason), Actor: consentActor(src), EventID: e.Key(), Rule: v.Rule, Scope: k.Label()}
	if k.Scope == channels.ScopeAll && (to == channels.StateOptedOut) != (r.State == channels.StateOptedOut) {
		a.To = to
		r.State, r.Reason, r.Since, r.Until, r.EventID, r.Rule = to, string(v.Reason), e.OccurredAt, time.Time{}, e.Key(), v.Rule
		if to == channels.StateActive {
			r.Reason = ""
		}
		d.recipients[rk] = r
	}
	d.plan.Audit = append(d.plan.Audit, a)
}

// consentActor is the audit actor of a consent change: who said it, by
// its source ("consent:one-click", "consent:sms-keyword"…).
func consentActor(src string) string {
	if src == "" {
		return "consent"
	}
	return "consent:" + src
}

// gatewayOptOut opts a number out (scope all, source gateway-error) on a
// failure whose reason is opted_out: a gateway refused the message
// because the recipient opted out (Twilio 21610, Infobip 573/603/2050,
// Plivo 200, Twilio SMPP 071). It is the recipient's word, relayed: no
// allowlist holds it back and no clock releases it.
func (d *decider) gatewayOptOut(e channels.Event, v channels.Verdict) {
	k := ConsentKey{Tenant: e.TenantName(), Channel: e.Channel, Address: e.Recipient, Scope: channels.ScopeAll}
	c, ok := d.consent(k, e.OccurredAt)
	if !ok {
		return
	}
	d.optOut(&c, e, v, channels.SourceGatewayError)
	d.consents[k] = c
}

// unsubscribed flags the delivery e names as one through which its
// recipient opted out (or clears the flag on an undo): the campaign's
// unsubscribe count, in its send's bucket (Recount). An opt-out naming a
// delivery not known yet makes it, flagged and not sent: its "sent" event
// may be applied after it (a backlog, or the two applied at once by two
// workers, neither seeing the other's delivery), and then counts it whole
// (CountsOf). One whose send never comes counts in no rate.
func (d *decider) unsubscribed(e channels.Event, on bool) {
	k := MessageKey{e.TenantName(), e.Channel, e.MessageID, e.Recipient}
	m, ok := d.message(k)
	if !ok {
		if !on {
			return // an undo of a delivery not known: nothing to clear
		}
		m = Message{Tenant: k.Tenant, Channel: e.Channel, MessageID: e.MessageID, Recipient: e.Recipient,
			Campaign: e.Campaign, Domain: domainOf(e), Status: StatusPending}
	}
	if m.Unsubscribed == on {
		return
	}
	was := m
	m.Unsubscribed = on
	Recount(d.plan.Buckets, was, m)
	d.messages[k] = m
}

// flushConsents moves the changed consents into the plan in key order.
func (d *decider) flushConsents() {
	for _, c := range d.consents {
		d.plan.Consents = append(d.plan.Consents, c)
	}
	slices.SortFunc(d.plan.Consents, func(a, b Consent) int { return CompareConsents(a.ConsentKey, b.ConsentKey) })
}

// CompareConsents orders consent keys as the store locks and writes them.
func CompareConsents(a, b ConsentKey) int {
	return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Address, b.Address),
		cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.Name, b.Name))
}
