package api

import (
	"sync"
	"time"

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

// routeCost weighs the routes whose work is far above a plain read: a
// call spends this many tokens of its caller's bucket (1 otherwise), so a
// token cannot run them at the rate of cheap ones. A backtest replays up
// to 100,000 stored events through the rules twice.
var routeCost = map[string]int{
	"POST /v1/rules/backtest": 100,
	"POST /v1/rules/explain":  5,
	"GET /v1/qualification":   20,
	"POST /v1/exclusions":     5,
}

// allow reports whether caller may make one more request of route now;
// a nil limiters allows everything. A route's cost is capped at the
// burst, so every route stays callable.
func (l *limiters) allow(caller, route string) bool {
	if l == nil {
		return true
	}
	cost := min(max(routeCost[route], 1), l.burst)
	l.mu.Lock()
	lim, ok := l.by[caller]
	if !ok {
		lim = rate.NewLimiter(l.rate, l.burst)
		l.by[caller] = lim
	}
	l.mu.Unlock()
	return lim.AllowN(time.Now(), cost)
}
