package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// fakeTokens is an in-memory token table; it counts the lookups it
// answered, to see the cache at work.
type fakeTokens struct {
	mu      sync.Mutex
	tokens  map[string]store.Token // by secret
	err     error
	lookups int
}

func (f *fakeTokens) LookupToken(_ context.Context, secret string) (store.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	if f.err != nil {
		return store.Token{}, f.err
	}
	t, ok := f.tokens[secret]
	if !ok || t.RevokedAt != nil {
		return store.Token{}, store.ErrNotFound
	}
	return t, nil
}

// add stores a token and returns its secret (any rbd_ string will do here).
func (f *fakeTokens) add(name string, role channels.Role) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tokens == nil {
		f.tokens = map[string]store.Token{}
	}
	secret := store.TokenPrefix + "secret-of-" + name
	f.tokens[secret] = store.Token{Name: name, Role: role, Tenant: channels.DefaultTenant}
	return secret
}

func (f *fakeTokens) revoke(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	for s, t := range f.tokens {
		if t.Name == name {
			t.RevokedAt = &now
			f.tokens[s] = t
		}
	}
}

func (f *fakeTokens) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups
}

// fullFixture configures every optional route, so that each answers.
func fullFixture(t testing.TB, tokens *fakeTokens) *fixture {
	t.Helper()
	return newFixture(t, Config{Operator: &fakeOperator{}, Events: &fakeEventLog{}, TextCheck: fakeCheck, Rules: &fakeBook{}, Tokens: tokens}, nil)
}

// fillPath gives a pattern's wildcards sample values.
var fillPath = strings.NewReplacer("{channel}", "email", "{address}", "a@b.c", "{list}", "deny", "{kind}", "exact",
	"{value}", "a@b.c", "{id}", "x", "{group}", "x", "{name}", "x")

// authRoutes are the registered /v1 routes that take a bearer token
// (webhooks authenticate with provider signatures instead).
func authRoutes(s *Server) []string {
	var out []string
	for _, p := range s.patterns {
		_, path, _ := strings.Cut(p, " ")
		if strings.HasPrefix(path, "/v1/") && !strings.HasPrefix(path, "/v1/webhooks/") {
			out = append(out, p)
		}
	}
	return out
}

