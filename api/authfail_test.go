package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
)

// TestAuthFailuresThrottled: a client that fails to authenticate more
// than the burst gets 429 with Retry-After on every authenticated route,
// whatever it sends next, until its bucket refills; other clients are not
// affected, and an IPv6 client is its /64.
func TestAuthFailuresThrottled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{AuthFailureRate: 0.5, AuthFailureBurst: 3, Webhooks: map[string]channels.Webhook{
		"bad": hook{err: channels.Unauthorized("signature")}}}, nil)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f.srv.now = func() time.Time { return now }
	call := func(from, method, path, auth string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(""))
		req.RemoteAddr = from
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		rec := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	const a, b = "198.51.100.7:4000", "198.51.100.8:4000"
	for i := range 2 {
		if rec := call(a, "GET", "/v1/rates", "guess"); rec.Code != 401 {
			t.Fatalf("failure %d: %d", i+1, rec.Code)
		}
	}
	// A webhook's failed signature counts as well.
	if rec := call(a, "POST", "/v1/webhooks/bad", ""); rec.Code != 401 {
		t.Fatalf("webhook: %d", rec.Code)
	}
	for _, tc := range []struct{ method, path, auth string }{
		{"GET", "/v1/rates", "guess"},
		{"GET", "/v1/rates", token}, // even the right token: no oracle
		{"POST", "/v1/webhooks/bad", ""},
	} {
		rec := call(a, tc.method, tc.path, tc.auth)
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" {
			t.Errorf("%s %s over the budget: %d Retry-After %q, want 429 and 2", tc.method, tc.path, rec.Code, rec.Header().Get("Retry-After"))
		}
	}
	if rec := call(b, "GET", "/v1/rates", token); rec.Code != 200 {
		t.Errorf("another client: %d", rec.Code)
	}
	// The bucket refills: one failure's worth after 2 s.
	now = now.Add(2 * time.Second)
	if rec := call(a, "GET", "/v1/rates", token); rec.Code != 200 {
		t.Errorf("after the wait: %d", rec.Code)
	}
	// IPv6: the /64 is one client.
	for i := range 3 {
		call("[2001:db8:1:2::"+string(rune('a'+i))+"]:1", "GET", "/v1/rates", "guess")
	}
	if rec := call("[2001:db8:1:2::ffff]:1", "GET", "/v1/rates", token); rec.Code != http.StatusTooManyRequests {
		t.Errorf("same /64: %d, want 429", rec.Code)
	}
	if rec := call("[2001:db8:1:3::1]:1", "GET", "/v1/rates", token); rec.Code != 200 {
		t.Errorf("another /64: %d", rec.Code)
	}
}

// TestFailureThrottleBounded: the throttle forgets refilled clients when
// it is full, and never grows past its bound.
func TestFailureThrottleBounded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	th := newFailureThrottle(1, 1, func() time.Time { return now })
	th.max = 4
	req := func(i int) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.0.0." + string(rune('0'+i)) + ":1"
		return r
	}
	for i := range 6 {
		th.fail(req(i))
	}
	if len(th.by) != 4 {
		t.Errorf("%d clients tracked, want the bound 4", len(th.by))
	}
	now = now.Add(time.Minute)
	th.fail(req(7))
	if len(th.by) != 1 || th.wait(req(7)) == 0 {
		t.Errorf("after refilling: %d clients, client 7 waits %v", len(th.by), th.wait(req(7)))
	}
}
