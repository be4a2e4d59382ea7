package ui

import (
	"math"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// tally sums the counters of rate rows: store.Rates groups by campaign,
// and the pages add campaigns, domains or days together.
type tally struct {
	Sent, Delivered, Soft, Hard, Complaints, Pending int64
	// Unverified counts bounce mail nothing vouched for: not in any rate.
	Unverified int64
	// Unsubscribed counts the messages through which their recipient
	// opted out (store.RateRow.Unsubscribed).
	Unsubscribed int64
}

func (t *tally) add(r store.RateRow) {
	t.Sent += r.Sent
	t.Delivered += r.Delivered
	t.Soft += r.Soft
	t.Hard += r.Hard
	t.Complaints += r.Complaints
	t.Pending += r.Pending
	t.Unverified += r.Unverified
	t.Unsubscribed += r.Unsubscribed
}

func ratio(k, n int64) float64 {
	if n <= 0 {
		return math.NaN()
	}
	return float64(k) / float64(n)
}

// SoftRate, HardRate, ComplaintRate and DeliveredRate are per message
// sent, as in store.RateRow; NaN when nothing was sent.
func (t tally) SoftRate() float64      { return ratio(t.Soft, t.Sent) }
func (t tally) HardRate() float64      { return ratio(t.Hard, t.Sent) }
func (t tally) ComplaintRate() float64 { return ratio(t.Complaints, t.Sent) }
func (t tally) DeliveredRate() float64 { return ratio(t.Delivered, t.Sent) }
func (t tally) PendingRate() float64   { return ratio(t.Pending, t.Sent) }

// UnsubscribeRate is the share of the messages sent through which their
// recipient opted out; UnsubscribeTip its counts and 95% interval.
func (t tally) UnsubscribeRate() float64 { return ratio(t.Unsubscribed, t.Sent) }
func (t tally) UnsubscribeTip() string {
	return interval(channels.Wilson(t.Unsubscribed, t.Sent), t.Unsubscribed, t.Sent)
}

// SoftCI and HardCI are the rates' 95% Wilson intervals.
func (t tally) SoftCI() channels.Interval { return channels.Wilson(t.Soft, t.Sent) }
func (t tally) HardCI() channels.Interval { return channels.Wilson(t.Hard, t.Sent) }

// SoftTip and HardTip explain a rate in a tooltip: the counts behind it
// and its 95% interval.
func (t tally) SoftTip() string { return interval(t.SoftCI(), t.Soft, t.Sent) }
func (t tally) HardTip() string { return interval(t.HardCI(), t.Hard, t.Sent) }

// timeline is a tally per bucket (hour or day) of a filter's range.
type timeline struct {
	start   time.Time
	step    time.Duration
	Labels  []string
	Buckets []tally
}

func newTimeline(f filter) *timeline {
	tl := &timeline{start: f.From, step: f.Step()}
	for t := f.From; t.Before(f.To); t = t.Add(tl.step) {
		label := t.Format("2 Jan")
		if tl.step < 24*time.Hour {
			label = t.Format("2 Jan 15:04")
		}
		tl.Labels = append(tl.Labels, label)
		tl.Buckets = append(tl.Buckets, tally{})
	}
	return tl
}

// add counts a row in its bucket; rows outside the range are ignored.
func (tl *timeline) add(r store.RateRow) {
	if r.Bucket == nil {
		return
	}
	i := int(r.Bucket.Sub(tl.start) / tl.step)
	if r.Bucket.Before(tl.start) || i >= len(tl.Buckets) {
		return
	}
	tl.Buckets[i].add(r)
}

// values maps every bucket through f.
func (tl *timeline) values(f func(tally) float64) []float64 {
	out := make([]float64, len(tl.Buckets))
	for i, b := range tl.Buckets {
		out[i] = f(b)
	}
	return out
}

// empty reports whether nothing was sent in the range.
func (tl *timeline) empty() bool {
	for _, b := range tl.Buckets {
		if b.Sent > 0 {
			return false
		}
	}
	return true
}

// groupBy is the rates grouping of a filter's chart buckets.
func groupBy(f filter) string {
	if f.Hourly() {
		return "hour"
	}
	return "day"
}
