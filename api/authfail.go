package api

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// failureThrottle slows down guessing: each client (an IP address; an
// IPv6 client by its /64, the block one subscriber gets) has a token
// bucket of authentication failures, and a client whose bucket is empty
// gets 429 with Retry-After on every authenticated route, before its
// credentials are looked at, until the bucket refills. A success costs
// nothing. The client is the TCP peer: behind a proxy every caller shares
// the proxy's address, so a flood of failures through it slows everyone
// (X-Forwarded-For is not trusted: any client can set it).
type failureThrottle struct {
	mu    sync.Mutex
	rate  rate.Limit
	burst int
	max   int
	by    map[netip.Prefix]*rate.Limiter
	now   func() time.Time
}

// maxThrottledClients bounds the throttle's memory. When full, clients
// whose bucket has refilled are forgotten; a client that would still not
// fit is not tracked (failing open: refusing them would let an attacker
// with many addresses lock everyone out).
const maxThrottledClients = 1 << 16

func newFailureThrottle(perSecond float64, burst int, now func() time.Time) *failureThrottle {
	if perSecond <= 0 {
		return nil // off
	}
	return &failureThrottle{rate: rate.Limit(perSecond), burst: max(burst, 1), max: maxThrottledClients,
		by: map[netip.Prefix]*rate.Limiter{}, now: now}
}

// clientOf is the throttle's key for a request: its peer's address, IPv6
// reduced to its /64.
func clientOf(r *http.Request) (netip.Prefix, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}, false
	}
	addr = addr.Unmap()
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p, true
}

// wait says how long the client of r must wait before it may try again;
// 0 when it may now. A nil throttle never waits.
func (t *failureThrottle) wait(r *http.Request) time.Duration {
	if t == nil {
		return 0
	}
	c, ok := clientOf(r)
	if !ok {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	lim, ok := t.by[c]
	if !ok {
		return 0
	}
	if tokens := lim.TokensAt(t.now()); tokens < 1 {
		return time.Duration((1 - tokens) / float64(t.rate) * float64(time.Second))
	}
	return 0
}

// fail records an authentication failure of r's client.
func (t *failureThrottle) fail(r *http.Request) {
	if t == nil {
		return
	}
	c, ok := clientOf(r)
	if !ok {
		return
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	lim, ok := t.by[c]
	if !ok {
		if len(t.by) >= t.max {
			t.forgetRefilled(now)
		}
		if len(t.by) >= t.max {
			return
		}
		lim = rate.NewLimiter(t.rate, t.burst)
		t.by[c] = lim
	}
	lim.AllowN(now, 1)
}

// forgetRefilled drops the clients whose bucket is full again: they are
// as if never seen.
func (t *failureThrottle) forgetRefilled(now time.Time) {
	for c, lim := range t.by {
		if lim.TokensAt(now) >= float64(t.burst) {
			delete(t.by, c)
		}
	}
}

// throttleFailures wraps a handler that authenticates its callers (bearer
// token, webhook signature, dashboard login): a client over its failure
// budget gets 429 before the handler runs, and a 401 the handler answers
// is counted as a failure.
func (s *Server) throttleFailures(next http.Handler) http.Handler {
	if s.failures == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := s.failures.wait(r); d > 0 {
			s.metrics.authThrottled.Inc()
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
			writeError(w, http.StatusTooManyRequests, "too many failed authentications from this address; try again later")
			return
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		if sw.status == http.StatusUnauthorized {
			s.failures.fail(r)
		}
	})
}
