package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/rebond/rebond/channels"
)

// headerHook authenticates on the Authorization header alone, as basic
// auth and URL-token providers do.
type headerHook struct{ hook }

func (headerHook) AuthenticateHeaders(r *http.Request) error {
	if r.Header.Get("Authorization") != "Basic good" {
		return channels.Unauthorized("wrong credentials")
	}
	return nil
}

// countingBody is a request body of n bytes that counts what was read.
type countingBody struct {
	left int64
	read *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > b.left {
		n = b.left
	}
	b.left -= n
	b.read.Add(n)
	return int(n), nil
}

// TestWebhookBodyReadAfterAuthentication: a caller whose headers do not
// authenticate it sends no more than a small body, and one with wrong
// header credentials has none of its body read; a genuine one may send
// up to the full limit.
func TestWebhookBodyReadAfterAuthentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{MaxBodyBytes: 8 << 20, WebhookUnverifiedBytes: 64 << 10, Webhooks: map[string]channels.Webhook{
		"signed": hook{}, "basic": headerHook{}}}, nil)
	send := func(name, auth string, size int64) (int, int64) {
		t.Helper()
		var read atomic.Int64
		req := httptest.NewRequest("POST", "/v1/webhooks/"+name, &countingBody{left: size, read: &read})
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(rec, req)
		return rec.Code, read.Load()
	}
	const big = 8 << 20
	if code, read := send("signed", "", big); code != http.StatusRequestEntityTooLarge || read > 64<<10+64<<10 {
		t.Errorf("unauthenticated 8 MiB to a signed webhook: %d after reading %d bytes, want 413 after about 64 KiB", code, read)
	}
	if code, read := send("basic", "Basic wrong", big); code != http.StatusUnauthorized || read != 0 {
		t.Errorf("wrong credentials: %d after reading %d bytes, want 401 after none", code, read)
	}
	if code, read := send("basic", "", big); code != http.StatusUnauthorized || read != 0 {
		t.Errorf("no credentials: %d after reading %d bytes, want 401 after none", code, read)
	}
	if code, read := send("basic", "Basic good", big-1024); code != http.StatusOK || read != big-1024 {
		t.Errorf("authenticated by its headers: %d after reading %d bytes, want 200 after all", code, read)
	}
	if code, _ := send("signed", "", 1024); code != http.StatusOK {
		t.Errorf("small signed call: %d", code)
	}
}

// blockingHook holds its call until released, to fill the slots of
// unauthenticated reads.
type blockingHook struct {
	entered chan struct{}
	release chan struct{}
}

func (h blockingHook) Handle(*http.Request, []byte) (channels.WebhookResult, error) {
	h.entered <- struct{}{}
	<-h.release
	return channels.WebhookResult{}, nil
}

// TestWebhookUnverifiedReadsCapped: while every slot for unauthenticated
// bodies is taken, another unauthenticated call is answered 503 with
// Retry-After at once, its body unread; calls authenticated by their
// headers are not held back; a freed slot serves again.
func TestWebhookUnverifiedReadsCapped(t *testing.T) {
	t.Parallel()
	bh := blockingHook{entered: make(chan struct{}), release: make(chan struct{})}
	f := newFixture(t, Config{WebhookUnverifiedReads: 1, Webhooks: map[string]channels.Webhook{
		"slow": bh, "signed": hook{}, "basic": headerHook{}}}, nil)
	send := func(name, auth string) (*httptest.ResponseRecorder, int64) {
		var read atomic.Int64
		req := httptest.NewRequest("POST", "/v1/webhooks/"+name, &countingBody{left: 1024, read: &read})
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(rec, req)
		return rec, read.Load()
	}
	done := make(chan int)
	go func() { rec, _ := send("slow", ""); done <- rec.Code }()
	<-bh.entered
	if rec, read := send("signed", ""); rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || read != 0 {
		t.Errorf("slots full: %d Retry-After %q after reading %d bytes, want 503 at once", rec.Code, rec.Header().Get("Retry-After"), read)
	}
	if rec, _ := send("basic", "Basic good"); rec.Code != http.StatusOK {
		t.Errorf("authenticated by its headers while full: %d", rec.Code)
	}
	close(bh.release)
	if code := <-done; code != http.StatusOK {
		t.Errorf("slow call: %d", code)
	}
	if rec, _ := send("signed", ""); rec.Code != http.StatusOK {
		t.Errorf("after the slot is freed: %d", rec.Code)
	}
}