func TestEveryAuthRouteHasARole(t *testing.T) {
	t.Parallel()
	f := fullFixture(t, &fakeTokens{})
	var missing []string
	for _, p := range f.srv.patterns {
		method, path, _ := strings.Cut(p, " ")
		code, body := f.authed(method, fillPath.Replace(path), "{}")
		if code == http.StatusInternalServerError && strings.Contains(body, "no role for route") {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		t.Errorf("routes with auth and no role in routeRoles (api/roles.go), refused with 500 until they get one:\n  %s",
			strings.Join(missing, "\n  "))
	}
	for p := range routeRoles {
		if !slices.Contains(f.srv.patterns, p) {
			t.Errorf("routeRoles names %q, which is not a registered route", p)
		}
	}
}

// TestRouteRolesFollowThePolicy restates the policy independently of the
// table: a GET reads, POST /v1/events and the consent URLs a sender signs
// for its messages ingest, the POSTs listed here only read, and every
// other change operates.
func TestRouteRolesFollowThePolicy(t *testing.T) {
	t.Parallel()
	readPOSTs := []string{"POST /v1/exclusions", "POST /v1/sms/check", "POST /v1/rules/explain", "POST /v1/rules/backtest"}
	ingestPOSTs := []string{"POST /v1/events", "POST /v1/consent/unsubscribe", "POST /v1/consent/requests"}
	for p, got := range routeRoles {
		want := channels.RoleOperate
		switch {
		case slices.Contains(ingestPOSTs, p):
			want = channels.RoleIngest
		case strings.HasPrefix(p, "GET "), slices.Contains(readPOSTs, p):
			want = channels.RoleRead
		}
		if got != want {
			t.Errorf("%s needs %s, want %s", p, got, want)
		}
	}
}

func TestRolesOnEveryV1Route(t *testing.T) {
	t.Parallel()
	tokens := &fakeTokens{}
	secrets := map[channels.Role]string{}
	for _, r := range channels.Roles() {
		secrets[r] = tokens.add("t-"+string(r), r)
	}
	revoked := tokens.add("gone", channels.RoleAdmin)
	tokens.revoke("gone")
	unknown := store.TokenPrefix + "nobody-has-this-one"
	// allowed[need] are the roles that may call a route needing need.
	allowed := map[channels.Role][]channels.Role{
		channels.RoleIngest:  {channels.RoleIngest, channels.RoleAdmin},
		channels.RoleRead:    {channels.RoleRead, channels.RoleOperate, channels.RoleAdmin},
		channels.RoleOperate: {channels.RoleOperate, channels.RoleAdmin},
		channels.RoleAdmin:   {channels.RoleAdmin},
	}
	f := fullFixture(t, tokens)
	routes := authRoutes(f.srv)
	if len(routes) < 20 {
		t.Fatalf("only %d /v1 routes found: %v", len(routes), routes)
	}
	for _, p := range routes {
		need, ok := routeRoles[p]
		if !ok {
			t.Errorf("%s: no role (TestEveryAuthRouteHasARole lists these)", p)
			continue
		}
		method, path, _ := strings.Cut(p, " ")
		path = fillPath.Replace(path)
		for _, role := range channels.Roles() {
			code, body := f.do(method, path, "{}", "Bearer "+secrets[role])
			switch {
			case slices.Contains(allowed[need], role) && (code == http.StatusUnauthorized || code == http.StatusForbidden):
				t.Errorf("%s with a %s token: %d %s, want past authorization", p, role, code, body)
			case !slices.Contains(allowed[need], role) && code != http.StatusForbidden:
				t.Errorf("%s with a %s token: %d %s, want 403", p, role, code, body)
			}
		}
		if code, _ := f.authed(method, path, "{}"); code == http.StatusUnauthorized || code == http.StatusForbidden {
			t.Errorf("%s with the configured admin token: %d", p, code)
		}
		for name, secret := range map[string]string{"revoked": revoked, "unknown": unknown} {
			if code, body := f.do(method, path, "{}", "Bearer "+secret); code != http.StatusUnauthorized {
				t.Errorf("%s with a %s token: %d %s, want 401", p, name, code, body)
			}
		}
	}
}

func TestTokenCacheBoundsRevocation(t *testing.T) {
	t.Parallel()
	tokens := &fakeTokens{}
	secret := tokens.add("dash", channels.RoleRead)
	f := fullFixture(t, tokens)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	f.srv.now = func() time.Time { return now }
	get := func() int {
		code, _ := f.do("GET", "/v1/rates", "", "Bearer "+secret)
		return code
	}
	for range 3 {
		if code := get(); code != http.StatusOK {
			t.Fatalf("live token: %d", code)
		}
	}
	if n := tokens.count(); n != 1 {
		t.Errorf("3 requests cost %d lookups, want 1 (cached)", n)
	}
	tokens.revoke("dash")
	now = now.Add(defaultTokenCacheTTL - time.Second)
	if code := get(); code != http.StatusOK {
		t.Errorf("revoked token inside the cache period: %d, want still 200 (documented window)", code)
	}
	now = now.Add(2 * time.Second)
	if code := get(); code != http.StatusUnauthorized {
		t.Errorf("revoked token after the cache period: %d, want 401", code)
	}
	// A refused secret is cached too: a client retrying it costs no query.
	before := tokens.count()
	for range 3 {
		get()
	}
	if n := tokens.count() - before; n != 0 {
		t.Errorf("a known-bad token cost %d lookups", n)
	}
}

func TestTokenLookupFailure(t *testing.T) {
	t.Parallel()
	tokens := &fakeTokens{}
	secret := tokens.add("dash", channels.RoleRead)
	tokens.err = errors.New("connection refused")
	f := fullFixture(t, tokens)
	code, body := f.do("GET", "/v1/rates", "", "Bearer "+secret)
	if code != http.StatusServiceUnavailable || strings.Contains(body, "refused") {
		t.Errorf("store down: %d %s, want 503 without detail", code, body)
	}
	tokens.mu.Lock()
	tokens.err = nil
	tokens.mu.Unlock()
	if code, _ := f.do("GET", "/v1/rates", "", "Bearer "+secret); code != http.StatusOK {
		t.Errorf("a failed lookup must not be cached: %d", code)
	}
	// Without a token table only the configured admin token works, and a
	// stored-token secret is not even looked up.
	bare := newFixture(t, Config{}, nil)
	if code, _ := bare.do("GET", "/v1/rates", "", "Bearer "+secret); code != http.StatusUnauthorized {
		t.Errorf("no token table: %d, want 401", code)
	}
	if code, _ := f.do("GET", "/v1/rates", "", "Bearer "+store.TokenPrefix+strings.Repeat("x", maxBearer)); code != http.StatusUnauthorized {
		t.Errorf("oversized token: %d", code)
	}
}

func TestTokenNameIsTheAuditActor(t *testing.T) {
	t.Parallel()
	tokens := &fakeTokens{}
	secret := tokens.add("ops-bot", channels.RoleOperate)
	op := &fakeOperator{excluded: map[string]channels.State{"a@example.com": channels.StateQuarantined}}
	book := &fakeBook{}
	f := newFixture(t, Config{Operator: op, Rules: book, Tokens: tokens}, nil)
	bearer := "Bearer " + secret
	if code, body := f.do("POST", "/v1/recipients/email/a@example.com/release", `{"reason":"fixed"}`, bearer); code != http.StatusOK {
		t.Fatalf("release: %d %s", code, body)
	}
	if len(op.audit) != 1 || !strings.HasPrefix(op.audit[0], "token:ops-bot a@example.com") {
		t.Errorf("audit %q, want actor token:ops-bot", op.audit)
	}
	for _, q := range []string{"", "?author=ann"} {
		if code, body := f.do("POST", "/v1/qualification/q1/ignore"+q, "", bearer); code != http.StatusOK {
			t.Fatalf("ignore: %d %s", code, body)
		}
	}
	// The token names the author; ?author= can only add to it.
	want := []string{"ignore q1 token:ops-bot", "ignore q1 token:ops-bot (ann)"}
	if !slices.Equal(book.calls, want) {
		t.Errorf("book calls %q, want %q", book.calls, want)
	}
	// The configured admin token keeps its actor.
	op.excluded["b@example.com"] = channels.StateSuspended
	if code, _ := f.authed("POST", "/v1/recipients/email/b@example.com/release", `{"reason":"r"}`); code != http.StatusOK || !strings.HasPrefix(op.audit[1], actorAdmin+" ") {
		t.Errorf("admin token: %d, audit %q", code, op.audit)
	}
}

func TestTokenCacheStaysBounded(t *testing.T) {
	t.Parallel()
	c := newTokenCache(time.Minute)
	now := time.Now()
	look := &fakeTokens{}
	for i := range maxTokenCache + 10 {
		if _, found, err := c.get(context.Background(), look, store.TokenPrefix+strings.Repeat("x", i%50)+time.Duration(i).String(), now); err != nil || found {
			t.Fatalf("lookup %d: %v %v", i, found, err)
		}
	}
	if n := len(c.entries); n > maxTokenCache {
		t.Errorf("cache holds %d entries, bound %d", n, maxTokenCache)
	}
}

// FuzzAuthorization sends arbitrary Authorization headers: only the exact
// secret of a live token passes, and the answer is never a 500.
func FuzzAuthorization(f *testing.F) {
	tokens := &fakeTokens{}
	secret := tokens.add("dash", channels.RoleRead)
	for _, s := range []string{"", "Bearer ", "Bearer " + secret, "Bearer  " + secret + " ", "bearer " + secret, "Bearer " + token, "Bearer rbd_", "Basic " + secret} {
		f.Add(s)
	}
	fx := fullFixture(f, tokens)
	f.Fuzz(func(t *testing.T, auth string) {
		req := httptest.NewRequest("GET", "/v1/rates", nil)
		req.Header["Authorization"] = []string{auth}
		rec := httptest.NewRecorder()
		fx.srv.Handler().ServeHTTP(rec, req)
		bearer, _ := strings.CutPrefix(auth, "Bearer ")
		bearer = strings.TrimSpace(bearer)
		valid := strings.HasPrefix(auth, "Bearer ") && (bearer == secret || bearer == token)
		if ok := rec.Code == http.StatusOK; ok != valid || (!ok && rec.Code != http.StatusUnauthorized) {
			t.Fatalf("%q: %d (valid %v)", auth, rec.Code, valid)
		}
	})
}
