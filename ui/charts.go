package ui

import (
	"fmt"
	"html/template"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/ui/chart"
)

// The dashboard's colours, the same in charts, legends and badges (see
// static/style.css). Soft and hard differ in lightness as well as hue, so
// they stay apart for colour-blind readers and in grey print.
const (
	colorSoft      = "#d97706"
	colorHard      = "#b91c1c"
	colorDelivered = "#15803d"
	colorPending   = "#94a3b8"
	colorComplaint = "#7c3aed"
	colorSent      = "#2563eb"
)

// Chart sizes: the wide drawing fills half of a 1280px screen at scale
// one; the narrow one fits a phone held upright. The page shows one of
// the two (static/style.css), so the text of a chart is never shrunk
// below legibility nor blown up.
const (
	wideW, wideH     = 560, 260
	narrowW, narrowH = 340, 240
)

// responsive renders a chart at both sizes, in wrappers the stylesheet
// shows by screen width.
func responsive(draw func(width, height int) template.HTML) template.HTML {
	return `<div class="wide-only">` + draw(wideW, wideH) + `</div><div class="narrow-only">` + draw(narrowW, narrowH) + `</div>`
}

// hbars renders a horizontal bar chart at both sizes (its height follows
// from its bars).
func hbars(c chart.HBars) template.HTML {
	return responsive(func(w, _ int) template.HTML {
		c.Width = 720
		if w == narrowW {
			c.Width = narrowW
		}
		return c.SVG()
	})
}

// rateChart draws the soft and hard rates of a timeline; each point's
// tooltip gives the counts behind it and its 95% interval.
func rateChart(title string, tl *timeline, f filter) template.HTML {
	tips := func(name string, k func(tally) int64, ci func(tally) channels.Interval) []string {
		out := make([]string, len(tl.Buckets))
		for i, b := range tl.Buckets {
			if b.Sent > 0 {
				iv := ci(b)
				out[i] = fmt.Sprintf("%s rate · %s: %s (%s of %s sent; 95%% interval %s–%s)", name, tl.Labels[i],
					pct(ratio(k(b), b.Sent)), count(k(b)), count(b.Sent), pct(iv.Low), pct(iv.High))
			}
		}
		return out
	}
	c := chart.Line{
		Title: title, Labels: tl.Labels, Y: chart.Percent, MinTop: 0.01,
		YLabel: "% of messages sent", XLabel: bucketAxis(f),
		Empty: "Nothing was sent in this range",
		Series: []chart.Series{
			{Name: "Soft rate", Color: colorSoft, Values: tl.values(tally.SoftRate),
				Tips: tips("Soft", func(t tally) int64 { return t.Soft }, tally.SoftCI)},
			{Name: "Hard rate", Color: colorHard, Values: tl.values(tally.HardRate),
				Tips: tips("Hard", func(t tally) int64 { return t.Hard }, tally.HardCI)},
		},
	}
	return responsive(func(w, h int) template.HTML { c.Width, c.Height = w, h; return c.SVG() })
}

// volumeChart draws the messages sent per bucket, split by their current
// outcome (a message counts once, under its latest status).
func volumeChart(title string, tl *timeline, f filter) template.HTML {
	series := func(name, color string, k func(tally) int64) chart.Series {
		return chart.Series{Name: name, Color: color, Values: tl.values(func(t tally) float64 { return float64(k(t)) })}
	}
	c := chart.Bars{
		Title: title, Labels: tl.Labels,
		YLabel: "messages sent", XLabel: bucketAxis(f),
		Empty: "Nothing was sent in this range",
		Series: []chart.Series{
			series("Delivered", colorDelivered, func(t tally) int64 { return t.Delivered }),
			series("Pending", colorPending, func(t tally) int64 { return t.Pending }),
			series("Soft", colorSoft, func(t tally) int64 { return t.Soft }),
			series("Hard", colorHard, func(t tally) int64 { return t.Hard }),
		},
	}
	return responsive(func(w, h int) template.HTML { c.Width, c.Height = w, h; return c.SVG() })
}

// sparkline draws a timeline's soft and hard rates in a table cell, on a
// shared scale so a row's two lines compare.
func sparkline(title string, tl *timeline) template.HTML {
	return chart.Sparkline{Title: title, Width: 120, Height: 28, Series: []chart.Series{
		{Color: colorSoft, Values: tl.values(tally.SoftRate)},
		{Color: colorHard, Values: tl.values(tally.HardRate)},
	}}.SVG()
}

func bucketAxis(f filter) string {
	if f.Hourly() {
		return "hour of sending (UTC)"
	}
	return "day of sending (UTC)"
}

// outcomeColor is the colour of an outcome's bars and badges.
func outcomeColor(outcome string) string {
	switch outcome {
	case "hard":
		return colorHard
	case "complaint":
		return colorComplaint
	case "delivered":
		return colorDelivered
	case "pending":
		return colorPending
	}
	return colorSoft
}
