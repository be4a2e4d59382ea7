package lifecycle

import "time"

// Bucket is the rate bucket of m's send: its tenant, channel, campaign,
// domain, route and the hour it was sent. The campaign and domain are
// frozen once the send is counted (Decide), and the route is set once
// (see "Routes" in the package documentation), so a sent message's bucket
// moves at most once, from the empty route to its route. A
// message not sent yet has no bucket (Recount adds nothing for it): its
// status is counted whole when its "sent" event comes.
func (m Message) Bucket() BucketKey {
	return BucketKey{Tenant: m.Tenant, Channel: m.Channel, Campaign: m.Campaign, Domain: m.Domain,
		Route: m.Route, Hour: m.SentAt.UTC().Truncate(time.Hour)}
}

// CountsOf is what a sent message's status and complaint flag count in
// its bucket: one delivered, soft or hard (a pending message counts in
// none), one complaint if it complained, and one unsubscribe if its
// recipient opted out through it. Its send (Counts.Sent) is not
// included: the first "sent" event counts it, and no verdict changes it.
func CountsOf(m Message) Counts {
	var c Counts
	switch m.Status {
	case StatusDelivered:
		c.Delivered = 1
	case StatusSoft:
		c.Soft = 1
	case StatusHard:
		c.Hard = 1
	}
	if m.Complained {
		c.Complaints = 1
	}
	if m.Unsubscribed {
		c.Unsubscribed = 1
	}
	return c
}

// Add returns c + o, counter by counter.
func (c Counts) Add(o Counts) Counts {
	return Counts{
		Sent: c.Sent + o.Sent, Delivered: c.Delivered + o.Delivered, Soft: c.Soft + o.Soft, Hard: c.Hard + o.Hard,
		Complaints: c.Complaints + o.Complaints, Unverified: c.Unverified + o.Unverified,
		Unsubscribed: c.Unsubscribed + o.Unsubscribed,
	}
}

// Sub returns c - o, counter by counter.
func (c Counts) Sub(o Counts) Counts {
	return Counts{
		Sent: c.Sent - o.Sent, Delivered: c.Delivered - o.Delivered, Soft: c.Soft - o.Soft, Hard: c.Hard - o.Hard,
		Complaints: c.Complaints - o.Complaints, Unverified: c.Unverified - o.Unverified,
		Unsubscribed: c.Unsubscribed - o.Unsubscribed,
	}
}

// Recount adds to buckets what moving a message from was to now changes in
// the bucket of its send (was.Bucket()): CountsOf(now) - CountsOf(was). A
// message not sent yet has no bucket and adds nothing. Decide counts every
// status change and complaint of a batch this way, and a replay that
// decides stored messages again under new verdicts reconciles their
// buckets with it.
func Recount(buckets map[BucketKey]Counts, was, now Message) {
	count(buckets, was, CountsOf(now).Sub(CountsOf(was)))
}

// count adds c to the bucket of m's send; a message not yet sent has no
// bucket, and is counted whole when its sent event comes.
func count(buckets map[BucketKey]Counts, m Message, c Counts) {
	if m.SentAt.IsZero() || c == (Counts{}) {
		return
	}
	k := m.Bucket()
	buckets[k] = buckets[k].Add(c)
}
