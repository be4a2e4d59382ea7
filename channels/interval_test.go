package channels

import (
	"math"
	"testing"
)

func TestWilson(t *testing.T) {
	tests := []struct {
		k, n     int64
		low, hig float64
	}{
		// Reference values: Newcombe (1998), Table I, method 3 (score
		// interval without continuity correction).
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
		{10, 100, 0.0552, 0.1744},
		{5, 5, 0.5655, 1},
		{0, 0, 0, 1},
	}
	for _, tc := range tests {
		got := Wilson(tc.k, tc.n)
		if math.Abs(got.Low-tc.low) > 5e-5 || math.Abs(got.High-tc.hig) > 5e-5 {
			t.Errorf("Wilson(%d, %d) = [%.4f, %.4f], want [%.4f, %.4f]", tc.k, tc.n, got.Low, got.High, tc.low, tc.hig)
		}
	}
}
