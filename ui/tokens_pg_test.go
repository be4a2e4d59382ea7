package ui

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/api"
	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/store"
)

// TestTokensWithPostgres signs in to the dashboard mounted in the API
// server, as serve mounts it, with tokens `rebond tokens` stored in
// PostgreSQL: read and operate tokens of acme act within acme, a read
// token of beta sees beta's deny list and acme's does not, an ingest
// token is refused, a revoked token's session ends at its next request,
// and wrong tokens are throttled like the API's.
func TestTokensWithPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{URL: testsvc.Postgres(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{}
	for _, tok := range testTokens() {
		secret, _, err := st.CreateToken(ctx, tok.Name, tok.Role, tok.Tenant)
		if err != nil {
			t.Fatal(err)
		}
		secrets[tok.Name] = secret
	}
	const denied = "legal@denied.example"
	if err := st.AddListEntry(channels.WithTenant(ctx, "beta"), store.ListEntry{Channel: channels.Email, List: "deny",
		Kind: "exact", Value: denied, Reason: "legal"}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	dash, err := New(Config{AdminToken: testToken, Tokens: st}, st, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{AdminToken: testToken, Tokens: st, UI: dash, AuthFailureRate: 1.0 / 60, AuthFailureBurst: 3},
		nil, st, nil, prometheus.NewRegistry(), log)
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	lookup := "/ui/recipient?channel=email&address=" + url.QueryEscape(denied)

	beta := loginAs(t, h, secrets["beta-read"])
	wantAll(t, "beta's recipient", page(t, h, beta, lookup), "Excluded", "Denylisted", "beta-read")
	read := loginAs(t, h, secrets["acme-read"])
	if body := page(t, h, read, lookup); !strings.Contains(body, "Sendable") || strings.Contains(body, "Denylisted") {
		t.Error("acme's read token sees beta's deny list")
	}
	if res := do(t, h, "GET", lookup+"&tenant=beta", nil, read); res.StatusCode != http.StatusForbidden {
		t.Errorf("acme's read token naming beta: %d, want 403", res.StatusCode)
	}
	release := url.Values{"channel": {"email"}, "address": {"x@example.com"}, "reason": {"fixed"}}
	if res := do(t, h, "POST", "http://example.com/ui/recipient/release", release, read, "Origin", "http://example.com"); res.StatusCode != http.StatusForbidden {
		t.Errorf("read token releasing: %d, want 403", res.StatusCode)
	}
	ops := loginAs(t, h, secrets["acme-ops"])
	res := do(t, h, "POST", "http://example.com/ui/recipient/release", release, ops, "Origin", "http://example.com")
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "done=not-excluded") {
		t.Errorf("operate token releasing an active recipient: %d to %q, want the store's answer", res.StatusCode, loc)
	}
	res = do(t, h, "POST", "http://example.com/ui/login", url.Values{"token": {secrets["acme-ingest"]}}, nil, "Origin", "http://example.com")
	if body := bodyOf(t, res); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "cannot read") {
		t.Errorf("ingest token signing in: %d, want 403 saying why", res.StatusCode)
	}

	if _, err := st.RevokeToken(ctx, "acme-read"); err != nil {
		t.Fatal(err)
	}
	if res := do(t, h, "GET", "/ui/", nil, read); res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "ended=1") {
		t.Errorf("revoked token's session: %d to %q, want the login page", res.StatusCode, res.Header.Get("Location"))
	}
	page(t, h, ops, "/ui/")

	// Wrong tokens are 401, counted by the API's failure throttle: after
	// its burst of 3, even the right token waits.
	for i := range 3 {
		res := do(t, h, "POST", "http://example.com/ui/login", url.Values{"token": {store.TokenPrefix + "guess"}}, nil, "Origin", "http://example.com")
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i+1, res.StatusCode)
		}
	}
	res = do(t, h, "POST", "http://example.com/ui/login", url.Values{"token": {secrets["beta-read"]}}, nil, "Origin", "http://example.com")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("after 3 wrong tokens: %d, want 429 with Retry-After", res.StatusCode)
	}
}
