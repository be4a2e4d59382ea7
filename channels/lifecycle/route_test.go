package lifecycle

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

// TestRoutes: a delivery's route is the first provider an event of it
// names; its counts follow the route once, exactly, and never again.
func TestRoutes(t *testing.T) {
	const num, a, b = "447700900001", "a@example.org", "b@example.org"
	// sms builds an SMS event of message m through provider at t0+min.
	sms := func(typ channels.Type, provider string, min int, verdict string) channels.Event {
		e := ev(typ, "m", num, min, verdict)
		e.Channel, e.Provider = channels.SMS, provider
		return e
	}
	via := func(e channels.Event, provider string) channels.Event { e.Provider = provider; return e }
	bucket := func(route string) BucketKey {
		return BucketKey{channels.DefaultTenant, channels.SMS, "c1", "GB", route, t0} // the number's country
	}
	emailBucket := func(route string, hour time.Time) BucketKey {
		return BucketKey{channels.DefaultTenant, channels.Email, "c1", "example.org", route, hour}
	}
	stored := func(route string, s Status, complained bool) map[MessageKey]Message {
		return map[MessageKey]Message{{channels.DefaultTenant, channels.SMS, "m", num}: {Tenant: channels.DefaultTenant, Channel: channels.SMS,
			MessageID: "m", Recipient: num, Campaign: "c1", Domain: "GB", Route: route, SentAt: t0, Status: s, Complained: complained}}
	}
	unsent := map[MessageKey]Message{{channels.DefaultTenant, channels.SMS, "m", num}: {Tenant: channels.DefaultTenant, Channel: channels.SMS,
		MessageID: "m", Recipient: num, Campaign: "c1", Domain: "GB", Route: "kannel", Status: StatusHard}}
	sentToA := map[MessageKey]Message{{channels.DefaultTenant, channels.Email, "m", a}: {Tenant: channels.DefaultTenant, Channel: channels.Email,
		MessageID: "m", Recipient: a, Campaign: "c1", Domain: "example.org", SentAt: t0.Add(-time.Hour), Status: StatusPending}}
	tests := []struct {
		name     string
		messages map[MessageKey]Message
		events   []channels.Event
		route    string // the delivery's route after the batch ("-": no delivery changed)
		buckets  map[BucketKey]Counts
	}{
		{"sent without provider, then a gateway's receipt in the same batch: counted once, in the route's bucket", nil,
			[]channels.Event{sms(channels.Sent, "", 0, ""), sms(channels.Failed, "smpp:gw1", 1, "hard/unknown_subscriber")},
			"smpp:gw1", map[BucketKey]Counts{bucket("smpp:gw1"): {Sent: 1, Hard: 1}}},
		{"sent counted earlier without provider, then the receipt: the send moves to the route's bucket", stored("", StatusPending, false),
			[]channels.Event{sms(channels.Delivered, "smpp:gw1", 1, "")},
			"smpp:gw1", map[BucketKey]Counts{bucket(""): {Sent: -1}, bucket("smpp:gw1"): {Sent: 1, Delivered: 1}}},
		{"what a counted delivery counts moves whole: send, status and complaint", stored("", StatusSoft, true),
			[]channels.Event{sms(channels.Delivered, "kannel", 90, "")},
			"kannel", map[BucketKey]Counts{
				bucket(""):       {Sent: -1, Soft: -1, Complaints: -1},
				bucket("kannel"): {Sent: 1, Delivered: 1, Complaints: 1}}},
		{"receipt first, then sent without provider: counted in the receipt's route", nil,
			[]channels.Event{sms(channels.Failed, "kannel", 0, "hard/unknown_subscriber"), sms(channels.Sent, "", 1, "")},
			"kannel", map[BucketKey]Counts{bucket("kannel"): {Sent: 1, Hard: 1}}},
		{"receipt stored before its send, then sent naming another provider: the receipt's route stays", unsent,
			[]channels.Event{sms(channels.Sent, "twilio", 1, "")},
			"kannel", map[BucketKey]Counts{bucket("kannel"): {Sent: 1, Hard: 1}}},
		{"sent naming its provider: counted there at once", nil,
			[]channels.Event{sms(channels.Sent, "twilio", 0, "")},
			"twilio", map[BucketKey]Counts{bucket("twilio"): {Sent: 1}}},
		{"two providers in one batch: the first sets the route, the second moves nothing", nil,
			[]channels.Event{sms(channels.Sent, "", 0, ""), sms(channels.Failed, "smpp:gw1", 1, "soft/absent_subscriber"),
				sms(channels.Delivered, "kannel", 2, "")},
			"smpp:gw1", map[BucketKey]Counts{bucket("smpp:gw1"): {Sent: 1, Delivered: 1}}},
		{"a stored route stays when another provider reports", stored("smpp:gw1", StatusPending, false),
			[]channels.Event{sms(channels.Delivered, "kannel", 1, "")},
			"smpp:gw1", map[BucketKey]Counts{bucket("smpp:gw1"): {Delivered: 1}}},
		{"a receipt naming no provider learns no route", stored("", StatusPending, false),
			[]channels.Event{sms(channels.Delivered, "", 1, "")},
			"", map[BucketKey]Counts{bucket(""): {Delivered: 1}}},
		{"a second sent naming a provider teaches the route of a delivery counted without", stored("", StatusPending, false),
			[]channels.Event{sms(channels.Sent, "twilio", 1, "")},
			"twilio", map[BucketKey]Counts{bucket(""): {Sent: -1}, bucket("twilio"): {Sent: 1}}},
		{"an unverified event that joins no send moves no route; its count has its provider's route", sentToA,
			[]channels.Event{unverified(via(ev(channels.Failed, "m", b, 0, "hard/user_unknown"), "bounce-mail"))},
			"-", map[BucketKey]Counts{{Tenant: channels.DefaultTenant, Channel: channels.Email, Route: "bounce-mail", Hour: t0}: {Unverified: 1}}},
		{"an unverified event that joins its send acts, its route included", sentToA,
			[]channels.Event{unverified(via(ev(channels.Failed, "m", a, 0, "hard/user_unknown"), "ses"))},
			"ses", map[BucketKey]Counts{
				emailBucket("", t0.Add(-time.Hour)):    {Sent: -1},
				emailBucket("ses", t0.Add(-time.Hour)): {Sent: 1, Hard: 1}}},
		{"a returned mail (bounce, auto-reply) is no route: it counts where its send is", sentToA,
			[]channels.Event{via(ev(channels.Failed, "m", a, 0, "hard/user_unknown"), "bounce-mail"),
				via(ev(channels.Failed, "m", a, 1, "hard/user_unknown"), "auto-reply")},
			"", map[BucketKey]Counts{emailBucket("", t0.Add(-time.Hour)): {Hard: 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := Decide(seedPolicy(), verdictOf{}, Snapshot{Events: tc.events, Messages: tc.messages})
			if diff := cmp.Diff(tc.buckets, p.Buckets); diff != "" {
				t.Errorf("buckets (-want +got):\n%s", diff)
			}
			switch {
			case tc.route == "-" && len(p.Messages) != 0:
				t.Errorf("messages %+v, want none changed", p.Messages)
			case tc.route != "-" && (len(p.Messages) != 1 || p.Messages[0].Route != tc.route):
				t.Errorf("messages %+v, want one with route %q", p.Messages, tc.route)
			}
		})
	}
}

// TestRouteMovesOnceAcrossBatches: the batches of one delivery, applied
// one after the other, leave its counts in its route's bucket only, and
// the bucket it left at zero.
func TestRouteMovesOnceAcrossBatches(t *testing.T) {
	const num = "447700900001"
	batches := [][]channels.Event{
		{smsFailure("m", "", 0, "soft/absent_subscriber")},
		{ev(channels.Sent, "m", num, 1, "")},
		{smsFailure("m", "smpp:gw1", 2, "soft/absent_subscriber")},
		{smsFailure("m", "kannel", 3, "hard/unknown_subscriber")},
	}
	batches[1][0].Channel = channels.SMS
	messages := map[MessageKey]Message{}
	total := map[BucketKey]Counts{}
	for _, events := range batches {
		p := Decide(seedPolicy(), verdictOf{}, Snapshot{Events: events, Messages: messages})
		for _, m := range p.Messages {
			messages[m.Key()] = m
		}
		for k, c := range p.Buckets {
			total[k] = total[k].Add(c)
		}
	}
	key := func(route string) BucketKey {
		return BucketKey{channels.DefaultTenant, channels.SMS, "c1", "GB", route, t0}
	}
	want := map[BucketKey]Counts{key(""): {}, key("smpp:gw1"): {Sent: 1, Hard: 1}}
	if diff := cmp.Diff(want, total); diff != "" {
		t.Errorf("buckets summed over the batches (-want +got):\n%s", diff)
	}
}
