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
// messages sent, highest hard rate first. The SMS pages list countries and
// carriers the same way (worstBy); Head and Nouns name what is listed.
type domainList struct {
	Rows []domainRow
	Min  int64
	// Head heads the table's first column; Noun and Nouns name one and
	// several of what is listed, Medium what was sent to them.
	Head, Noun, Nouns, Medium string
	// Hidden counts the domains below the minimum; Total all domains.
	Hidden, Total int
	Chart         template.HTML
}

// worstDomains adds rate rows up per domain (store.Rates keys rows by
// campaign too) and keeps the limit worst of those with at least min
// messages sent. A non-nil campaign keeps only that campaign's rows
// (Rates reads an empty campaign as "every campaign").
func worstDomains(rows []store.RateRow, campaign *string, minSent int64, limit int) domainList {
	return worstBy(rows, campaign, minSent, limit, listing{head: "Domain", noun: "domain", nouns: "domains", medium: "email",
		key: func(r store.RateRow) string { return r.Domain }})
}

// listing says what a worst-of list ranks: its rows' key and its words.
type listing struct {
	head, noun, nouns, medium string
	key                       func(store.RateRow) string
}

// worstBy is worstDomains for any key of the rows: what l.key names
// (rows whose key is empty are left out).
func worstBy(rows []store.RateRow, campaign *string, minSent int64, limit int, l listing) domainList {
	byDomain := map[string]*tally{}
	for _, r := range rows {
		k := l.key(r)
		if k == "" || (campaign != nil && r.Campaign != *campaign) {
			continue
		}
		if byDomain[k] == nil {
			byDomain[k] = &tally{}
		}
		byDomain[k].add(r)
	}
	return rank(byDomain, minSent, limit, l)
}

// rank keeps the limit worst of the tallies with at least minSent
// messages, and charts the ten worst.
func rank(byDomain map[string]*tally, minSent int64, limit int, words listing) domainList {
	l := domainList{Min: minSent, Total: len(byDomain), Head: words.head, Noun: words.noun, Nouns: words.nouns, Medium: words.medium}
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
	l.Chart = hbars(chart.HBars{Title: "Hard rate of the worst " + words.nouns, Bars: bars, Value: pct,
		Unit: "hard rate, % of messages sent to the " + words.noun, Empty: "No " + words.noun + " received enough messages"})
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
