package ui

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/ui/chart"
)

// count renders a count with thousands separators.
func count(n int64) string { return chart.Count(float64(n)) }

// pct renders a rate for tables and headlines with a fixed precision per
// magnitude (two decimals below 10%, so 0.42% and 2.15% line up), or "–"
// when there is no rate (nothing sent).
func pct(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "–"
	case v == 0:
		return "0%"
	case v < 0.1:
		return fmt.Sprintf("%.2f%%", v*100)
	}
	return fmt.Sprintf("%.1f%%", v*100)
}

// interval describes a rate's 95% interval for a tooltip.
func interval(iv channels.Interval, k, n int64) string {
	if n <= 0 {
		return "nothing sent"
	}
	return fmt.Sprintf("%s of %s sent · 95%% interval %s to %s", count(k), count(n), pct(iv.Low), pct(iv.High))
}

// day and moment render times in UTC, the dashboard's one time zone
// (rate buckets are UTC hours).
func day(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

func moment(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// momentPtr renders an optional time, or the text for none.
func momentPtr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return moment(*t)
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"count":        count,
	"pct":          pct,
	"interval":     interval,
	"day":          day,
	"moment":       moment,
	"momentp":      momentPtr,
	"reason":       reasonText,
	"state":        stateText,
	"outcome":      outcomeText,
	"isoDay":       func(t time.Time) string { return t.UTC().Format(dayLayout) },
	"channel":      channelName,
	"int64":        func(n int) int64 { return int64(n) },
	"isCode":       isCode,
	"campaign":     campaignName,
	"outcomeColor": outcomeColor,
	"source":       sourceText,
	"scope":        scopeText,
}

// channelName is a channel as people write it.
func channelName(ch any) string {
	switch fmt.Sprint(ch) {
	case "email":
		return "Email"
	case "sms":
		return "SMS"
	case "":
		return "Email and SMS"
	}
	return fmt.Sprint(ch)
}

// isCode reports whether a reason is a vocabulary code (shown in code
// style with its meaning) rather than an operator's free text.
func isCode(reason string) bool {
	return reason != "" && !strings.ContainsAny(reason, " :")
}
