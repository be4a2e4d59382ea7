package chart

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Palette of the chart furniture, chosen for contrast on white (WCAG AA
// for text: #475569 on #fff is 7.6:1).
const (
	inkText  = "#475569"
	inkTitle = "#1e293b"
	inkGrid  = "#e2e8f0"
	inkAxis  = "#94a3b8"
	fontSize = 12
)

// svgWriter accumulates markup. Texts go through esc, numbers through num,
// so nothing unescaped reaches the output.
type svgWriter struct {
	b strings.Builder
}

func (w *svgWriter) open(width, height int, class, title string) {
	fmt.Fprintf(&w.b, `<svg xmlns="http://www.w3.org/2000/svg" class="%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif" font-size="%d">`,
		esc(class), width, height, width, height, esc(title), fontSize)
	if title != "" {
		fmt.Fprintf(&w.b, "<title>%s</title>", esc(title))
	}
	w.b.WriteByte('\n')
}

func (w *svgWriter) close() { w.b.WriteString("</svg>") }

// Every element below ends its line, so golden files diff line by line.

// text writes a text at (x, y); anchor is start, middle or end.
func (w *svgWriter) text(x, y float64, anchor, fill, s string, extra ...string) {
	fmt.Fprintf(&w.b, `<text x="%s" y="%s" text-anchor="%s" fill="%s"%s>%s</text>`,
		num(x), num(y), anchor, esc(fill), attrs(extra), esc(s))
	w.b.WriteByte('\n')
}

func (w *svgWriter) line(x1, y1, x2, y2 float64, stroke string, extra ...string) {
	fmt.Fprintf(&w.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"%s/>`,
		num(x1), num(y1), num(x2), num(y2), esc(stroke), attrs(extra))
	w.b.WriteByte('\n')
}

// rect writes a rectangle with an optional tooltip.
func (w *svgWriter) rect(x, y, width, height float64, fill, tip string) {
	fmt.Fprintf(&w.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"`, num(x), num(y), num(width), num(height), esc(fill))
	w.tip(tip)
	w.b.WriteString("</rect>\n")
}

// circle writes a point with its tooltip.
func (w *svgWriter) circle(x, y, r float64, fill, tip string) {
	fmt.Fprintf(&w.b, `<circle cx="%s" cy="%s" r="%s" fill="%s"`, num(x), num(y), num(r), esc(fill))
	w.tip(tip)
	w.b.WriteString("</circle>\n")
}

// tip closes the open tag, with a <title> child when tip is set (SVG 1.1
// §5.4: a title child is the element's tooltip in browsers).
func (w *svgWriter) tip(tip string) {
	w.b.WriteString(">")
	if tip != "" {
		fmt.Fprintf(&w.b, "<title>%s</title>", esc(tip))
	}
}

// polyline writes one connected run of points.
func (w *svgWriter) polyline(pts [][2]float64, stroke string, width float64) {
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(num(p[0]) + "," + num(p[1]))
	}
	fmt.Fprintf(&w.b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="%s" stroke-linejoin="round" stroke-linecap="round"/>`,
		b.String(), esc(stroke), num(width))
	w.b.WriteByte('\n')
}

// legend writes the series names right-aligned on one line ending at x.
func (w *svgWriter) legend(series []Series, x, y float64) {
	for i := len(series) - 1; i >= 0; i-- {
		s := series[i]
		x -= textWidth(s.Name)
		w.text(x, y, "start", inkText, s.Name)
		x -= 16
		w.rect(x, y-9, 10, 10, s.Color, "")
		x -= 14
	}
}

// legendWidth is the width legend takes.
func legendWidth(series []Series) float64 {
	w := 0.0
	for _, s := range series {
		w += textWidth(s.Name) + 30
	}
	return w
}

// textWidth estimates the width of s at the chart's font size: an average
// glyph of a sans-serif face is about 0.6 em. Good enough to lay out
// legends and thin labels; the SVG never depends on it for correctness.
func textWidth(s string) float64 {
	return float64(len([]rune(s))) * fontSize * 0.6
}

func attrs(extra []string) string {
	if len(extra) == 0 {
		return ""
	}
	return " " + strings.Join(extra, " ")
}

// esc escapes a text for an SVG attribute or element (XML 1.0 §2.4: <, &,
// and the quotes in attribute values). Characters XML cannot carry at all,
// escaped or not (XML 1.0 §2.2: most C0 controls, invalid UTF-8), become
// U+FFFD, so a sender's odd campaign name cannot break the page.
func esc(s string) string {
	return html.EscapeString(strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r != 0xFFFE && r != 0xFFFF && !(r >= 0xD800 && r <= 0xDFFF)) {
			return r
		}
		return utf8.RuneError
	}, strings.ToValidUTF8(s, string(utf8.RuneError))))
}

// num renders a coordinate rounded to a tenth, without trailing zeros.
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	return strconv.FormatFloat(round(f, 1)+0, 'f', -1, 64)
}
