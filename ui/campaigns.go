package ui

import (
	"cmp"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// maxCampaignRows bounds the campaigns table.
const maxCampaignRows = 500

// campaignRow is one line of the campaigns table.
type campaignRow struct {
	Channel channels.Channel
	Name    string
	Total   tally
	Low     bool
	Spark   template.HTML
}

// campaignSorts are the orders of the campaigns table, by column.
var campaignSorts = map[string]func(a, b campaignRow) int{
	"sent": func(a, b campaignRow) int { return cmp.Compare(b.Total.Sent, a.Total.Sent) },
	"soft": func(a, b campaignRow) int { return cmpRate(a.Total.SoftRate(), b.Total.SoftRate()) },
	"hard": func(a, b campaignRow) int { return cmpRate(a.Total.HardRate(), b.Total.HardRate()) },
	"unsub": func(a, b campaignRow) int {
		return cmpRate(a.Total.UnsubscribeRate(), b.Total.UnsubscribeRate())
	},
	"name": func(a, b campaignRow) int { return strings.Compare(a.Name, b.Name) },
}

// cmpRate orders rates highest first, rows with no rate last.
func cmpRate(a, b float64) int {
	switch {
	case math.IsNaN(a) && math.IsNaN(b):
		return 0
	case math.IsNaN(a):
		return 1
	case math.IsNaN(b):
		return -1
	}
	return cmp.Compare(b, a)
}

type campaignsData struct {
	Rows      []campaignRow
	Sort      string
	Truncated int
}

// campaigns lists the campaigns of the range with their rates and trends.
func (h *Handler) campaigns(r *http.Request, v *view) (string, error) {
	v.Title, v.Active, v.Picker, v.Channels = "Campaigns", "campaigns", true, true
	f := v.Filter
	rows, err := h.reader.Rates(r.Context(), store.RatesQuery{Channel: f.Channel, From: f.From, To: f.To,
		GroupBy: []string{"campaign", groupBy(f)}})
	if err != nil {
		return "", err
	}
	type key struct {
		ch   channels.Channel
		name string
	}
	lines := map[key]*timeline{}
	totals := map[key]*tally{}
	for _, row := range rows {
		k := key{row.Channel, row.Campaign}
		if lines[k] == nil {
			lines[k], totals[k] = newTimeline(f), &tally{}
		}
		lines[k].add(row)
		totals[k].add(row)
	}
	d := campaignsData{Sort: r.URL.Query().Get("sort")}
	if campaignSorts[d.Sort] == nil {
		d.Sort = "sent"
	}
	v.Keep.Set("sort", d.Sort)
	for k, t := range totals {
		d.Rows = append(d.Rows, campaignRow{Channel: k.ch, Name: k.name, Total: *t, Low: t.Sent < h.cfg.MinVolume})
	}
	order := campaignSorts[d.Sort]
	slices.SortFunc(d.Rows, func(a, b campaignRow) int {
		return cmp.Or(order(a, b), strings.Compare(a.Name, b.Name), strings.Compare(string(a.Channel), string(b.Channel)))
	})
	if len(d.Rows) > maxCampaignRows {
		d.Truncated = len(d.Rows) - maxCampaignRows
		d.Rows = d.Rows[:maxCampaignRows]
	}
	for i := range d.Rows {
		row := &d.Rows[i]
		row.Spark = sparkline("Soft and hard rates of "+campaignName(row.Name), lines[key{row.Channel, row.Name}])
	}
	v.Data = d
	return "campaigns", nil
}

// campaignName is how a campaign is shown: events without one are
// grouped as "(no campaign)".
func campaignName(name string) string {
	if name == "" {
		return "(no campaign)"
	}
	return name
}

type campaignData struct {
	Name      string
	Total     tally
	RateChart template.HTML
	Volume    template.HTML
	Domains   domainList
	Reasons   []reasonGroup
	NoReasons string
}

// maxNameLen bounds a campaign name read from the URL.
const maxNameLen = 512

// campaign shows one campaign: its totals, daily rates and volume, its
// worst recipient domains and the reasons of its failures.
func (h *Handler) campaign(r *http.Request, v *view) (string, error) {
	v.Active, v.Picker = "campaigns", true
	f := v.Filter
	q := r.URL.Query()
	name := q.Get("name")
	if f.Channel == "" || !q.Has("name") || len(name) > maxNameLen {
		return "", badRequest("Choose a campaign in the campaigns list: this link names no campaign and channel.")
	}
	v.Keep.Set("name", name)
	v.Title = campaignName(name)
	ctx := r.Context()
	// Rates treats an empty campaign as "any", so the rows are keyed by
	// campaign and only the campaign's own are kept.
	rows, err := h.reader.Rates(ctx, store.RatesQuery{Channel: f.Channel, Campaign: name, From: f.From, To: f.To,
		GroupBy: []string{"campaign", groupBy(f)}})
	if err != nil {
		return "", err
	}
	d := campaignData{Name: name}
	tl := newTimeline(f)
	for _, row := range rows {
		if row.Campaign == name {
			tl.add(row)
			d.Total.add(row)
		}
	}
	label := channelName(f.Channel) + " campaign " + campaignName(name)
	d.RateChart = rateChart(label+": soft and hard rates", tl, f)
	d.Volume = volumeChart(label+": messages sent", tl, f)
	if f.Channel == channels.Email {
		// A campaign reaches fewer messages per domain than all traffic
		// does: its default minimum is a fifth of the dashboard's.
		def := max(1, h.cfg.MinVolume/5)
		minSent := minVolume(q, def)
		if minSent != def {
			v.Keep.Set("min", strconv.FormatInt(minSent, 10))
		}
		domains, err := h.reader.Rates(ctx, store.RatesQuery{Channel: f.Channel, Campaign: name, From: f.From, To: f.To,
			GroupBy: []string{"campaign", "domain"}})
		if err != nil {
			return "", err
		}
		d.Domains = worstDomains(domains, &name, minSent, 20)
	}
	if name == "" {
		d.NoReasons = "Failure reasons are listed per campaign only for named campaigns; see the reasons page for all failures."
	} else {
		reasons, err := h.reader.Reasons(ctx, store.ReasonsQuery{Channel: f.Channel, Campaign: name, From: f.From, To: f.To, Limit: 20})
		if err != nil {
			return "", err
		}
		d.Reasons = groupReasons(reasons, []channels.Channel{f.Channel}, 12)
		linkReasons(d.Reasons, v, "campaign", name)
	}
	v.Data = d
	return "campaign", nil
}
