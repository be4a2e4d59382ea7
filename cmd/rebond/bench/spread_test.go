package bench

import (
	"fmt"
	"testing"
)

// TestSpread: the counts are the largest-remainder allocation of n (ties to
// the earlier class), and every prefix of the sequence holds each class
// within one item of its share.
func TestSpread(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		weights []int
		n       int
		want    []int
	}{
		{"sms one", smsMix, 1, []int{1, 0, 0, 0}},
		{"sms ten", smsMix, 10, []int{9, 1, 0, 0}},       // 8.5 .8 .4 .3: the .8 and the .5 round up
		{"sms twenty", smsMix, 20, []int{17, 2, 1, 0}},   // 17 1.6 .8 .6: .8, then .6 to the earlier
		{"sms hundred", smsMix, 100, []int{85, 8, 4, 3}}, // exact
		{"sms thousand", smsMix, 1000, []int{850, 80, 40, 30}},
		{"sms odd", smsMix, 8499, []int{7224, 680, 340, 255}}, // 7224.15 679.92 339.96 254.97
		{"email ten", emailMix, 10, []int{8, 1, 1, 0}},        // 8 1 .5 .5: the tie to the earlier
		{"email eight", emailMix, 8, []int{7, 1, 0, 0}},       // 6.4 .8 .4 .4
		{"channel one at 20%", []int{80, 20}, 1, []int{1, 0}},
		{"channel ten at 20%", []int{80, 20}, 10, []int{8, 2}},
		{"a zero weight", []int{0, 100}, 3, []int{0, 3}},
		{"none", smsMix, 0, []int{0, 0, 0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSpread(c.n, c.weights...)
			if fmt.Sprint(s.target) != fmt.Sprint(c.want) {
				t.Fatalf("allocation %v, want %v", s.target, c.want)
			}
			got := make([]int, len(c.weights))
			for k := 1; k <= c.n; k++ {
				got[s.next()]++
				for j, tj := range s.target {
					// |got_j - k*target_j/n| < 1, times n
					if d := got[j]*c.n - k*tj; d <= -c.n || d >= c.n {
						t.Fatalf("after %d items, class %d has %d, share %.2f", k, j, got[j], float64(k*tj)/float64(c.n))
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("dealt %v, want %v", got, c.want)
			}
		})
	}
}

// TestSpreadPrefixes checks the prefix bound for every size up to 2,000
// of the bench's mixes and a few awkward shares.
func TestSpreadPrefixes(t *testing.T) {
	t.Parallel()
	for _, w := range [][]int{emailMix, smsMix, {80, 20}, {67, 33}, {1, 99}, {34, 33, 33}} {
		for n := 1; n <= 2000; n++ {
			s := newSpread(n, w...)
			got := make([]int, len(w))
			for k := 1; k <= n; k++ {
				got[s.next()]++
				for j, tj := range s.target {
					if d := got[j]*n - k*tj; d <= -n || d >= n {
						t.Fatalf("weights %v, n %d: after %d items class %d has %d", w, n, k, j, got[j])
					}
				}
			}
		}
	}
}
