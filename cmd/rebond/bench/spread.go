package bench

// spread deals n items into classes in proportion to integer weights
// (percentages in the bench): the counts are exactly the largest-remainder
// allocation of n (ties to the earlier class), and the classes are
// interleaved so that every prefix of the sequence holds each class within
// one item of its share. So a run of any size has the documented mix, and
// so does any moment of it.
type spread struct {
	n      int
	target []int // the allocation of n
	dealt  []int // the counts so far
	k      int   // the items dealt so far
}

// newSpread allocates n items by weights (not all zero).
func newSpread(n int, weights ...int) *spread {
	total := 0
	for _, w := range weights {
		total += w
	}
	s := &spread{n: n, target: make([]int, len(weights)), dealt: make([]int, len(weights))}
	left := n
	for j, w := range weights {
		s.target[j] = n * w / total
		left -= s.target[j]
	}
	// Largest remainder: the seats left go to the largest fractional
	// parts, n*w mod total, the earlier class first among equals.
	for ; left > 0; left-- {
		best := -1
		for j, w := range weights {
			if s.target[j] == n*w/total && (best < 0 || n*w%total > n*weights[best]%total) {
				best = j
			}
		}
		s.target[best]++
	}
	return s
}

// next returns the class of the next item: the one furthest behind its
// share of the items dealt so far, target_j*(k+1)/n - dealt_j (compared
// times n, in integers; the earlier class among equals). A class that
// has its target is never behind while items remain, so the counts end
// on the targets. It panics past n items.
func (s *spread) next() int {
	if s.k >= s.n {
		panic("bench: spread: more items than allocated")
	}
	best, lag := -1, 0
	for j, t := range s.target {
		if l := t*(s.k+1) - s.dealt[j]*s.n; best < 0 || l > lag {
			best, lag = j, l
		}
	}
	s.dealt[best]++
	s.k++
	return best
}
