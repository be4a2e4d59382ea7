package ui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// fakeTokens is an in-memory token table, as store.Store keeps it: a
// revoked token is found by neither secret nor id.
type fakeTokens struct {
	mu     sync.Mutex
	tokens map[string]store.Token // by secret
	gone   map[int64]bool
	err    error
	checks int // LiveToken calls
}

// add stores a token and returns its secret.
func (f *fakeTokens) add(name string, role channels.Role, tenant string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tokens == nil {
		f.tokens, f.gone = map[string]store.Token{}, map[int64]bool{}
	}
	secret := store.TokenPrefix + "test-" + name
	f.tokens[secret] = store.Token{ID: int64(len(f.tokens) + 1), Name: name, Role: role, Tenant: tenant}
	return secret
}

func (f *fakeTokens) revoke(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tokens {
		if t.Name == name {
			f.gone[t.ID] = true
		}
	}
}

func (f *fakeTokens) LookupToken(_ context.Context, secret string) (store.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return store.Token{}, f.err
	}
	t, ok := f.tokens[secret]
	if !ok || f.gone[t.ID] {
		return store.Token{}, store.ErrNotFound
	}
	return t, nil
}

func (f *fakeTokens) LiveToken(_ context.Context, id int64) (store.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks++
	if f.err != nil {
		return store.Token{}, f.err
	}
	for _, t := range f.tokens {
		if t.ID == id && !f.gone[id] {
			return t, nil
		}
	}
	return store.Token{}, store.ErrNotFound
}

// The store is what cmd/rebond gives Config.Tokens.
var _ TokenStore = (*store.Store)(nil)

// testTokens are the tokens the tests sign in with: read, operate,
// admin and ingest of tenant acme, read of beta.
func testTokens() []store.Token {
	return []store.Token{
		{Name: "acme-read", Role: channels.RoleRead, Tenant: "acme"}, {Name: "acme-ops", Role: channels.RoleOperate, Tenant: "acme"},
		{Name: "acme-admin", Role: channels.RoleAdmin, Tenant: "acme"}, {Name: "acme-ingest", Role: channels.RoleIngest, Tenant: "acme"},
		{Name: "beta-read", Role: channels.RoleRead, Tenant: "beta"},
	}
}

// tokenFixture is a dashboard with the demo data, the task queues and
// the testTokens.
type tokenFixture struct {
	h       *Handler
	reader  *fakeReader
	tokens  *fakeTokens
	secrets map[string]string // by token name
	queued  int               // requests the queue monitor answered
}

func newTokenFixture(t *testing.T) *tokenFixture {
	t.Helper()
	fx := &tokenFixture{reader: newDemoReader(), tokens: &fakeTokens{}, secrets: map[string]string{}}
	fx.reader.known = []string{"acme", "beta", "default"}
	for _, tok := range testTokens() {
		fx.secrets[tok.Name] = fx.tokens.add(tok.Name, tok.Role, tok.Tenant)
	}
	queues := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fx.queued++ })
	fx.h = newTestHandler(t, Config{Tokens: fx.tokens, Queues: queues}, fx.reader)
	return fx
}

// lastTenant is the tenant of the reader's latest Rates call.
func (fx *tokenFixture) lastTenant() string {
	if len(fx.reader.tenants) == 0 {
		return ""
	}
	return fx.reader.tenants[len(fx.reader.tenants)-1]
}

