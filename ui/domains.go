package ui

import (
	"cmp"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
	"github.com/rebond/rebond/ui/chart"
)

// domainRow is one recipient domain's tally.
type domainRow struct {
	Domain string
	Total  tally
}

// domainList is the worst domains of a range: those with at least Min
// messages sent, highest hard rate first.
type domainList struct {
	Rows []domainRow
	Min  int64
	// Hidden counts the domains below the minimum; Total all domains.
	Hidden, Total int
	Chart         template.HTML
}

// worstDomains adds rate rows up per domain (store.Rates keys rows by
// campaign too) and keeps the limit worst of those with at least min
// messages sent. A non-nil campaign keeps only that campaign's rows
// (Rates reads an empty campaign as "every campaign").
func worstDomains(rows []store.RateRow, campaign *string, minSent int64, limit int) domainList {
	byDomain := map[string]*tally{}
	for _, r := range rows {
		if r.Domain == "" || (campaign != nil && r.Campaign != *campaign) {
			continue
		}
		if byDomain[r.Domain] == nil {
			byDomain[r.Domain] = &tally{}
		}
		byDomain[r.Domain].add(r)
	}
	l := domainList{Min: minSent, Total: len(byDomain)}
	for d, t := range byDomain {
		if t.Sent < minSent {
			l.Hidden++
			continue
		}
		l.Rows = append(l.Rows, domainRow{Domain: d, Total: *t})
	}
	slices.SortFunc(l.Rows, func(a, b domainRow) int {
		return cmp.Or(cmpRate(a.Total.HardRate(), b.Total.HardRate()), cmpRate(a.Total.SoftRate(), b.Total.SoftRate()),
			cmp.Compare(b.Total.Sent, a.Total.Sent), strings.Compare(a.Domain, b.Domain))
	})
	if len(l.Rows) > limit {
		l.Rows = l.Rows[:limit]
	}
	var bars []chart.Bar
	for _, r := range l.Rows[:min(len(l.Rows), 10)] {
		bars = append(bars, chart.Bar{Label: r.Domain, Value: r.Total.HardRate(), Color: colorHard,
			Tip: r.Domain + ": hard rate " + pct(r.Total.HardRate()) + " (" + interval(r.Total.HardCI(), r.Total.Hard, r.Total.Sent) + ")"})
	}
	l.Chart = hbars(chart.HBars{Title: "Hard rate of the worst domains", Bars: bars, Value: pct,
		Unit: "hard rate, % of messages sent to the domain", Empty: "No domain received enough messages"})
	return l
}

// minVolume reads the min= parameter: a positive count, def otherwise.
func minVolume(q url.Values, def int64) int64 {
	n, err := strconv.ParseInt(q.Get("min"), 10, 64)
	if err != nil || n < 1 || n > 1e9 {
		return def
	}
	return n
}

// domains lists the email recipient domains with the highest hard rates.
func (h *Handler) domains(r *http.Request, v *view) (string, error) {
	v.Title, v.Active, v.Picker = "Worst recipient domains", "domains", true
	f := v.Filter
	f.Channel = channels.Email // domains are an email notion (SMS buckets have none)
	v.Filter = f
	minSent := minVolume(r.URL.Query(), h.cfg.MinVolume)
	if minSent != h.cfg.MinVolume {
		v.Keep.Set("min", strconv.FormatInt(minSent, 10))
	}
	rows, err := h.reader.Rates(r.Context(), store.RatesQuery{Channel: channels.Email, From: f.From, To: f.To,
		GroupBy: []string{"domain"}})
	if err != nil {
		return "", err
	}
	v.Data = worstDomains(rows, nil, minSent, 100)
	return "domains", nil
}
