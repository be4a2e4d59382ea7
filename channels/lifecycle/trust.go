package lifecycle

import (
	"time"

	"github.com/rebond/rebond/channels"
)

// JoinsSend reports whether e names a message its tenant sent to e's
// recipient: the delivery of e's message id and recipient, with its
// "sent" event (SentAt set). It is what vouches for an unverified event
// (channels.Event.Unverified): a forger must know a message id and the
// very recipient it went to, and can then only report on that message.
// The store locks the recipient of such an event (it may change) and
// leaves the others alone.
func JoinsSend(messages map[MessageKey]Message, e channels.Event) bool {
	if e.MessageID == "" {
		return false
	}
	m, ok := messages[MessageKey{Tenant: e.TenantName(), Channel: e.Channel, MessageID: e.MessageID, Recipient: e.Recipient}]
	return ok && joins(m, e)
}

func joins(m Message, e channels.Event) bool {
	return !m.SentAt.IsZero() && m.Recipient == e.Recipient
}

// joinsSend is JoinsSend over the batch's state: the snapshot and the
// messages earlier events of the batch touched (a send and its bounce in
// one batch).
func (d *decider) joinsSend(e channels.Event) bool {
	if e.MessageID == "" {
		return false
	}
	m, ok := d.message(MessageKey{Tenant: e.TenantName(), Channel: e.Channel, MessageID: e.MessageID, Recipient: e.Recipient})
	return ok && joins(m, e)
}

// unverified counts an event that nothing vouches for and that changes
// nothing else: no message status (a forger could otherwise raise a
// campaign's rates), no recipient state, retry or incident. It is counted
// in the tenant's and channel's bucket of its own hour, without campaign
// or domain: both come from the unverified mail, and a forger naming a
// new one per mail would add a row per mail. The bucket has its route,
// which the adapter that received the mail sets ("bounce-mail",
// "auto-reply"), not the mail.
func (d *decider) unverified(e channels.Event) {
	k := BucketKey{Tenant: e.TenantName(), Channel: e.Channel, Route: e.Provider, Hour: e.OccurredAt.UTC().Truncate(time.Hour)}
	d.plan.Buckets[k] = d.plan.Buckets[k].Add(Counts{Unverified: 1})
}