func TestSignInWithStoredTokens(t *testing.T) {
	t.Parallel()
	fx := newTokenFixture(t)
	fx.tokens.revoke("acme-admin")
	cases := []struct {
		name   string
		token  string
		status int
		says   string
	}{
		{"read", fx.secrets["acme-read"], http.StatusSeeOther, ""},
		{"operate", fx.secrets["acme-ops"], http.StatusSeeOther, ""},
		{"other tenant", fx.secrets["beta-read"], http.StatusSeeOther, ""},
		{"ingest", fx.secrets["acme-ingest"], http.StatusForbidden, "ingest tokens send events and cannot read"},
		{"revoked", fx.secrets["acme-admin"], http.StatusUnauthorized, "not the right one"},
		{"unknown", store.TokenPrefix + "nobody", http.StatusUnauthorized, "not the right one"},
		{"spaces around", "  " + fx.secrets["acme-read"] + "\n", http.StatusSeeOther, ""},
	}
	for _, c := range cases {
		res := do(t, fx.h, "POST", "http://example.com/ui/login", url.Values{"token": {c.token}}, nil, "Origin", "http://example.com")
		body := bodyOf(t, res)
		if res.StatusCode != c.status || !strings.Contains(body, c.says) {
			t.Errorf("%s: status %d, want %d saying %q\n%s", c.name, res.StatusCode, c.status, c.says, body)
		}
		cookies := res.Cookies()
		if c.status != http.StatusSeeOther {
			if len(cookies) != 0 {
				t.Errorf("%s: refused but got cookies %v", c.name, cookies)
			}
			continue
		}
		if len(cookies) != 1 || cookies[0].Name != cookieName || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
			t.Fatalf("%s: cookies %+v, want one HttpOnly SameSite=Strict session", c.name, cookies)
		}
		// The value names the token by id, never by secret, role or tenant.
		parts := strings.Split(cookies[0].Value, ".")
		tok, _ := fx.tokens.LookupToken(context.Background(), strings.TrimSpace(c.token))
		if len(parts) != 4 || parts[2] != strconv.FormatInt(tok.ID, 10) || strings.Contains(cookies[0].Value, strings.TrimSpace(c.token)) {
			t.Errorf("%s: session value %q, want v2.<expiry>.%d.<mac>", c.name, cookies[0].Value, tok.ID)
		}
	}

	// The store cannot answer: 503, no session, nothing counted as a
	// failed guess (the API's throttle counts 401 only).
	fx.tokens.err = errFake
	res := do(t, fx.h, "POST", "http://example.com/ui/login", url.Values{"token": {fx.secrets["acme-read"]}}, nil, "Origin", "http://example.com")
	if body := bodyOf(t, res); res.StatusCode != http.StatusServiceUnavailable || len(res.Cookies()) != 0 || strings.Contains(body, "database down") {
		t.Errorf("store down: %d, cookies %v", res.StatusCode, res.Cookies())
	}

	// Without a token store only the admin token signs in.
	alone := newTestHandler(t, Config{}, newDemoReader())
	res = do(t, alone, "POST", "http://example.com/ui/login", url.Values{"token": {fx.secrets["acme-read"]}}, nil, "Origin", "http://example.com")
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("stored token without a token store: %d, want 401", res.StatusCode)
	}
}

// TestReadTokenSession: a read token's session shows its tenant's pages
// only, says who it is, and neither releases, switches tenants nor opens
// the queues.
func TestReadTokenSession(t *testing.T) {
	t.Parallel()
	fx := newTokenFixture(t)
	c := loginAs(t, fx.h, fx.secrets["acme-read"])

	overview := page(t, fx.h, c, "/ui/")
	if fx.lastTenant() != "acme" {
		t.Errorf("the overview read tenant %q, want acme", fx.lastTenant())
	}
	wantAll(t, "read overview", overview, `class="who"`, "acme-read", "acme", `class="badge role-read"`, "54,440")
	for _, absent := range []string{`name="tenant"`, "tenant-list", "beta", `href="/ui/queues/"`} {
		if strings.Contains(overview, absent) {
			t.Errorf("read overview shows %q: a stored token sees no other tenant and no queues", absent)
		}
	}

	// Its own tenant named is fine; another is refused, and its cookie
	// (left by an admin session in the same browser) is ignored.
	page(t, fx.h, c, "/ui/campaigns?tenant=acme")
	n := len(fx.reader.tenants)
	res := do(t, fx.h, "GET", "/ui/campaigns?tenant=beta", nil, c)
	if body := bodyOf(t, res); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "it shows that tenant only, not beta") ||
		len(fx.reader.tenants) != n || len(res.Cookies()) != 0 {
		t.Errorf("?tenant=beta: %d, reads %v, cookies %v; want 403 and nothing read", res.StatusCode, fx.reader.tenants[n:], res.Cookies())
	}
	if res := do(t, fx.h, "GET", "/ui/", nil, c, "Cookie", tenantCookie+"=beta"); res.StatusCode != http.StatusOK || fx.lastTenant() != "acme" {
		t.Errorf("with a tenant cookie of beta: %d, read %q, want acme", res.StatusCode, fx.lastTenant())
	}

	ann := page(t, fx.h, c, "/ui/recipient?channel=email&address=ann@example.com")
	wantAll(t, "read recipient", ann, "Excluded", "needs a token of role operate", "yours is <strong>read</strong>")
	if strings.Contains(ann, `action="/ui/recipient/release"`) {
		t.Error("a read token is offered the release form")
	}
	res = do(t, fx.h, "POST", "http://example.com/ui/recipient/release",
		url.Values{"channel": {"email"}, "address": {"ann@example.com"}, "reason": {"fixed"}}, c, "Origin", "http://example.com")
	if body := bodyOf(t, res); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "may not release") || len(fx.reader.released) != 0 {
		t.Errorf("read token releasing: %d, released %v; want 403 and nothing released\n%s", res.StatusCode, fx.reader.released, body)
	}

	res = do(t, fx.h, "GET", "http://example.com/ui/queues/api/queues", nil, c)
	if body := bodyOf(t, res); res.StatusCode != http.StatusForbidden || fx.queued != 0 || !strings.Contains(body, "configured admin token") {
		t.Errorf("read token opening the queues: %d, monitor reached %d times", res.StatusCode, fx.queued)
	}

	access := page(t, fx.h, c, "/ui/access")
	wantAll(t, "read access page", access, "the token <strong>acme-read</strong>", "<strong>acme</strong> only",
		`class="yes"`, "Read the pages", `class="no"`, "Release a quarantined or suspended recipient", "needs a token of role operate",
		"Open the task queues", "A read token changes nothing and sends no events", "--role operate --tenant acme")
}

