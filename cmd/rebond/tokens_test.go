package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/api"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/store"
)

// TestTokensCLI creates, lists and revokes tokens with `rebond tokens`,
// and uses them against an API server on the same database. It sets
// REBOND_DATABASE_URL, so it does not run in parallel.
func TestTokensCLI(t *testing.T) {
	url := testsvc.Postgres(t)
	t.Setenv("REBOND_DATABASE_URL", url)
	if _, err := rebondCLI(t, "migrate"); err != nil {
		t.Fatal(err)
	}
	out, err := rebondCLI(t, "tokens", "create", "--name", "dash", "--role", "read", "--tenant", "acme")
	secret := strings.TrimSpace(out)
	if err != nil || !strings.HasPrefix(secret, "rbd_") || len(secret) != 47 {
		t.Fatalf("create: %q %v, want the secret alone on stdout", out, err)
	}
	for _, args := range [][]string{
		{"tokens", "create", "--name", "dash", "--role", "admin"},
		{"tokens", "create", "--name", "x", "--role", "root"},
		{"tokens", "create", "--role", "read"},
		{"tokens", "revoke", "--name", "nobody"},
	} {
		if out, err := rebondCLI(t, args...); err == nil || strings.Contains(out, "rbd_") {
			t.Errorf("%v: %q %v, want an error and no secret", args, out, err)
		}
	}

	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	call := func(method, path, bearer string) int {
		t.Helper()
		// A new server per call: an empty token cache, so revocation shows.
		srv, err := api.New(api.Config{AdminToken: "bootstrap", Tokens: st}, nil, st, nil, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(method, path, strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+bearer)
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	if code := call("GET", "/v1/rates", secret); code != http.StatusOK {
		t.Errorf("read token reading rates: %d", code)
	}
	if code := call("POST", "/v1/events", secret); code != http.StatusForbidden {
		t.Errorf("read token ingesting: %d, want 403", code)
	}
	out, err = rebondCLI(t, "tokens", "list")
	if err != nil || !strings.Contains(out, "dash") || !strings.Contains(out, "acme") || strings.Contains(out, secret[4:]) {
		t.Errorf("list: %q %v (want the token, never its secret)", out, err)
	}
	if line := tokenLine(out, "dash"); strings.Count(line, " - ") != 1 {
		t.Errorf("list line %q: want a last-used time and no revocation", line)
	}
	if out, err := rebondCLI(t, "tokens", "revoke", "--name", "dash"); err != nil || !strings.Contains(out, `revoked token "dash"`) {
		t.Errorf("revoke: %q %v", out, err)
	}
	if code := call("GET", "/v1/rates", secret); code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", code)
	}
	if code := call("GET", "/v1/rates", "bootstrap"); code != http.StatusOK {
		t.Errorf("configured admin token: %d", code)
	}
}

// tokenLine is the line of `tokens list` for name.
func tokenLine(out, name string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l + " "
		}
	}
	return ""
}
