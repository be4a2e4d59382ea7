package api

import (
	"sync"

	"golang.org/x/time/rate"
)

// limiters holds one token bucket per caller (the audit actor: a token's
// name, or the admin token), so one misbehaving integration cannot starve
// the others. Callers are tokens, a bounded set, so the map needs no
// eviction.
type limiters struct {
	mu    sync.Mutex
	rate  rate.Limit
	burst int
	by    map[string]*rate.Limiter
}

func newLimiters(perSecond float64, burst int) *limiters {
	if perSecond <= 0 {
		return nil // off
	}
	return &limiters{rate: rate.Limit(perSecond), burst: max(burst, 1), by: map[string]*rate.Limiter{}}
}

// allow reports whether caller may make one more request now; a nil
// limiters allows everything.
func (l *limiters) allow(caller string) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	lim, ok := l.by[caller]
	if !ok {
		lim = rate.NewLimiter(l.rate, l.burst)
		l.by[caller] = lim
	}
	l.mu.Unlock()
	return lim.Allow()
}
