package lifecycle

import (
	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/phone"
)

// UnknownNetwork is how rates name the country or carrier of SMS
// deliveries no event told and no number gave (the empty part of their
// channels.Network key), as UnknownRoute names the empty route.
const UnknownNetwork = "unknown"

// domainOf is the domain key of a delivery's bucket as its first event
// gives it: the recipient's domain for email, the recipient's network
// (channels.Network) for SMS.
func domainOf(e channels.Event) string {
	if e.Channel != channels.SMS {
		return channels.Domain(e.Recipient)
	}
	return channels.Network(countryOf(e), mccmnc(e))
}

// countryOf is the SMS recipient's country: the event's word (the
// producer's or the gateway's), else the number's (phone.Country).
func countryOf(e channels.Event) string {
	if e.Country != "" {
		return e.Country
	}
	return phone.Country(e.Recipient)
}

// mccmnc is the carrier an SMS event reports, "" when none.
func mccmnc(e channels.Event) string {
	if e.SMS == nil {
		return ""
	}
	return e.SMS.MCCMNC
}

// learnCarrier gives an SMS delivery the carrier of the first event that
// reports one (a gateway's MCC-MNC; see "Carriers" in the package
// documentation). Like a route, it is learned once: a delivery already
// counted moves whole from its country's bucket to its carrier's, the
// same campaign, route and hour, in this plan; the country it was
// counted under stays.
func (d *decider) learnCarrier(m *Message, e channels.Event) {
	mm := mccmnc(e)
	if e.Channel != channels.SMS || mm == "" {
		return
	}
	country, known := channels.SplitNetwork(m.Domain)
	if known != "" {
		return
	}
	if m.Domain == "" {
		country = countryOf(e) // a delivery from before countries were kept
	}
	c := counted(*m)
	count(d.plan.Buckets, *m, Counts{}.Sub(c))
	m.Domain = channels.Network(country, mm)
	count(d.plan.Buckets, *m, c)
}
