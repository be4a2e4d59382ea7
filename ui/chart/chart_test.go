package chart

import (
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files in testdata")

var nan = math.NaN()

var days = []string{"1 Nov", "2 Nov", "3 Nov", "4 Nov", "5 Nov", "6 Nov", "7 Nov"}

// TestGolden pins the markup of typical charts in testdata/NAME.svg; open
// a golden file in a browser to see the chart.
func TestGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		svg  string
	}{
		{"line-rates", string(Line{Title: "Soft and hard rates, email", Labels: days,
			YLabel: "% of messages sent", XLabel: "day (UTC)", Y: Percent, MinTop: 0.01,
			Series: []Series{
				{Name: "Soft", Color: "#d97706", Values: []float64{0.021, 0.034, 0.018, nan, 0.025, 0.03, 0.012}},
				{Name: "Hard", Color: "#dc2626", Values: []float64{0.004, 0.006, 0.011, nan, 0.002, 0.0, 0.001},
					Tips: []string{"Hard · 1 Nov: 0.4% (95% interval 0.2–0.8%, 2,310 sent)"}},
			}}.SVG())},
		{"line-empty", string(Line{Title: "Nothing", Labels: days, Y: Percent,
			Series: []Series{{Name: "Soft", Color: "#d97706", Values: []float64{nan, nan}}},
			Empty:  "No email sent between 1 and 7 Nov"}.SVG())},
		{"bars-stacked", string(Bars{Title: "Messages sent per day, email", Labels: days,
			YLabel: "messages sent", XLabel: "day (UTC)",
			Series: []Series{
				{Name: "Delivered", Color: "#16a34a", Values: []float64{2200, 3100, 0, 1500, 12000, 800, 4100}},
				{Name: "Soft", Color: "#d97706", Values: []float64{50, 110, 0, 40, 300, 24, 50}},
				{Name: "Hard", Color: "#dc2626", Values: []float64{10, 20, 0, 3, 24, 0, 4}},
			}}.SVG())},
		{"bars-narrow", string(Bars{Title: "Sent, narrow", Width: 340, Height: 240, Labels: days, YLabel: "messages sent",
			Series: []Series{
				{Name: "Delivered", Color: "#16a34a", Values: []float64{90, 80, 70, 60, 50, 40, 30}},
				{Name: "Pending", Color: "#94a3b8", Values: []float64{1, 1, 1, 1, 1, 1, 20}},
				{Name: "Soft", Color: "#d97706", Values: []float64{5, 5, 5, 5, 5, 5, 5}},
				{Name: "Hard", Color: "#dc2626", Values: []float64{2, 2, 2, 2, 2, 2, 2}},
			}}.SVG())},
		{"line-dense", string(Line{Title: "A year", Width: 340, Height: 240, Labels: yearLabels(), Y: Percent,
			Series: []Series{{Name: "Hard", Color: "#dc2626", Values: yearValues()}}}.SVG())},
		{"bars-single", string(Bars{Title: "Sent", Width: 360, Height: 160, Labels: []string{"a", "b"},
			Series: []Series{{Name: "Sent", Color: "#2563eb", Values: []float64{3, 7}}}}.SVG())},
		{"hbars-reasons", string(HBars{Title: "Reasons, email", Unit: "failure events", Bars: []Bar{
			{Label: "user_unknown", Value: 1520, Color: "#dc2626"},
			{Label: "mailbox_full", Value: 812, Color: "#d97706"},
			{Label: "spam_detected", Value: 96, Color: "#d97706", Tip: "spam_detected: 96 events, 90 recipients"},
			{Label: "complaint", Value: 4, Color: "#7c3aed"},
		}}.SVG())},
		{"hbars-empty", string(HBars{Title: "Reasons", Empty: "No failures in this range"}.SVG())},
		{"sparkline", string(Sparkline{Title: "Hard rate, last 7 days", Series: []Series{
			{Color: "#d97706", Values: []float64{0.02, 0.03, nan, 0.01, 0.02, 0.05, 0.04}},
			{Color: "#dc2626", Values: []float64{0.001, 0.004, nan, 0.002, 0.0, 0.01, 0.003}},
		}}.SVG())},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			wellFormed(t, c.svg)
			golden(t, c.name, c.svg)
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".svg")
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui/chart -update to create it)", err)
	}
	if strings.TrimSuffix(string(want), "\n") != got {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./ui/chart -update and look at the file\ngot:\n%s", path, got)
	}
}

// wellFormed fails unless s is one well-formed XML element: an SVG that
// is not would break the page it is embedded in.
func wellFormed(t testing.TB, s string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(s))
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if tok.Name.Local != "svg" {
					t.Fatalf("root element %q, want svg", tok.Name.Local)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 || depth != 0 {
		t.Fatalf("%d root elements, depth %d at the end, want one closed svg", roots, depth)
	}
}

