package api

import (
	"fmt"
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
	now   func() time.Time
}

// Default per-token limit (Config.RateLimit, RateBurst): a request is a
// unit whatever it carries, so the limit must let a sender that posts one
// event per request keep up with a busy sending platform; 2,500 a second
// leaves a quarter of headroom over 2,000, and the burst absorbs two
// seconds of a sender's own queue catching up. An array of up to
// MaxBatch events is still one unit: batching is how to go faster.
const (
	defaultRateLimit = 2500
	defaultRateBurst = 5000
)

// newLimiters returns per-caller buckets of perSecond units refilled, up
// to burst, on the clock now; nil (no limit) when perSecond is not
// positive.
func newLimiters(perSecond float64, burst int, now func() time.Time) *limiters {
	if perSecond <= 0 {
		return nil // off
	}
	return &limiters{rate: rate.Limit(perSecond), burst: max(burst, 1), by: map[string]*rate.Limiter{}, now: now}
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
	return lim.AllowN(l.now(), cost)
}

// overLimit is the 429 answer for route: the limit, the route's cost, and
// for events the way to need fewer requests.
func (s *Server) overLimit(route string) string {
	msg := fmt.Sprintf("over %g request units per second for this token (%s costs %d); slow down",
		s.cfg.RateLimit, route, max(routeCost[route], 1))
	if route == "POST /v1/events" {
		msg += fmt.Sprintf(", or post events in arrays (up to %d a request, for one unit)", s.cfg.MaxBatch)
	}
	return msg
}
