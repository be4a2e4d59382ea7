package chart

import (
	"html/template"
	"math"
)

// Line is a line chart of series over categories (days, hours), with a
// value axis starting at zero.
type Line struct {
	// Title names the chart for screen readers and as its tooltip.
	Title string
	// Width and Height are the drawing's size in user units (CSS pixels
	// at scale 1); zero means 720 by 260.
	Width, Height int
	// Labels name the categories along the horizontal axis.
	Labels []string
	Series []Series
	// YLabel names the values and their unit ("% of messages sent");
	// XLabel the categories ("day, UTC").
	YLabel, XLabel string
	// Y formats ticks and tooltips (default Count).
	Y Format
	// MinTop is the least top of the value axis, so that noise on a flat
	// series is not magnified to full height (e.g. 0.01 for 1%).
	MinTop float64
	// Empty is the message drawn when no series has a value
	// (default "No data in this range").
	Empty string
}

// SVG renders the chart.
func (c Line) SVG() template.HTML {
	c.Width, c.Height = size(c.Width, c.Height, 720, 260)
	yFmt := orDefault(c.Y, Count)
	var w svgWriter
	w.open(c.Width, c.Height, "chart chart-line", c.Title)
	if !hasValue(c.Series) || len(c.Labels) == 0 {
		w.empty(c.Width, c.Height, orText(c.Empty, "No data in this range"))
		w.close()
		return markup(&w.b)
	}
	p := w.frame(c.Width, c.Height, c.Labels, math.Max(maxOf(c.Series), c.MinTop), yFmt, c.YLabel, c.XLabel, c.Series)
	n := len(c.Labels)
	x := func(i int) float64 { return p.left + (float64(i)+0.5)*p.width/float64(n) }
	for _, s := range c.Series {
		var run [][2]float64
		flush := func() {
			if len(run) > 1 {
				w.polyline(run, s.Color, 2)
			}
			run = run[:0]
		}
		for i := 0; i < n; i++ {
			if i >= len(s.Values) || math.IsNaN(s.Values[i]) {
				flush()
				continue
			}
			run = append(run, [2]float64{x(i), p.y(s.Values[i])})
		}
		flush()
		// Points shrink on dense charts (a year of days) so that they do
		// not merge into a band; each keeps its tooltip.
		r := math.Max(1, math.Min(3, p.width/float64(n)/3))
		for i := 0; i < n && i < len(s.Values); i++ {
			if v := s.Values[i]; !math.IsNaN(v) {
				w.circle(x(i), p.y(v), r, s.Color, tipOf(s, i, c.Labels[i], yFmt))
			}
		}
	}
	w.close()
	return markup(&w.b)
}

// tipOf is the tooltip of value i of s.
func tipOf(s Series, i int, label string, f Format) string {
	if i < len(s.Tips) && s.Tips[i] != "" {
		return s.Tips[i]
	}
	name := s.Name
	if name != "" {
		name += " · "
	}
	return name + label + ": " + f(s.Values[i])
}

func hasValue(series []Series) bool {
	for _, s := range series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				return true
			}
		}
	}
	return false
}

func size(w, h, dw, dh int) (int, int) {
	if w <= 0 {
		w = dw
	}
	if h <= 0 {
		h = dh
	}
	return w, h
}

func orDefault(f, d Format) Format {
	if f == nil {
		return d
	}
	return f
}

func orText(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
