package chart

import (
	"html/template"
	"math"
)

// Bar is one bar of an HBars chart.
type Bar struct {
	Label string
	Value float64
	Color string
	// Tip replaces the default tooltip ("label: value").
	Tip string
}

// HBars is a horizontal bar chart: one labelled bar per row, its value
// written at its end. It suits long category names (reasons, domains).
type HBars struct {
	Title string
	// Width is the drawing's width (default 720); the height follows
	// from the number of bars.
	Width int
	Bars  []Bar
	// Value formats the values (default Count); Unit names them, under
	// the bars ("events").
	Value Format
	Unit  string
	Empty string
}

const hbarRow = 28.0

// SVG renders the chart.
func (c HBars) SVG() template.HTML {
	if c.Width <= 0 {
		c.Width = 720
	}
	f := orDefault(c.Value, Count)
	height := int(hbarRow*float64(len(c.Bars))) + 12
	if c.Unit != "" {
		height += 20
	}
	if len(c.Bars) == 0 {
		height = 80
	}
	var w svgWriter
	w.open(c.Width, height, "chart chart-hbars", c.Title)
	top := 0.0
	labelW := 0.0
	for _, b := range c.Bars {
		if b.Value > top && !math.IsInf(b.Value, 0) {
			top = b.Value
		}
		labelW = math.Max(labelW, textWidth(b.Label))
	}
	if len(c.Bars) == 0 || top == 0 {
		w.empty(c.Width, height, orText(c.Empty, "No data in this range"))
		w.close()
		return markup(&w.b)
	}
	left := math.Min(labelW+12, float64(c.Width)*0.4)
	valueW := textWidth(f(top)) + 12
	band := float64(c.Width) - left - valueW
	for i, b := range c.Bars {
		y := 6 + float64(i)*hbarRow
		w.text(left-8, y+hbarRow/2+1, "end", inkTitle, b.Label)
		v := math.Max(0, b.Value)
		if math.IsInf(v, 0) || math.IsNaN(v) {
			v = 0
		}
		bw := math.Max(1, v/top*band)
		tip := b.Tip
		if tip == "" {
			tip = b.Label + ": " + f(v)
		}
		w.rect(left, y+4, bw, hbarRow-10, b.Color, tip)
		w.text(left+bw+6, y+hbarRow/2+1, "start", inkText, f(v))
	}
	if c.Unit != "" {
		w.text(left, float64(height)-6, "start", inkText, c.Unit)
	}
	w.close()
	return markup(&w.b)
}
