package lifecycle

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

// TestCarriers: an SMS delivery is counted under its country from its
// first event, and moves once to its carrier's bucket when a receipt
// reports an MCC-MNC; email keeps its domain.
func TestCarriers(t *testing.T) {
	const gb, ca = "447700900001", "12505550199"
	sms := func(typ channels.Type, rcpt string, min int, verdict, mccmnc, country string) channels.Event {
		e := ev(typ, "m", rcpt, min, verdict)
		e.Channel, e.Country = channels.SMS, country
		if mccmnc != "" {
			e.SMS = &channels.SMSReceipt{MCCMNC: mccmnc}
		}
		return e
	}
	bucket := func(network string) BucketKey {
		return BucketKey{channels.DefaultTenant, channels.SMS, "c1", network, "", t0}
	}
	stored := func(network string, s Status) map[MessageKey]Message {
		return map[MessageKey]Message{{channels.DefaultTenant, channels.SMS, "m", gb}: {Tenant: channels.DefaultTenant, Channel: channels.SMS,
			MessageID: "m", Recipient: gb, Campaign: "c1", Domain: network, SentAt: t0, Status: s}}
	}
	tests := []struct {
		name     string
		messages map[MessageKey]Message
		events   []channels.Event
		domain   string // the delivery's domain key after the batch
		buckets  map[BucketKey]Counts
	}{
		{"sent: the number's country keys the bucket at once", nil,
			[]channels.Event{sms(channels.Sent, gb, 0, "", "", "")},
			"GB", map[BucketKey]Counts{bucket("GB"): {Sent: 1}}},
		{"+1 by area code", nil,
			[]channels.Event{sms(channels.Sent, ca, 0, "", "", "")},
			"CA", map[BucketKey]Counts{bucket("CA"): {Sent: 1}}},
		{"the producer's country wins over the number's", nil,
			[]channels.Event{sms(channels.Sent, gb, 0, "", "", "JE")},
			"JE", map[BucketKey]Counts{bucket("JE"): {Sent: 1}}},
		{"sent then a receipt with its carrier in one batch: counted once, under the carrier", nil,
			[]channels.Event{sms(channels.Sent, gb, 0, "", "", ""), sms(channels.Delivered, gb, 1, "", "23410", "")},
			"GB/23410", map[BucketKey]Counts{bucket("GB/23410"): {Sent: 1, Delivered: 1}}},
		{"a counted delivery learns its carrier: its counts move whole, once", stored("GB", StatusSoft),
			[]channels.Event{sms(channels.Failed, gb, 1, "hard/unknown_subscriber", "23410", "")},
			"GB/23410", map[BucketKey]Counts{bucket("GB"): {Sent: -1, Soft: -1}, bucket("GB/23410"): {Sent: 1, Hard: 1}}},
		{"a known carrier stays when another network reports", stored("GB/23410", StatusPending),
			[]channels.Event{sms(channels.Delivered, gb, 1, "", "23415", "")},
			"GB/23410", map[BucketKey]Counts{bucket("GB/23410"): {Delivered: 1}}},
		{"a delivery stored before countries were kept gains its country with its carrier", stored("", StatusPending),
			[]channels.Event{sms(channels.Delivered, gb, 1, "", "23410", "")},
			"GB/23410", map[BucketKey]Counts{bucket(""): {Sent: -1}, bucket("GB/23410"): {Sent: 1, Delivered: 1}}},
		{"receipt with carrier before the send: counted under the carrier when sent", nil,
			[]channels.Event{sms(channels.Failed, gb, 0, "hard/unknown_subscriber", "23410", ""), sms(channels.Sent, gb, 1, "", "", "")},
			"GB/23410", map[BucketKey]Counts{bucket("GB/23410"): {Sent: 1, Hard: 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := Decide(seedPolicy(), verdictOf{}, Snapshot{Events: tc.events, Messages: tc.messages})
			if diff := cmp.Diff(tc.buckets, p.Buckets); diff != "" {
				t.Errorf("buckets (-want +got):\n%s", diff)
			}
			if len(p.Messages) != 1 || p.Messages[0].Domain != tc.domain {
				t.Errorf("messages %+v, want one with domain %q", p.Messages, tc.domain)
			}
		})
	}
	email := decide(ev(channels.Sent, "m", "a@example.org", 0, ""))
	if len(email.Messages) != 1 || email.Messages[0].Domain != "example.org" {
		t.Errorf("email messages %+v, want the domain example.org", email.Messages)
	}
}
