package chart

import (
	"html/template"
	"math"
)

// Sparkline is a word-sized line chart without axes (Tufte, "Beautiful
// Evidence", 2006): the shape of a trend next to its number. All series
// share one scale from zero to Top (default: their largest value).
type Sparkline struct {
	Title string
	// Width and Height default to 120 by 28.
	Width, Height int
	Series        []Series
	Top           float64
}

// SVG renders the sparkline; with no value it draws a flat baseline.
func (c Sparkline) SVG() template.HTML {
	c.Width, c.Height = size(c.Width, c.Height, 120, 28)
	var w svgWriter
	w.open(c.Width, c.Height, "chart chart-spark", c.Title)
	top := c.Top
	if !(top > 0) {
		top = maxOf(c.Series)
	}
	if !(top > 0) {
		top = 1
	}
	const pad = 3.0
	h := float64(c.Height) - 2*pad
	base := pad + h
	w.line(pad, base, float64(c.Width)-pad, base, inkGrid)
	for _, s := range c.Series {
		n := len(s.Values)
		step := 0.0
		if n > 1 {
			step = (float64(c.Width) - 2*pad) / float64(n-1)
		}
		var run [][2]float64
		last := [2]float64{-1, -1}
		flush := func() {
			if len(run) > 1 {
				w.polyline(run, s.Color, 1.5)
			}
			run = run[:0]
		}
		for i, v := range s.Values {
			if math.IsNaN(v) {
				flush()
				continue
			}
			v = math.Max(0, math.Min(v, top))
			pt := [2]float64{pad + float64(i)*step, base - v/top*h}
			run = append(run, pt)
			last = pt
		}
		flush()
		if last[0] >= 0 {
			w.circle(last[0], last[1], 2, s.Color, "")
		}
	}
	w.close()
	return markup(&w.b)
}
