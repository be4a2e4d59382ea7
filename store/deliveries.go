package store

import (
	"cmp"
	"context"
	"slices"

	"github.com/jmoiron/sqlx"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
)

// messageID is a message's key without a recipient: what names every
// delivery of one message.
type messageID struct {
	tenant    string
	channel   channels.Channel
	messageID string
}

func messageOf(k lifecycle.MessageKey) messageID {
	return messageID{k.Tenant, k.Channel, k.MessageID}
}

// resolveDeliveries gives each event of events that names a message the
// recipient of its delivery, in place. A delivery is one message to one
// recipient (lifecycle.MessageKey); known are the stored deliveries of the
// events' messages, to which the events' own "sent" events add theirs.
//
//   - An event names the delivery of its message and recipient when that
//     one is known; a "sent" event always names its own (it is what makes
//     a delivery).
//   - Otherwise an event that names no recipient, or an SMS event whose
//     number is not the delivery's (a gateway's receipt may carry the
//     handset's number in another form than the send did, and an SMSC's
//     message id names one destination), joins its message's only
//     delivery when the message has exactly one: recipient state is then
//     keyed by the number the message was sent to.
//   - Otherwise it keeps its own recipient, a delivery of its own (a
//     receipt that comes before its send; an email recipient the message
//     was not known to go to). An event with no recipient then joins no
//     delivery and acts on no recipient: its verdict is stored, nothing
//     else (lifecycle.Decide).
func resolveDeliveries(events []channels.Event, stored []lifecycle.MessageKey) {
	known := make(map[lifecycle.MessageKey]bool, len(stored))
	byMessage := make(map[messageID][]string)
	add := func(k lifecycle.MessageKey) {
		if !known[k] && k.Recipient != "" {
			known[k] = true
			byMessage[messageOf(k)] = append(byMessage[messageOf(k)], k.Recipient)
		}
	}
	for _, k := range stored {
		add(k)
	}
	for _, e := range events {
		if e.Type == channels.Sent && e.MessageID != "" {
			add(deliveryKey(e))
		}
	}
	for i, e := range events {
		if e.MessageID == "" || e.Type == channels.Sent || e.Type.IsConsent() || known[deliveryKey(e)] {
			// A consent names its recipient itself (a signed token, the
			// sender of an MO): it never takes another's.
			continue
		}
		if e.Unverified {
			// An unverified bounce joins only the delivery it names
			// exactly (lifecycle.JoinsSend): filling in a recipient would
			// let a forger who knows a message id vouch for itself.
			continue
		}
		if e.Recipient != "" && e.Channel != channels.SMS {
			continue
		}
		if rs := byMessage[messageOf(deliveryKey(e))]; len(rs) == 1 {
			events[i].Recipient = rs[0]
		}
	}
}

// deliveryKey is the delivery e names as it stands.
func deliveryKey(e channels.Event) lifecycle.MessageKey {
	return lifecycle.MessageKey{Tenant: e.TenantName(), Channel: e.Channel, MessageID: e.MessageID, Recipient: e.Recipient}
}

// storedDeliveries reads, without locking them, the stored deliveries of
// the messages the events name (read-messages): what resolveDeliveries
// joins events to.
func (s *Store) storedDeliveries(ctx context.Context, tx *sqlx.Tx, events []channels.Event) ([]lifecycle.MessageKey, error) {
	keys := make([][]string, 3)
	seen := make(map[messageID]bool)
	for _, e := range events {
		m := messageID{e.TenantName(), e.Channel, e.MessageID}
		if e.MessageID == "" || seen[m] {
			continue
		}
		seen[m] = true
		keys[0] = append(keys[0], m.tenant)
		keys[1] = append(keys[1], string(m.channel))
		keys[2] = append(keys[2], m.messageID)
	}
	if len(seen) == 0 {
		return nil, nil
	}
	var rows []messageKeyRow
	if err := s.selectNamed(ctx, tx, &rows, qReadMessages, arrays(keys)...); err != nil {
		return nil, err
	}
	out := make([]lifecycle.MessageKey, len(rows))
	for i, r := range rows {
		out[i] = r.key()
	}
	return out, nil
}

// deliveryArrays are the key columns of deliveries, in key order: the
// parameters of lock-messages.
func deliveryArrays(keys []lifecycle.MessageKey) []any {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, compareDeliveries)
	cols := make([][]string, 4)
	for _, k := range keys {
		cols[0] = append(cols[0], k.Tenant)
		cols[1] = append(cols[1], string(k.Channel))
		cols[2] = append(cols[2], k.MessageID)
		cols[3] = append(cols[3], k.Recipient)
	}
	return arrays(cols)
}

func compareDeliveries(a, b lifecycle.MessageKey) int {
	return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.MessageID, b.MessageID),
		cmp.Compare(a.Recipient, b.Recipient))
}
