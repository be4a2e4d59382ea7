package lifecycle

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

// unverified marks e as a fact nothing vouches for.
func unverified(e channels.Event) channels.Event {
	e.Unverified = true
	return e
}

func TestUnverifiedEvents(t *testing.T) {
	const a, b = "a@example.org", "b@example.org"
	sentToA := Message{Tenant: channels.DefaultTenant, Channel: channels.Email, MessageID: "m1", Recipient: a,
		Campaign: "c1", Domain: "example.org", SentAt: t0.Add(-time.Hour), Status: StatusPending}
	unsent := sentToA
	unsent.SentAt = time.Time{}
	hour := t0.Truncate(time.Hour)
	sendBucket := BucketKey{channels.DefaultTenant, channels.Email, "c1", "example.org", "", t0.Add(-time.Hour)}
	trustBucket := BucketKey{Tenant: channels.DefaultTenant, Channel: channels.Email, Hour: hour}
	tests := []struct {
		name     string
		messages map[MessageKey]Message
		events   []channels.Event
		// want: the recipient states, the buckets, whether a message and
		// an incident changed.
		states    map[string]channels.State
		buckets   map[BucketKey]Counts
		changed   int
		incidents int
	}{
		{"hard bounce naming anyone: nothing changes, counted unverified", nil,
			[]channels.Event{unverified(ev(channels.Failed, "m1", b, 0, "hard/user_unknown"))},
			map[string]channels.State{b: channels.StateActive}, map[BucketKey]Counts{trustBucket: {Unverified: 1}}, 0, 0},
		{"complaint naming anyone: no quarantine", nil,
			[]channels.Event{unverified(ev(channels.Complaint, "m1", b, 0, ""))},
			map[string]channels.State{b: channels.StateActive}, map[BucketKey]Counts{trustBucket: {Unverified: 1}}, 0, 0},
		{"five soft bounces: no count toward the threshold, no suspension", nil,
			[]channels.Event{
				unverified(ev(channels.Failed, "m1", b, 0, "soft/filtered")), unverified(ev(channels.Failed, "m2", b, 1, "soft/filtered")),
				unverified(ev(channels.Failed, "m3", b, 2, "soft/filtered")), unverified(ev(channels.Failed, "m4", b, 3, "soft/filtered")),
				unverified(ev(channels.Failed, "m5", b, 4, "soft/filtered"))},
			map[string]channels.State{b: channels.StateActive}, map[BucketKey]Counts{trustBucket: {Unverified: 5}}, 0, 0},
		{"sender-side reason: no incident", nil,
			[]channels.Event{unverified(ev(channels.Failed, "m1", b, 0, "soft/bad_reputation"))},
			map[string]channels.State{b: channels.StateActive}, map[BucketKey]Counts{trustBucket: {Unverified: 1}}, 0, 0},
		{"message sent to another recipient: no join", map[MessageKey]Message{{channels.DefaultTenant, channels.Email, "m1", a}: sentToA},
			[]channels.Event{unverified(ev(channels.Failed, "m1", b, 0, "hard/user_unknown"))},
			map[string]channels.State{a: channels.StateActive, b: channels.StateActive}, map[BucketKey]Counts{trustBucket: {Unverified: 1}}, 0, 0},
		{"message known but never sent: no join", map[MessageKey]Message{{channels.DefaultTenant, channels.Email, "m1", a}: unsent},
			[]channels.Event{unverified(ev(channels.Failed, "m1", a, 0, "hard/user_unknown"))},
			map[string]channels.State{a: channels.StateActive}, map[BucketKey]Counts{trustBucket: {Unverified: 1}}, 0, 0},
		{"another tenant's send: no join", map[MessageKey]Message{{"acme", channels.Email, "m1", a}: sentToA},
			[]channels.Event{unverified(ev(channels.Failed, "m1", a, 0, "hard/user_unknown"))},
			map[string]channels.State{a: channels.StateActive}, map[BucketKey]Counts{trustBucket: {Unverified: 1}}, 0, 0},
		{"joins its send to its recipient: acts", map[MessageKey]Message{{channels.DefaultTenant, channels.Email, "m1", a}: sentToA},
			[]channels.Event{unverified(ev(channels.Failed, "m1", a, 0, "hard/user_unknown"))},
			map[string]channels.State{a: channels.StateQuarantined}, map[BucketKey]Counts{sendBucket: {Hard: 1}}, 1, 0},
		{"joins a send of the same batch: acts", nil,
			[]channels.Event{ev(channels.Sent, "m1", a, 0, ""), unverified(ev(channels.Failed, "m1", a, 5, "hard/user_unknown"))},
			map[string]channels.State{a: channels.StateQuarantined}, map[BucketKey]Counts{{channels.DefaultTenant, channels.Email, "c1", "example.org", "", hour}: {Sent: 1, Hard: 1}}, 1, 0},
		{"a verified event acts as before", nil,
			[]channels.Event{ev(channels.Failed, "m1", b, 0, "hard/user_unknown")},
			map[string]channels.State{b: channels.StateQuarantined}, map[BucketKey]Counts{}, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := Decide(seedPolicy(), verdictOf{}, Snapshot{Events: tc.events, Messages: tc.messages})
			if len(p.Applied) != len(tc.events) {
				t.Errorf("%d verdicts for %d events: an unverified event is still classified", len(p.Applied), len(tc.events))
			}
			for addr, want := range tc.states {
				if got := recipientOf(p, addr).State; got != want {
					t.Errorf("%s: state %s, want %s", addr, got, want)
				}
			}
			if diff := cmp.Diff(tc.buckets, p.Buckets); diff != "" {
				t.Errorf("buckets (-want +got):\n%s", diff)
			}
			if len(p.Messages) != tc.changed || len(p.Incidents) != tc.incidents || (tc.changed == 0 && len(p.Retries) > 0) {
				t.Errorf("%d messages, %d incidents, %d retries; want %d, %d", len(p.Messages), len(p.Incidents), len(p.Retries), tc.changed, tc.incidents)
			}
		})
	}
}

func TestJoinsSend(t *testing.T) {
	t.Parallel()
	sent := Message{Tenant: channels.DefaultTenant, Channel: channels.Email, MessageID: "m1", Recipient: "a@example.org", SentAt: t0}
	ms := map[MessageKey]Message{{channels.DefaultTenant, channels.Email, "m1", "a@example.org"}: sent}
	for _, tc := range []struct {
		name string
		e    channels.Event
		want bool
	}{
		{"its recipient", ev(channels.Failed, "m1", "a@example.org", 0, "hard/x"), true},
		{"another recipient", ev(channels.Failed, "m1", "b@example.org", 0, "hard/x"), false},
		{"no message id", ev(channels.Failed, "", "a@example.org", 0, "hard/x"), false},
		{"another message", ev(channels.Failed, "m2", "a@example.org", 0, "hard/x"), false},
	} {
		if got := JoinsSend(ms, tc.e); got != tc.want {
			t.Errorf("%s: JoinsSend = %v, want %v", tc.name, got, tc.want)
		}
	}
}
