package chart

import "math"

// niceScale returns the top of a value axis starting at zero and its tick
// step, so that the ticks are round numbers (1, 2, 2.5 or 5 times a power
// of ten; Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990)
// and about n of them cover max. A max of zero or less, or not a number,
// gives the axis [0, 1].
func niceScale(max float64, n int) (top, step float64) {
	if !(max > 0) || math.IsInf(max, 0) {
		max = 1
	}
	if n < 1 {
		n = 1
	}
	raw := max / float64(n)
	mag := math.Pow10(int(math.Floor(math.Log10(raw))))
	step = 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw*(1-1e-9) {
			step = m * mag
			break
		}
	}
	top = step * math.Ceil(max/step-1e-9)
	return top, step
}

// ticks lists 0, step, ... top.
func ticks(top, step float64) []float64 {
	var out []float64
	for i := 0; ; i++ {
		v := float64(i) * step
		if v > top*(1+1e-9) {
			return out
		}
		out = append(out, v)
	}
}

// maxOf returns the largest value of the series that is a number; 0 when
// there is none.
func maxOf(series []Series) float64 {
	m := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			if v > m && !math.IsInf(v, 0) {
				m = v
			}
		}
	}
	return m
}

// labelEvery returns k such that showing one label in k keeps labels of
// width w apart in a band of the given width holding n slots.
func labelEvery(n int, band float64, labels []string) int {
	if n == 0 {
		return 1
	}
	widest := 0.0
	for _, l := range labels {
		widest = math.Max(widest, textWidth(l))
	}
	slot := band / float64(n)
	k := int(math.Ceil((widest + 12) / slot))
	return max(1, k)
}

// plot is the rectangle the data is drawn in, and its value scale.
type plot struct {
	left, top, width, height float64
	yTop                     float64
}

// y maps a value to its vertical coordinate; values above the top are
// clamped to it.
func (p plot) y(v float64) float64 {
	v = math.Max(0, math.Min(v, p.yTop))
	return p.top + p.height - v/p.yTop*p.height
}

// frame draws the value axis (gridlines and tick labels), the unit label
// above it with the legend, and the category labels below, and returns
// the plot. When the unit label and the legend do not fit on one line
// (narrow charts), the legend takes a line of its own above the label.
func (w *svgWriter) frame(width, height int, labels []string, yMax float64, yFmt Format, yLabel, xLabel string, series []Series) plot {
	const marginLeft, marginRight, marginBottom = 56.0, 12.0, 44.0
	marginTop, labelY := 30.0, 14.0
	showLegend := len(series) > 1
	if showLegend && textWidth(yLabel)+legendWidth(series)+24 > float64(width) {
		marginTop, labelY = 46, 32
	}
	p := plot{left: marginLeft, top: marginTop, width: float64(width) - marginLeft - marginRight,
		height: float64(height) - marginTop - marginBottom}
	if xLabel == "" {
		p.height += 16
	}
	top, step := niceScale(yMax, 4)
	p.yTop = top
	for _, v := range ticks(top, step) {
		y := p.y(v)
		w.line(p.left, y, p.left+p.width, y, inkGrid)
		w.text(p.left-8, y+4, "end", inkText, yFmt(v))
	}
	w.line(p.left, p.top+p.height, p.left+p.width, p.top+p.height, inkAxis)
	if yLabel != "" {
		w.text(8, labelY, "start", inkTitle, yLabel, `font-weight="600"`)
	}
	if showLegend {
		w.legend(series, float64(width)-marginRight, 14)
	}
	n := len(labels)
	every := labelEvery(n, p.width, labels)
	for i, l := range labels {
		if i%every != 0 {
			continue
		}
		x := p.left + (float64(i)+0.5)*p.width/float64(n)
		w.text(x, p.top+p.height+18, "middle", inkText, l)
	}
	if xLabel != "" {
		w.text(p.left+p.width/2, float64(height)-6, "middle", inkTitle, xLabel)
	}
	return p
}

// empty writes the explanation of a chart with nothing to draw.
func (w *svgWriter) empty(width, height int, msg string) {
	w.rect(0.5, 0.5, float64(width)-1, float64(height)-1, "#f8fafc", "")
	w.text(float64(width)/2, float64(height)/2+4, "middle", inkText, msg)
}