// TestOperateTokenSession: an operate token releases within its tenant,
// audited as the token, and still reaches no other tenant nor the queues.
func TestOperateTokenSession(t *testing.T) {
	t.Parallel()
	fx := newTokenFixture(t)
	c := loginAs(t, fx.h, fx.secrets["acme-ops"])
	ann := page(t, fx.h, c, "/ui/recipient?channel=email&address=ann@example.com")
	wantAll(t, "operate recipient", ann, `action="/ui/recipient/release"`, "acme-ops", `class="badge role-operate"`)
	res := do(t, fx.h, "POST", "http://example.com/ui/recipient/release",
		url.Values{"channel": {"email"}, "address": {"ann@example.com"}, "reason": {"fixed"}}, c, "Origin", "http://example.com")
	if want := "email ann@example.com fixed token:acme-ops"; res.StatusCode != http.StatusSeeOther || len(fx.reader.released) != 1 || fx.reader.released[0] != want {
		t.Errorf("operate release: %d, released %q, want [%q]", res.StatusCode, fx.reader.released, want)
	}
	// The release form keeps the same-origin check.
	res = do(t, fx.h, "POST", "http://example.com/ui/recipient/release",
		url.Values{"channel": {"email"}, "address": {"ann@example.com"}, "reason": {"x"}}, c, "Origin", "http://evil.example")
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site release: %d, want 403", res.StatusCode)
	}
	if res := do(t, fx.h, "GET", "/ui/?tenant=beta", nil, c); res.StatusCode != http.StatusForbidden {
		t.Errorf("operate token asking for beta: %d, want 403", res.StatusCode)
	}
	if res := do(t, fx.h, "GET", "/ui/queues/", nil, c); res.StatusCode != http.StatusForbidden || fx.queued != 0 {
		t.Errorf("operate token opening the queues: %d", res.StatusCode)
	}
	wantAll(t, "operate access page", page(t, fx.h, c, "/ui/access"), "change the deny and allow lists", `class="no"`, "Show another tenant",
		"--role admin --tenant acme")
}

// TestOtherTenantToken: a token of beta reads beta, whatever the
// admin last chose in the browser, and cannot name acme.
func TestOtherTenantToken(t *testing.T) {
	t.Parallel()
	fx := newTokenFixture(t)
	admin := login(t, fx.h)
	page(t, fx.h, admin, "/ui/?tenant=acme")
	if fx.lastTenant() != "acme" {
		t.Fatalf("admin ?tenant=acme read %q", fx.lastTenant())
	}
	c := loginAs(t, fx.h, fx.secrets["beta-read"])
	wantAll(t, "beta overview", page(t, fx.h, c, "/ui/"), "beta-read")
	if fx.lastTenant() != "beta" {
		t.Errorf("beta token read %q", fx.lastTenant())
	}
	if res := do(t, fx.h, "GET", "/ui/domains?tenant=acme", nil, c); res.StatusCode != http.StatusForbidden {
		t.Errorf("beta token asking for acme: %d, want 403", res.StatusCode)
	}
	// The admin token still switches, and sees the queues.
	wantAll(t, "admin overview", page(t, fx.h, admin, "/ui/?tenant=beta"), `name="tenant" value="beta"`, "tenant-list", `href="/ui/queues/"`, "admin token")
	if res := do(t, fx.h, "GET", "/ui/queues/", nil, admin); res.StatusCode != http.StatusOK || fx.queued != 1 {
		t.Errorf("admin opening the queues: %d", res.StatusCode)
	}
}

