package ui

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// fakeReader serves a fixed data set the way the store would: Rates sums
// hourly rows by the requested groups (campaign always part of the key).
type fakeReader struct {
	hours      []store.RateRow // one row per channel, campaign, domain and hour
	reasons    []store.ReasonCount
	recipients map[string]store.RecipientView // key: channel + " " + address
	denied     map[string]store.Exclusion
	events     map[string][]store.EventVerdict
	err        error
	queries    []store.RatesQuery
	tenants    []string // channels.Tenant of each Rates call
	released   []string // "channel address reason actor"
	known      []string // KnownTenants' answer
}

func (f *fakeReader) KnownTenants(context.Context) ([]string, error) { return f.known, nil }

func (f *fakeReader) Rates(ctx context.Context, q store.RatesQuery) ([]store.RateRow, error) {
	f.queries = append(f.queries, q)
	f.tenants = append(f.tenants, channels.Tenant(ctx))
	if f.err != nil {
		return nil, f.err
	}
	type key struct {
		ch                              channels.Channel
		campaign, dom, country, carrier string
		bucket                          time.Time
	}
	sums := map[key]*store.RateRow{}
	for _, r := range f.hours {
		if (q.Channel != "" && r.Channel != q.Channel) || (q.Campaign != "" && r.Campaign != q.Campaign) ||
			(!q.From.IsZero() && r.Bucket.Before(q.From)) || (!q.To.IsZero() && !r.Bucket.Before(q.To)) {
			continue
		}
		// The store's keys: the channel and the groups asked, campaign
		// when none is, a campaign filtered on named on its rows.
		k := key{ch: r.Channel}
		if len(q.GroupBy) == 0 || q.Campaign != "" {
			k.campaign = r.Campaign
		}
		for _, g := range q.GroupBy {
			switch g {
			case "campaign":
				k.campaign = r.Campaign
			case "domain":
				k.dom = r.Domain
			case "country", "carrier": // the SMS network key, as the store reads it
				if r.Channel == channels.SMS {
					country, carrier := channels.SplitNetwork(r.Domain)
					if g == "country" {
						k.country = cmp.Or(country, "unknown")
					} else {
						k.carrier = cmp.Or(carrier, "unknown")
					}
				}
			case "hour":
				k.bucket = *r.Bucket
			case "day":
				k.bucket = r.Bucket.Truncate(24 * time.Hour)
			}
		}
		s := sums[k]
		if s == nil {
			s = &store.RateRow{Channel: k.ch, Campaign: k.campaign, Domain: k.dom, Country: k.country, Carrier: k.carrier}
			if !k.bucket.IsZero() {
				b := k.bucket
				s.Bucket = &b
			}
			sums[k] = s
		}
		s.Sent += r.Sent
		s.Delivered += r.Delivered
		s.Soft += r.Soft
		s.Hard += r.Hard
		s.Complaints += r.Complaints
		s.Unsubscribed += r.Unsubscribed
		s.Unverified += r.Unverified
	}
	out := []store.RateRow{}
	for _, s := range sums {
		s.Pending = s.Sent - s.Delivered - s.Soft - s.Hard
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b store.RateRow) int {
		return cmp.Or(cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Campaign, b.Campaign), cmp.Compare(a.Domain, b.Domain),
			cmp.Compare(a.Country, b.Country), cmp.Compare(a.Carrier, b.Carrier), cmp.Compare(bucketUnix(a), bucketUnix(b)))
	})
	return out, nil
}

func bucketUnix(r store.RateRow) int64 {
	if r.Bucket == nil {
		return 0
	}
	return r.Bucket.Unix()
}