func TestLineGapsAndPoints(t *testing.T) {
	t.Parallel()
	svg := string(Line{Labels: []string{"a", "b", "c", "d", "e"}, Series: []Series{
		{Name: "s", Color: "red", Values: []float64{1, 2, nan, 3, 4}},
	}}.SVG())
	if n := strings.Count(svg, "<polyline"); n != 2 {
		t.Errorf("%d polylines, want 2 (a gap at the missing value)", n)
	}
	if n := strings.Count(svg, "<circle"); n != 4 {
		t.Errorf("%d points, want 4 (none for the missing value)", n)
	}
	if !strings.Contains(svg, "<title>s · d: 3</title>") {
		t.Errorf("default tooltip missing:\n%s", svg)
	}
}

func TestEscapesText(t *testing.T) {
	t.Parallel()
	evil := `<script>alert("x")</script>&'`
	charts := []string{
		string(Line{Title: evil, Labels: []string{evil}, YLabel: evil, XLabel: evil,
			Series: []Series{{Name: evil, Color: evil, Values: []float64{1}}, {Name: "b", Values: []float64{2}}}}.SVG()),
		string(Bars{Title: evil, Labels: []string{evil}, Series: []Series{{Name: evil, Color: evil, Values: []float64{1}}}}.SVG()),
		string(HBars{Title: evil, Unit: evil, Bars: []Bar{{Label: evil, Value: 1, Color: evil, Tip: evil}}}.SVG()),
		string(Sparkline{Title: evil, Series: []Series{{Color: evil, Values: []float64{1, 2}}}}.SVG()),
	}
	for i, svg := range charts {
		if strings.Contains(svg, "<script") || strings.Contains(svg, `"x"`) {
			t.Errorf("chart %d: unescaped text:\n%s", i, svg)
		}
		wellFormed(t, svg)
	}
}

func TestNiceScale(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		max       float64
		top, step float64
	}{
		{"percent", 0.034, 0.04, 0.01},
		{"small percent", 0.0042, 0.006, 0.002},
		{"exact", 100, 100, 25},
		{"counts", 12324, 15000, 5000},
		{"one", 1, 1, 0.25},
		{"zero", 0, 1, 0.25},
		{"negative", -3, 1, 0.25},
		{"nan", math.NaN(), 1, 0.25},
		{"inf", math.Inf(1), 1, 0.25},
		{"tiny", 3e-7, 3e-7, 1e-7},
	}
	for _, c := range cases {
		top, step := niceScale(c.max, 4)
		if !near(top, c.top) || !near(step, c.step) {
			t.Errorf("%s: niceScale(%v) = %v, %v; want %v, %v", c.name, c.max, top, step, c.top, c.step)
		}
		if n := len(ticks(top, step)); n < 2 || n > 6 {
			t.Errorf("%s: %d ticks", c.name, n)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestFormats(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		f    Format
		in   float64
		want string
	}{
		{"percent zero", Percent, 0, "0%"},
		{"percent small", Percent, 0.0123, "1.2%"},
		{"percent below one", Percent, 0.0042, "0.42%"},
		{"percent tick", Percent, 0.025, "2.5%"},
		{"percent round", Percent, 0.05, "5%"},
		{"percent large", Percent, 0.123, "12%"},
		{"percent float noise", Percent, 0.07, "7%"},
		{"count", Count, 12345, "12,345"},
		{"count small", Count, 999, "999"},
		{"count million", Count, 1234567, "1,234,567"},
		{"count negative", Count, -1234, "-1,234"},
		{"compact", Compact, 2500, "2.5k"},
		{"compact round", Compact, 15000, "15k"},
		{"compact million", Compact, 1.2e6, "1.2M"},
		{"compact small", Compact, 950, "950"},
		{"compact fraction", Compact, 0.5, "0.5"},
	}
	for _, c := range cases {
		if got := c.f(c.in); got != c.want {
			t.Errorf("%s: format(%v) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

// FuzzLineText checks that any label or series name (campaign names come
// from senders) yields well-formed SVG with nothing unescaped.
func FuzzLineText(f *testing.F) {
	f.Add("spring", "<b>&amp;", 0.5)
	f.Add("\x00\xff", `"'`, math.Inf(1))
	f.Fuzz(func(t *testing.T, label, name string, v float64) {
		svg := string(Line{Title: name, Labels: []string{label, label}, Series: []Series{{Name: name, Color: "#000", Values: []float64{v, 1}}}}.SVG())
		wellFormed(t, svg)
		svg = string(HBars{Bars: []Bar{{Label: label, Value: v}}}.SVG())
		wellFormed(t, svg)
		svg = string(Bars{Labels: []string{label}, Series: []Series{{Name: name, Values: []float64{v}}}}.SVG())
		wellFormed(t, svg)
	})
}

// yearLabels and yearValues are a dense series: 365 days.
func yearLabels() []string {
	out := make([]string, 365)
	for i := range out {
		out[i] = "d" + strconv.Itoa(i+1)
	}
	return out
}

func yearValues() []float64 {
	out := make([]float64, 365)
	for i := range out {
		out[i] = 0.01 + 0.005*math.Sin(float64(i)/20)
	}
	return out
}
