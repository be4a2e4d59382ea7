package channels

import "math"

// Interval is a confidence interval [Low, High] of a rate. Every rate
// rebond reports carries one: with few messages a rate says little, and
// the interval says how little.
type Interval struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Wilson returns the 95% Wilson score interval of k successes in n trials
// (Wilson 1927; Agresti & Coull 1998 recommend it over the normal
// approximation, which collapses to [0,0] for k = 0 and overshoots [0,1]
// with few trials). n = 0 gives [0,1]: nothing is known.
func Wilson(k, n int64) Interval {
	if n <= 0 {
		return Interval{0, 1}
	}
	const z = 1.959963984540054 // the 97.5th percentile of the normal distribution
	p, nf := float64(k)/float64(n), float64(n)
	den := 1 + z*z/nf
	centre := (p + z*z/(2*nf)) / den
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	return Interval{Low: max(0, centre-half), High: min(1, centre+half)}
}
