package esp

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
)

// TestMailgunReplay: a captured Mailgun signature (it covers the
// timestamp and token only) cannot carry other event data within its
// window; the same delivery again is accepted (a provider retry, counted
// once by its event id), and the token is forgotten once its timestamp
// is too old to pass anyway.
func TestMailgunReplay(t *testing.T) {
	t.Parallel()
	const key = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
	now := testNow
	h, err := NewMailgun(MailgunConfig{SigningKey: key, MaxAge: 10 * time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	call := func(body []byte) (channels.WebhookResult, error) {
		return h.Handle(httptest.NewRequest(http.MethodPost, "/v1/webhooks/mailgun", nil), body)
	}
	ts := unix(testNow)
	genuine := mailgunBody(key, ts, "tok-r", mailgunFailed)
	forged := mailgunBody(key, ts, "tok-r", strings.Replace(mailgunFailed, "a@example.com", "victim@example.com", 1))
	if res, err := call(genuine); err != nil || len(res.Events) != 1 {
		t.Fatalf("genuine: %v %d events", err, len(res.Events))
	}
	if _, err := call(forged); !errors.Is(err, channels.ErrUnauthorized) {
		t.Errorf("same token, other event data: %v, want unauthorized", err)
	}
	// A re-delivery, even formatted differently, is the same delivery.
	again := []byte(strings.Replace(string(genuine), `"event":"failed",`, `"event": "failed", `, 1))
	if res, err := call(again); err != nil || len(res.Events) != 1 {
		t.Errorf("re-delivery: %v %d events", err, len(res.Events))
	}
	// Past the window the timestamp refuses it; the cache forgets it.
	now = testNow.Add(16 * time.Minute)
	if _, err := call(forged); !errors.Is(err, channels.ErrUnauthorized) {
		t.Errorf("after the window: %v, want unauthorized (stale timestamp)", err)
	}
	if _, err := call(mailgunBody(key, unix(now), "tok-s", mailgunFailed)); err != nil {
		t.Fatal(err)
	}
	if len(h.seen.seen) != 1 {
		t.Errorf("%d tokens kept, want only the one inside its window", len(h.seen.seen))
	}
}

// TestReplayCacheBounded: a full cache refuses a new token (a server
// error: the provider delivers again later) rather than forgetting one
// still inside its window or accepting it unchecked.
func TestReplayCacheBounded(t *testing.T) {
	t.Parallel()
	c := newReplayCache(2)
	for _, tok := range []string{"a", "b"} {
		if err := c.check(tok, []byte(`{}`), testNow, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.check("c", []byte(`{}`), testNow, time.Minute); !errors.Is(err, errReplayCacheFull) {
		t.Errorf("full: %v", err)
	}
	if err := c.check("a", []byte(`{}`), testNow, time.Minute); err != nil {
		t.Errorf("a known token with its data while full: %v", err)
	}
	if err := c.check("c", []byte(`{}`), testNow.Add(time.Minute), time.Minute); err != nil {
		t.Errorf("after expiry: %v", err)
	}
}

// TestAuthenticateHeaders: Postmark and SparkPost send only header
// credentials, checked before the body is read.
func TestAuthenticateHeaders(t *testing.T) {
	t.Parallel()
	pm, err := NewPostmark(PostmarkConfig{Username: "rebond", Password: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := NewSparkPost(SparkPostConfig{Token: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	good := httptest.NewRequest(http.MethodPost, "/", nil)
	good.SetBasicAuth("rebond", "0123456789abcdef")
	good.Header.Set(sparkpostTokenHeader, "0123456789abcdef")
	bad := httptest.NewRequest(http.MethodPost, "/", nil)
	bad.SetBasicAuth("rebond", "guess")
	for name, h := range map[string]channels.HeaderAuthenticator{"postmark": pm, "sparkpost": sp} {
		if err := h.AuthenticateHeaders(good); err != nil {
			t.Errorf("%s good: %v", name, err)
		}
		if err := h.AuthenticateHeaders(bad); !errors.Is(err, channels.ErrUnauthorized) {
			t.Errorf("%s bad: %v", name, err)
		}
	}
	mg, _ := NewMailgun(MailgunConfig{SigningKey: "key-0123456789abcdef"})
	if err := channels.AuthenticateHeaders(mg, good); !errors.Is(err, channels.ErrNeedBody) {
		t.Errorf("mailgun: %v, want ErrNeedBody", err)
	}
}
