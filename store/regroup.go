package store

import (
	"cmp"
	"slices"
	"time"

	"github.com/rebond/rebond/channels"
)

// Regroup sums rows whose keys become equal once relabel rewrote them (a
// domain replaced by its mailbox provider, say), and derives the sums'
// rates, intervals and volume flags again: a rate of sums is not a sum of
// rates. Rows come out ordered by channel, campaign, provider, domain,
// route and bucket, like those of Rates. Grouping stays out of SQL when its mapping
// is configuration rather than data.
func Regroup(rows []RateRow, relabel func(*RateRow), minVolume int64) []RateRow {
	type key struct {
		ch                                channels.Channel
		campaign, provider, domain, route string
		bucket                            time.Time
	}
	sums := map[key]*RateRow{}
	var keys []key
	for _, r := range rows {
		relabel(&r)
		k := key{ch: r.Channel, campaign: r.Campaign, provider: r.Provider, domain: r.Domain, route: r.Route}
		if r.Bucket != nil {
			k.bucket = *r.Bucket
		}
		s := sums[k]
		if s == nil {
			s = &RateRow{Channel: r.Channel, Campaign: r.Campaign, Provider: r.Provider, Domain: r.Domain, Route: r.Route, Bucket: r.Bucket}
			sums[k] = s
			keys = append(keys, k)
		}
		s.Sent, s.Delivered, s.Soft, s.Hard, s.Complaints = s.Sent+r.Sent, s.Delivered+r.Delivered, s.Soft+r.Soft, s.Hard+r.Hard, s.Complaints+r.Complaints
		s.Unsubscribed += r.Unsubscribed
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.ch, b.ch), cmp.Compare(a.campaign, b.campaign), cmp.Compare(a.provider, b.provider),
			cmp.Compare(a.domain, b.domain), cmp.Compare(a.route, b.route), a.bucket.Compare(b.bucket))
	})
	out := make([]RateRow, len(keys))
	for i, k := range keys {
		out[i] = *sums[k]
		out[i].finish(minVolume)
	}
	return out
}
