package lifecycle

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

func TestMessageBucket(t *testing.T) {
	t.Parallel()
	sent := time.Date(2026, 11, 2, 9, 59, 59, 999, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		name string
		m    Message
		want BucketKey
	}{
		{"the hour of the send, in UTC",
			Message{Tenant: "acme", Channel: channels.Email, MessageID: "m", Recipient: "a@example.org", Campaign: "c1", Domain: "example.org", SentAt: sent},
			BucketKey{Tenant: "acme", Channel: channels.Email, Campaign: "c1", Domain: "example.org", Hour: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)}},
		{"status and recipient name no bucket",
			Message{Channel: channels.SMS, Recipient: "+33612345678", Domain: "20801", SentAt: t0, Status: StatusHard, Complained: true},
			BucketKey{Channel: channels.SMS, Domain: "20801", Hour: t0}},
		{"not sent: the zero hour",
			Message{Channel: channels.Email, Campaign: "c1", Domain: "example.org"},
			BucketKey{Channel: channels.Email, Campaign: "c1", Domain: "example.org", Hour: time.Time{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, tc.m.Bucket()); diff != "" {
				t.Errorf("Bucket() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCountsOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		m    Message
		want Counts
	}{
		{"pending counts nowhere", Message{Status: StatusPending, SentAt: t0}, Counts{}},
		{"no status yet", Message{}, Counts{}},
		{"delivered", Message{Status: StatusDelivered}, Counts{Delivered: 1}},
		{"soft", Message{Status: StatusSoft}, Counts{Soft: 1}},
		{"hard", Message{Status: StatusHard}, Counts{Hard: 1}},
		{"complained", Message{Status: StatusPending, Complained: true}, Counts{Complaints: 1}},
		{"delivered and complained", Message{Status: StatusDelivered, Complained: true}, Counts{Delivered: 1, Complaints: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := CountsOf(tc.m); got != tc.want {
				t.Errorf("CountsOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCountsAddSub(t *testing.T) {
	t.Parallel()
	a := Counts{Sent: 10, Delivered: 7, Soft: 2, Hard: 1, Complaints: 1, Unverified: 3}
	b := Counts{Sent: 1, Delivered: 2, Soft: 3, Hard: 4, Complaints: 5, Unverified: 6}
	for _, tc := range []struct {
		name string
		got  Counts
		want Counts
	}{
		{"add", a.Add(b), Counts{Sent: 11, Delivered: 9, Soft: 5, Hard: 5, Complaints: 6, Unverified: 9}},
		{"sub", a.Sub(b), Counts{Sent: 9, Delivered: 5, Soft: -1, Hard: -3, Complaints: -4, Unverified: -3}},
		{"add zero", a.Add(Counts{}), a},
		{"sub itself", a.Sub(a), Counts{}},
		{"sub then add", a.Sub(b).Add(b), a},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.want {
				t.Errorf("got %+v, want %+v", tc.got, tc.want)
			}
		})
	}
}

func TestRecount(t *testing.T) {
	t.Parallel()
	sent := Message{Tenant: "acme", Channel: channels.Email, MessageID: "m", Recipient: "a@example.org", Campaign: "c1",
		Domain: "example.org", SentAt: t0.Add(42 * time.Minute), Status: StatusSoft}
	with := func(m Message, f func(*Message)) Message { f(&m); return m }
	bucket := sent.Bucket()
	other := BucketKey{Tenant: "acme", Channel: channels.Email, Campaign: "c2", Domain: "example.org", Hour: t0}
	for _, tc := range []struct {
		name     string
		was, now Message
		want     map[BucketKey]Counts
	}{
		{"soft to hard", sent, with(sent, func(m *Message) { m.Status = StatusHard }),
			map[BucketKey]Counts{bucket: {Soft: -1, Hard: 1}, other: {Sent: 5}}},
		{"soft to delivered and complained", sent, with(sent, func(m *Message) { m.Status, m.Complained = StatusDelivered, true }),
			map[BucketKey]Counts{bucket: {Soft: -1, Delivered: 1, Complaints: 1}, other: {Sent: 5}}},
		{"back to pending", sent, with(sent, func(m *Message) { m.Status = StatusPending }),
			map[BucketKey]Counts{bucket: {Soft: -1}, other: {Sent: 5}}},
		{"the bucket of was, whatever now names", sent, with(sent, func(m *Message) { m.Campaign, m.Status = "c2", StatusHard }),
			map[BucketKey]Counts{bucket: {Soft: -1, Hard: 1}, other: {Sent: 5}}},
		{"only the reason changes: nothing", sent, with(sent, func(m *Message) { m.Reason = "other" }),
			map[BucketKey]Counts{other: {Sent: 5}}},
		{"not sent: no bucket", with(sent, func(m *Message) { m.SentAt = time.Time{} }),
			with(sent, func(m *Message) { m.SentAt, m.Status = time.Time{}, StatusHard }),
			map[BucketKey]Counts{other: {Sent: 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			buckets := map[BucketKey]Counts{other: {Sent: 5}}
			Recount(buckets, tc.was, tc.now)
			if diff := cmp.Diff(tc.want, buckets); diff != "" {
				t.Errorf("buckets (-want +got):\n%s", diff)
			}
		})
	}
	// Deltas add up in one bucket.
	buckets := map[BucketKey]Counts{bucket: {Sent: 1, Soft: 1}}
	Recount(buckets, sent, with(sent, func(m *Message) { m.Status = StatusHard }))
	if want := (Counts{Sent: 1, Hard: 1}); buckets[bucket] != want {
		t.Errorf("bucket after a recount = %+v, want %+v", buckets[bucket], want)
	}
}
