// Package chart draws the dashboard's charts as static SVG on the server:
// line charts, stacked bar charts, horizontal bar charts and sparklines.
// No JavaScript, no fonts or images to fetch: the markup works offline,
// prints, and reads as an image with a text alternative (every chart has a
// <title> and an aria-label, every point or bar a <title> tooltip).
//
// Charts are plain values; SVG renders one. Every text that reaches the
// markup is escaped, so the result is safe to embed in an HTML page. The
// output is deterministic (golden-file tested): coordinates are rounded to
// a tenth of a unit.
package chart

import (
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Series is one named row of values, one per label of its chart. A NaN
// value is a missing one: a line chart leaves a gap, a bar chart no bar.
type Series struct {
	Name string
	// Color is any CSS colour, e.g. "#d97706".
	Color  string
	Values []float64
	// Tips optionally replace the default tooltip of each value
	// ("Name · label: value"); an empty tip keeps the default.
	Tips []string
}

// Format renders a value for an axis tick or a tooltip.
type Format func(float64) string

// Percent renders a fraction as a percentage with the precision small
// rates need: 0.0123 is "1.23%", 0.123 is "12.3%", 0.5 is "50%"; trailing
// zeros are dropped.
func Percent(v float64) string {
	p := v * 100
	digits := 0
	switch a := math.Abs(p); {
	case a == 0:
	case a < 1:
		digits = 2
	case a < 10:
		digits = 1
	}
	return trim(strconv.FormatFloat(round(p, digits), 'f', digits, 64)) + "%"
}

// Count renders a count with thousands separators: 12345 is "12,345".
func Count(v float64) string {
	n := int64(math.Round(v))
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Compact renders a count briefly for axis ticks: 950, 2.5k, 12k, 1.2M.
func Compact(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return trim(strconv.FormatFloat(round(v/1e6, 1), 'f', 1, 64)) + "M"
	case a >= 1e3:
		return trim(strconv.FormatFloat(round(v/1e3, 1), 'f', 1, 64)) + "k"
	}
	return trim(strconv.FormatFloat(round(v, 1), 'f', 1, 64))
}

// trim drops the trailing zeros of a decimal, and the point if nothing
// follows it.
func trim(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

func round(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}

// markup marks rendered markup as safe: every text in it went through esc.
func markup(b *strings.Builder) template.HTML {
	return template.HTML(b.String()) //nolint:gosec // built from escaped parts only
}