func (f *fakeReader) Reasons(_ context.Context, q store.ReasonsQuery) ([]store.ReasonCount, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := []store.ReasonCount{}
	for _, r := range f.reasons {
		if q.Channel == "" || r.Channel == q.Channel {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeReader) Recipient(_ context.Context, ch channels.Channel, addr string) (store.RecipientView, error) {
	if f.err != nil {
		return store.RecipientView{}, f.err
	}
	v, ok := f.recipients[string(ch)+" "+addr]
	if !ok {
		return store.RecipientView{Channel: ch, Address: addr, History: []store.Transition{}}, store.ErrNotFound
	}
	return v, nil
}

func (f *fakeReader) Exclusions(_ context.Context, ch channels.Channel, addrs []string, now time.Time) ([]store.Exclusion, error) {
	if f.err != nil {
		return nil, f.err
	}
	var out []store.Exclusion
	for _, a := range addrs {
		if x, ok := f.denied[string(ch)+" "+a]; ok {
			out = append(out, x)
			continue
		}
		x := store.Exclusion{Recipient: a, State: channels.StateActive}
		if v, ok := f.recipients[string(ch)+" "+a]; ok && v.State != channels.StateActive && (v.Until == nil || v.Until.After(now)) {
			x = store.Exclusion{Recipient: a, Excluded: true, State: v.State, Reason: v.Reason, Since: v.Since, Until: v.Until}
			if len(v.History) > 0 {
				x.EventID = v.History[0].EventID
			}
		}
		out = append(out, x)
	}
	return out, nil
}

// ConsentExclusions gives an opted_out answer the source of the
// recipient's scope-all consent, as the store does.
func (f *fakeReader) ConsentExclusions(_ context.Context, _ store.ConsentCheck, xs []store.Exclusion) error {
	for i, x := range xs {
		if x.State != channels.StateOptedOut {
			continue
		}
		for _, c := range f.recipients["email "+x.Recipient].Consents {
			if c.Scope == channels.ScopeAll {
				xs[i].Scope, xs[i].Source, xs[i].EventID = c.Scope, c.Source, c.EventID
			}
		}
	}
	return nil
}

func (f *fakeReader) RecipientEvents(_ context.Context, ch channels.Channel, addr string, limit int) ([]store.EventVerdict, error) {
	if f.err != nil {
		return nil, f.err
	}
	evs := f.events[string(ch)+" "+addr]
	return evs[:min(limit, len(evs))], nil
}

// Release does what store.Store.Release does to the fake's recipients.
func (f *fakeReader) Release(_ context.Context, ch channels.Channel, addr, reason, actor string, now time.Time) error {
	if f.err != nil {
		return f.err
	}
	key := string(ch) + " " + addr
	v, ok := f.recipients[key]
	if !ok || v.State == channels.StateActive {
		return store.ErrNotFound
	}
	f.released = append(f.released, key+" "+reason+" "+actor)
	v.History = append([]store.Transition{{At: now, From: v.State, To: channels.StateActive, Reason: "released: " + reason, Actor: actor}}, v.History...)
	v.State, v.Reason, v.Since, v.Until, v.SoftCount = channels.StateActive, "", &now, nil, 0
	f.recipients[key] = v
	return nil
}

var errFake = errors.New("fake: database down")

// demoNow is the fake clock of the handler tests: the data set covers
// the 30 days up to it.
var demoNow = time.Date(2026, 11, 22, 15, 30, 0, 0, time.UTC)

// demoCampaign is one campaign of the demo data: per day, per domain,
// messages sent and the parts of them that failed soft and hard, with a
// daily wobble so that the charts have a shape.
type demoCampaign struct {
	ch       channels.Channel
	name     string
	days     int                 // the last days it sent on
	domains  map[string][3]int64 // domain: sent, soft, hard per day
	complain int64               // complaints per day
	// unverified bounce mails per day and domain
	unverified int64
	// unsubscribed: messages per day and domain through which their
	// recipient opted out
	unsub int64
}

var demoCampaigns = []demoCampaign{
	{ch: channels.Email, name: "spring-sale", days: 30, complain: 2, unsub: 3, domains: map[string][3]int64{
		"example.com": {1000, 30, 12}, "bigmail.test": {500, 10, 30}, "corp.example": {80, 2, 1}}},
	{ch: channels.Email, name: "newsletter", days: 14, complain: 1, domains: map[string][3]int64{
		"example.com": {300, 6, 2}, "bigmail.test": {200, 3, 4}}},
	{ch: channels.Email, name: "tiny-test", days: 2, unverified: 1234, domains: map[string][3]int64{
		"example.com": {20, 1, 1}}},
	// SMS "domains" are networks (channels.Network): country, then the
	// carrier's MCC-MNC when a gateway named it. The daily wobble goes to
	// the first only (wobbleOn), so the totals stay 400, 12 and 5 a day.
	{ch: channels.SMS, name: "otp", days: 30, domains: map[string][3]int64{
		"GB/23410": {250, 7, 3}, "GB/23415": {100, 3, 1}, "FR": {50, 2, 1}}},
}

// The demo totals over the last 30 days, worked out by hand from the table
// above and the wobble (+day%5 soft, +day%3 hard on each domain of
// spring-sale and otp): the tests look for these numbers in the pages.
const (
	demoSpringSent = 30 * 1580 // 47,400
	demoTinySent   = 2 * 20    // 40
)

// wobbleOn is the one SMS network of otp whose counts wobble by day.
const wobbleOn = "GB/23410"

// newDemoReader builds the fake store's data set.
func newDemoReader() *fakeReader {
	f := &fakeReader{recipients: map[string]store.RecipientView{}, denied: map[string]store.Exclusion{},
		events: map[string][]store.EventVerdict{}}
	today := demoNow.Truncate(24 * time.Hour)
	for _, c := range demoCampaigns {
		for d := 0; d < c.days; d++ {
			hour := today.AddDate(0, 0, -d).Add(9 * time.Hour)
			for dom, n := range c.domains {
				soft, hard := n[1], n[2]
				if c.days == 30 && (c.ch == channels.Email || dom == wobbleOn) {
					soft, hard = soft+int64(d%5), hard+int64(d%3)
				}
				pending := int64(0)
				if d == 0 {
					pending = n[0] / 10 // today's messages are not all final yet
				}
				b := hour
				f.hours = append(f.hours, store.RateRow{Channel: c.ch, Campaign: c.name, Domain: dom, Bucket: &b,
					Sent: n[0], Soft: soft, Hard: hard, Delivered: n[0] - soft - hard - pending, Complaints: c.complain,
					Unverified: c.unverified, Unsubscribed: c.unsub})
			}
		}
	}
	f.reasons = []store.ReasonCount{
		{Channel: channels.Email, Outcome: "hard", Reason: "user_unknown", Events: 1234, Messages: 1200, Recipients: 1190},
		{Channel: channels.Email, Outcome: "soft", Reason: "mailbox_full", Events: 987, Messages: 640, Recipients: 600},
		{Channel: channels.Email, Outcome: "soft", Reason: "spam_detected", Events: 120, Messages: 118, Recipients: 118},
		{Channel: channels.Email, Outcome: "complaint", Reason: "complaint", Events: 61, Messages: 61, Recipients: 60},
		{Channel: channels.SMS, Outcome: "soft", Reason: "absent_subscriber", Events: 300, Messages: 290, Recipients: 280},
		{Channel: channels.SMS, Outcome: "hard", Reason: "unknown_subscriber", Events: 150, Messages: 150, Recipients: 150},
	}
	since := time.Date(2026, 11, 20, 9, 1, 2, 0, time.UTC)
	f.recipients["email ann@example.com"] = store.RecipientView{Channel: channels.Email, Address: "ann@example.com",
		State: channels.StateQuarantined, Reason: "user_unknown", Since: &since,
		History: []store.Transition{{At: since, From: "active", To: "quarantined", Reason: "user_unknown",
			Actor: "rebond:rules", EventID: "ev_0123456789abcdef0123456789abcdef", Rule: "email.status.5.1.1@1"}}}
	f.events["email ann@example.com"] = []store.EventVerdict{
		{ID: "ev_0123456789abcdef0123456789abcdef", Type: "failed", MessageID: "m-77", Campaign: "spring-sale",
			OccurredAt: since, Provider: "ses", Outcome: "hard", Reason: "user_unknown", Rule: "email.status.5.1.1@1",
			Evidence: "status=5.1.1 text=\"550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown\"", Applied: true},
		{ID: "ev_sent", Type: "sent", MessageID: "m-77", Campaign: "spring-sale", OccurredAt: since.Add(-2 * time.Second),
			Provider: "ses", Outcome: "pending", Reason: "sent", Rule: "email.sent@1", Applied: true},
	}
	until := demoNow.Add(20 * time.Hour)
	suspended := demoNow.Add(-4 * time.Hour)
	f.recipients["sms 33612345678"] = store.RecipientView{Channel: channels.SMS, Address: "33612345678",
		State: channels.StateSuspended, Reason: "absent_subscriber", SoftCount: 5, Since: &suspended, Until: &until,
		History: []store.Transition{{At: suspended, From: "active", To: "suspended", Reason: "absent_subscriber",
			Actor: "rebond:rules", EventID: "ev_sms", Rule: "sms.stat.undeliv@2"},
			{At: suspended.Add(-time.Hour), From: "active", To: "active", Reason: "absent_subscriber",
				Actor: "rebond:apply", EventID: "ev_sms_soft", Rule: "sms.stat.undeliv@2"}}}
	unsubscribed := time.Date(2026, 11, 21, 18, 30, 0, 0, time.UTC)
	f.recipients["email bob@example.com"] = store.RecipientView{Channel: channels.Email, Address: "bob@example.com",
		State: channels.StateOptedOut, Reason: "opted_out", Since: &unsubscribed,
		History: []store.Transition{{At: unsubscribed, From: "active", To: "opted_out", Reason: "opted_out",
			Actor: "consent:one-click", EventID: "ev_optout", Rule: "consent.opt_out@1", Scope: "all"}},
		Consents: []store.ConsentView{{Channel: channels.Email, Address: "bob@example.com", Scope: channels.ScopeAll, OptedOut: true,
			Since: &unsubscribed, Source: channels.SourceOneClick, EventID: "ev_optout", UpdatedAt: unsubscribed},
			{Channel: channels.Email, Address: "bob@example.com", Scope: channels.ScopeList, Name: "news",
				ConfirmedAt: &since, ConfirmIP: "192.0.2.7", ConfirmUserAgent: "Mozilla/5.0", UpdatedAt: since}}}
	f.denied["email legal@denied.example"] = store.Exclusion{Recipient: "legal@denied.example", Excluded: true,
		State: channels.StateDenylisted, Reason: "denylisted", Since: &since}
	return f
}