// TestStoredAdminToken: a stored admin token releases, but within its
// tenant: the tenant switch and the queues are the configured token's.
func TestStoredAdminToken(t *testing.T) {
	t.Parallel()
	fx := newTokenFixture(t)
	c := loginAs(t, fx.h, fx.secrets["acme-admin"])
	wantAll(t, "stored admin recipient", page(t, fx.h, c, "/ui/recipient?channel=email&address=ann@example.com"), `action="/ui/recipient/release"`)
	if res := do(t, fx.h, "GET", "/ui/?tenant=beta", nil, c); res.StatusCode != http.StatusForbidden {
		t.Errorf("stored admin token asking for beta: %d, want 403", res.StatusCode)
	}
	res := do(t, fx.h, "GET", "/ui/queues/", nil, c)
	if body := bodyOf(t, res); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "acts for tenant acme only") {
		t.Errorf("stored admin token opening the queues: %d\n%s", res.StatusCode, body)
	}
}

// TestRevokedTokenEndsSession: the session is checked against the store
// on every request, so revoking its token ends it at the next one.
func TestRevokedTokenEndsSession(t *testing.T) {
	t.Parallel()
	fx := newTokenFixture(t)
	c := loginAs(t, fx.h, fx.secrets["acme-ops"])
	page(t, fx.h, c, "/ui/campaigns")
	checks := fx.tokens.checks
	page(t, fx.h, c, "/ui/campaigns")
	if fx.tokens.checks != checks+1 {
		t.Errorf("a page checked the token %d times, want once", fx.tokens.checks-checks)
	}
	fx.tokens.revoke("acme-ops")

	res := do(t, fx.h, "GET", "/ui/campaigns", nil, c)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/ui/login?") || !strings.Contains(loc, "ended=1") ||
		!strings.Contains(loc, "next=%2Fui%2Fcampaigns") {
		t.Fatalf("revoked session: %d to %q, want the login page saying why", res.StatusCode, loc)
	}
	if cs := res.Cookies(); len(cs) != 1 || cs[0].Name != cookieName || cs[0].MaxAge >= 0 {
		t.Errorf("revoked session: cookies %+v, want the session cleared", cs)
	}
	wantAll(t, "login after revocation", bodyOf(t, do(t, fx.h, "GET", loc, nil, c)), "its token was revoked")
	res = do(t, fx.h, "POST", "http://example.com/ui/recipient/release",
		url.Values{"channel": {"email"}, "address": {"ann@example.com"}, "reason": {"x"}}, c, "Origin", "http://example.com")
	if res.StatusCode != http.StatusSeeOther || len(fx.reader.released) != 0 {
		t.Errorf("release with a revoked session: %d, released %v", res.StatusCode, fx.reader.released)
	}

	// A store that cannot answer is no reason to let the session in, nor
	// to end it: 503, try again.
	c = loginAs(t, fx.h, fx.secrets["acme-read"])
	fx.tokens.err = errFake
	res = do(t, fx.h, "GET", "/ui/", nil, c)
	if body := bodyOf(t, res); res.StatusCode != http.StatusServiceUnavailable || strings.Contains(body, "database down") || len(res.Cookies()) != 0 {
		t.Errorf("token store down: %d, cookies %v", res.StatusCode, res.Cookies())
	}
	// A stored token's session on a server without a token store is none.
	alone := newTestHandler(t, Config{}, newDemoReader())
	if res := do(t, alone, "GET", "/ui/", nil, c); res.StatusCode != http.StatusSeeOther {
		t.Errorf("stored-token session without a token store: %d, want the login page", res.StatusCode)
	}
}

// TestMayFollowsRoles is the dashboard's action table against every role.
func TestMayFollowsRoles(t *testing.T) {
	t.Parallel()
	admin := adminIdentity()
	for _, c := range []struct {
		who  identity
		want map[action]bool
	}{
		{identity{Role: channels.RoleIngest, Tenant: "acme"}, map[action]bool{}},
		{identity{Role: channels.RoleRead, Tenant: "acme"}, map[action]bool{actView: true}},
		{identity{Role: channels.RoleOperate, Tenant: "acme"}, map[action]bool{actView: true, actRelease: true}},
		{identity{Role: channels.RoleAdmin, Tenant: "acme"}, map[action]bool{actView: true, actRelease: true}},
		{admin, map[action]bool{actView: true, actRelease: true, actTenants: true, actQueues: true}},
		{identity{}, map[action]bool{}},
	} {
		for _, a := range append(accessOrder, "undecided") {
			if got := c.who.may(a); got != c.want[a] {
				t.Errorf("%+v may %s: %v, want %v", c.who, a, got, c.want[a])
			}
		}
	}
	if got := (identity{Name: "x"}).actor(); got != "token:x" {
		t.Errorf("stored token's actor %q", got)
	}
	if got := admin.actor(); got != "ui:admin" {
		t.Errorf("admin's actor %q", got)
	}
}
