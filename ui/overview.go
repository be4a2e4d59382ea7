package ui

import (
	"html/template"
	"net/http"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// channelSummary is one channel's block on the overview.
type channelSummary struct {
	Channel channels.Channel
	Total   tally
	// Before is the same-length period just before the range, to compare
	// the headline rates with.
	Before                 tally
	RateChart, VolumeChart template.HTML
	Empty                  bool
}

// Delta compares the soft or hard rate with the previous period's; ""
// when either period sent nothing.
func (c channelSummary) Delta(which string) string {
	now, before := c.Total.SoftRate(), c.Before.SoftRate()
	if which == "hard" {
		now, before = c.Total.HardRate(), c.Before.HardRate()
	}
	if c.Before.Sent == 0 || c.Total.Sent == 0 {
		return ""
	}
	switch {
	case pct(now) == pct(before):
		return "same as the period before"
	case now > before:
		return "up from " + pct(before) + " the period before"
	}
	return "down from " + pct(before) + " the period before"
}

type overviewData struct {
	Channels []channelSummary
	// Alerts are the active rate alerts, shown above the charts.
	Alerts []alertLine
}

// shownChannels are the channels a filter covers.
func shownChannels(f filter) []channels.Channel {
	if f.Channel != "" {
		return []channels.Channel{f.Channel}
	}
	return []channels.Channel{channels.Email, channels.SMS}
}

// overview shows, per channel, the headline numbers of the range, the
// soft and hard rates over time and the volume sent.
func (h *Handler) overview(r *http.Request, v *view) (string, error) {
	v.Title, v.Active, v.Picker, v.Channels = "Overview", "overview", true, true
	f := v.Filter
	rows, err := h.reader.Rates(r.Context(), store.RatesQuery{Channel: f.Channel, From: f.From, To: f.To,
		GroupBy: []string{groupBy(f)}})
	if err != nil {
		return "", err
	}
	span := f.To.Sub(f.From)
	before, err := h.reader.Rates(r.Context(), store.RatesQuery{Channel: f.Channel, From: f.From.Add(-span), To: f.From})
	if err != nil {
		return "", err
	}
	var d overviewData
	if d.Alerts, err = h.activeAlerts(r.Context(), f); err != nil {
		return "", err
	}
	for _, ch := range shownChannels(f) {
		tl := newTimeline(f)
		s := channelSummary{Channel: ch}
		for _, row := range rows {
			if row.Channel == ch {
				tl.add(row)
				s.Total.add(row)
			}
		}
		for _, row := range before {
			if row.Channel == ch {
				s.Before.add(row)
			}
		}
		s.Empty = s.Total.Sent == 0
		name := channelName(ch)
		s.RateChart = rateChart(name+": soft and hard rates", tl, f)
		s.VolumeChart = volumeChart(name+": messages sent", tl, f)
		d.Channels = append(d.Channels, s)
	}
	v.Data = d
	return "overview", nil
}
