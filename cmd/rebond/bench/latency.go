package bench

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// latencyMetric is the histogram of inbox-arrival-to-verdict latency the
// workers export (workers.Metrics.ObserveApplied).
const latencyMetric = "rebond_event_latency_seconds"

// histogram is a cumulative Prometheus histogram: upper bound -> count.
type histogram map[float64]uint64

// scrapeLatency reads the latency histogram from /metrics; nil when the
// process exports none (a worker elsewhere).
func scrapeLatency(ctx context.Context, base string) (histogram, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	fam, ok := families[latencyMetric]
	if !ok || len(fam.GetMetric()) == 0 {
		return nil, nil
	}
	h := histogram{}
	for _, b := range fam.GetMetric()[0].GetHistogram().GetBucket() {
		h[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	h[math.Inf(1)] = fam.GetMetric()[0].GetHistogram().GetSampleCount()
	return h, nil
}

// quantiles estimates the q-quantiles of the observations between two
// scrapes (after - before), interpolating linearly inside a bucket as
// Prometheus' histogram_quantile does.
func quantiles(before, after histogram, qs ...float64) []float64 {
	bounds := make([]float64, 0, len(after))
	for b := range after {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	delta := func(b float64) float64 { return float64(after[b] - before[b]) }
	total := delta(math.Inf(1))
	out := make([]float64, len(qs))
	for i, q := range qs {
		if total == 0 {
			out[i] = math.NaN()
			continue
		}
		rank, lower, prev := q*total, 0.0, 0.0
		for _, b := range bounds {
			c := delta(b)
			if c >= rank {
				if math.IsInf(b, 1) {
					out[i] = lower // beyond the last bucket: its lower bound is all we know
				} else {
					out[i] = lower + (b-lower)*(rank-prev)/math.Max(c-prev, 1)
				}
				break
			}
			lower, prev = b, c
		}
	}
	return out
}
