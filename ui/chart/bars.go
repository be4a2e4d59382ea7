package chart

import (
	"html/template"
	"math"
)

// Bars is a vertical bar chart over categories; several series stack, the
// first at the bottom.
type Bars struct {
	// Title, Width, Height, Labels, YLabel, XLabel and Empty are as in
	// Line; the default size is 720 by 220.
	Title          string
	Width, Height  int
	Labels         []string
	Series         []Series
	YLabel, XLabel string
	// Y formats the ticks (default Compact); Tip the tooltips (default
	// Count).
	Y, Tip Format
	Empty  string
}

// SVG renders the chart.
func (c Bars) SVG() template.HTML {
	c.Width, c.Height = size(c.Width, c.Height, 720, 220)
	yFmt, tipFmt := orDefault(c.Y, Compact), orDefault(c.Tip, Count)
	var w svgWriter
	w.open(c.Width, c.Height, "chart chart-bars", c.Title)
	n := len(c.Labels)
	totals := make([]float64, n)
	for _, s := range c.Series {
		for i := 0; i < n && i < len(s.Values); i++ {
			if v := s.Values[i]; v > 0 && !math.IsInf(v, 0) {
				totals[i] += v
			}
		}
	}
	top := maxOf([]Series{{Values: totals}})
	if n == 0 || top == 0 {
		w.empty(c.Width, c.Height, orText(c.Empty, "No data in this range"))
		w.close()
		return markup(&w.b)
	}
	p := w.frame(c.Width, c.Height, c.Labels, top, yFmt, c.YLabel, c.XLabel, c.Series)
	slot := p.width / float64(n)
	barW := math.Max(1, math.Min(slot*0.7, 48))
	for i := 0; i < n; i++ {
		x := p.left + float64(i)*slot + (slot-barW)/2
		base := 0.0
		for _, s := range c.Series {
			if i >= len(s.Values) || !(s.Values[i] > 0) || math.IsInf(s.Values[i], 0) {
				continue
			}
			v := s.Values[i]
			y0, y1 := p.y(base), p.y(base+v)
			w.rect(x, y1, barW, y0-y1, s.Color, tipOf(s, i, c.Labels[i], tipFmt))
			base += v
		}
	}
	w.close()
	return markup(&w.b)
}
