package ui

import (
	"html/template"
	"net/http"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
	"github.com/rebond/rebond/ui/chart"
)

// reasonRow is one reason of a channel's breakdown.
type reasonRow struct {
	store.ReasonCount
	// Share is the reason's part of the channel's failure events.
	Share float64
	// Activity links to the events behind the row (the Activity page).
	Activity string
}

// reasonGroup is one channel's reasons breakdown.
type reasonGroup struct {
	Channel channels.Channel
	Rows    []reasonRow
	Events  int64
	Chart   template.HTML
}

// groupReasons splits reason counts by channel, for the channels shown,
// and draws each channel's top bars.
func groupReasons(counts []store.ReasonCount, shown []channels.Channel, bars int) []reasonGroup {
	var out []reasonGroup
	for _, ch := range shown {
		g := reasonGroup{Channel: ch}
		for _, c := range counts {
			if c.Channel == ch {
				g.Rows = append(g.Rows, reasonRow{ReasonCount: c})
				g.Events += c.Events
			}
		}
		var bs []chart.Bar
		for i := range g.Rows {
			row := &g.Rows[i]
			row.Share = ratio(row.Events, g.Events)
			if i < bars {
				bs = append(bs, chart.Bar{Label: row.Reason, Value: float64(row.Events), Color: outcomeColor(row.Outcome),
					Tip: row.Reason + " (" + row.Outcome + "): " + count(row.Events) + " events, " + count(row.Messages) +
						" messages, " + count(row.Recipients) + " recipients"})
			}
		}
		g.Chart = hbars(chart.HBars{Title: channelName(ch) + ": failures by reason", Bars: bs,
			Unit: "failure and complaint events", Empty: "No failures in this range"})
		out = append(out, g)
	}
	return out
}

type reasonsData struct {
	Groups []reasonGroup
}

// reasons breaks the range's failures and complaints down by reason.
func (h *Handler) reasons(r *http.Request, v *view) (string, error) {
	v.Title, v.Active, v.Picker, v.Channels = "Reasons for failures", "reasons", true, true
	f := v.Filter
	counts, err := h.reader.Reasons(r.Context(), store.ReasonsQuery{Channel: f.Channel, From: f.From, To: f.To, Limit: 200})
	if err != nil {
		return "", err
	}
	groups := groupReasons(counts, shownChannels(f), 15)
	linkReasons(groups, v)
	v.Data = reasonsData{Groups: groups}
	return "reasons", nil
}

// linkReasons links every reason row to its events in the Activity page,
// over the page's range, with the filters kv besides the channel, reason
// and outcome (the campaign page adds its campaign).
func linkReasons(groups []reasonGroup, v *view, kv ...string) {
	for _, g := range groups {
		for i := range g.Rows {
			r := &g.Rows[i]
			r.Activity = v.ActivityLink(append([]string{"channel", string(r.Channel), "reason", r.Reason, "outcome", r.Outcome}, kv...)...)
		}
	}
}
