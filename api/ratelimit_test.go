package api

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDefaultRateLimitTakesOneEventPerRequest: with the default limit, a
// token posting one event per request at 2,000 requests a second (the
// clock is faked: 0.5 ms between requests) is never refused, neither in
// the first second nor in a sustained run; the limit still exists above
// its rate, and its 429 says how to batch.
func TestDefaultRateLimitTakesOneEventPerRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{}, nil)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f.srv.now = func() time.Time { return now }
	for i := range 2000 {
		if code, body := f.authed("POST", "/v1/events", sentEvent); code != http.StatusAccepted {
			t.Fatalf("single-event request %d within one second: %d %s", i+1, code, body)
		}
		now = now.Add(time.Second / 2000)
	}
	if len(f.pub.events) != 2000 {
		t.Errorf("published %d events, want 2000", len(f.pub.events))
	}

	// The limiter alone: ten seconds at 2,000 a second, after the burst
	// is spent, all allowed; at 3,000 a second for 20 s (60,000 against
	// 5,000 + 50,000 units) some are refused.
	cfg := Config{}.withDefaults()
	run := func(perSecond, seconds int) (refused int) {
		clock := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		l := newLimiters(cfg.RateLimit, cfg.RateBurst, func() time.Time { return clock })
		for range perSecond * seconds {
			if !l.allow("token:shop", "POST /v1/events") {
				refused++
			}
			clock = clock.Add(time.Second / time.Duration(perSecond))
		}
		return refused
	}
	if n := run(2000, 10); n != 0 {
		t.Errorf("2,000 requests/s for 10 s: %d refused, want 0", n)
	}
	if n := run(3000, 20); n == 0 {
		t.Error("3,000 requests/s for 20 s: none refused; the default limit must still bound a token")
	}
	if cfg.RateBurst < 2000 {
		t.Errorf("default burst %d: a second's worth of a 2,000/s sender must fit", cfg.RateBurst)
	}
}

// TestRateLimitAnswerSaysBatch: a refused event post names the limit and
// the batch size that needs fewer requests.
func TestRateLimitAnswerSaysBatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{RateLimit: 1, RateBurst: 1, MaxBatch: 500}, nil)
	f.authed("POST", "/v1/events", sentEvent)
	code, body := f.authed("POST", "/v1/events", sentEvent)
	if code != http.StatusTooManyRequests || !strings.Contains(body, "up to 500 a request") {
		t.Errorf("%d %s, want 429 naming arrays of up to 500", code, body)
	}
}
