package bench

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestQuantiles(t *testing.T) {
	before := histogram{0.1: 0, 0.2: 0, 0.4: 0, math.Inf(1): 0}
	after := histogram{0.1: 50, 0.2: 90, 0.4: 100, math.Inf(1): 100}
	q := quantiles(before, after, 0.5, 0.9, 0.95, 0.99)
	want := []float64{0.1, 0.2, 0.3, 0.38}
	for i := range want {
		if math.Abs(q[i]-want[i]) > 1e-9 {
			t.Errorf("q%d = %v, want %v", i, q[i], want[i])
		}
	}
	if q := quantiles(after, after, 0.5); !math.IsNaN(q[0]) {
		t.Errorf("no observations: %v", q)
	}
}

func TestScrapeLatency(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "# HELP rebond_event_latency_seconds x\n# TYPE rebond_event_latency_seconds histogram\n"+
			"rebond_event_latency_seconds_bucket{le=\"0.1\"} 3\nrebond_event_latency_seconds_bucket{le=\"+Inf\"} 4\n"+
			"rebond_event_latency_seconds_sum 1\nrebond_event_latency_seconds_count 4\n")
	}))
	defer srv.Close()
	h, err := scrapeLatency(context.Background(), srv.URL)
	if err != nil || h[0.1] != 3 || h[math.Inf(1)] != 4 {
		t.Fatalf("histogram = %v, %v", h, err)
	}
}
