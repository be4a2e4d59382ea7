package ui

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/phone"
	"github.com/rebond/rebond/store"
)

const testToken = "s3cret-admin-token-for-tests"

// The store is what cmd/rebond gives New: it must keep both interfaces.
var (
	_ Reader       = (*store.Store)(nil)
	_ Releaser     = (*store.Store)(nil)
	_ TenantLister = (*store.Store)(nil)
)

func newTestHandler(t testing.TB, cfg Config, r Reader) *Handler {
	t.Helper()
	if cfg.AdminToken == "" {
		cfg.AdminToken = testToken
	}
	h, err := New(cfg, r, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	h.now = func() time.Time { return demoNow }
	return h
}

// do sends a request to h; a non-nil cookie is the session.
func do(t testing.TB, h http.Handler, method, target string, body url.Values, cookie *http.Cookie, header ...string) *http.Response {
	t.Helper()
	var r *http.Request
	if body != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(body.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func bodyOf(t testing.TB, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// login signs in with the admin token and returns the session cookie.
func login(t testing.TB, h http.Handler) *http.Cookie {
	t.Helper()
	return loginAs(t, h, testToken)
}

// loginAs signs in with token and returns the session cookie.
func loginAs(t testing.TB, h http.Handler, token string) *http.Cookie {
	t.Helper()
	res := do(t, h, "POST", "http://example.com/ui/login", url.Values{"token": {token}}, nil, "Origin", "http://example.com")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: status %d, want 303", res.StatusCode)
	}
	for _, c := range res.Cookies() {
		if c.Name == cookieName {
			return c
		}
	}
	t.Fatal("login set no session cookie")
	return nil
}

func TestPagesRequireLogin(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, Config{}, newDemoReader())
	for _, path := range []string{"/ui/", "/ui/campaigns?range=7", "/ui/campaign?channel=email&name=spring-sale",
		"/ui/domains", "/ui/reasons", "/ui/recipient?address=ann@example.com", "/ui/nowhere"} {
		res := do(t, h, "GET", path, nil, nil)
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/ui/login") {
			t.Errorf("GET %s without a session: %d to %q, want 303 to the login page", path, res.StatusCode, loc)
		}
		if path != "/ui/" && !strings.Contains(loc, "next="+url.QueryEscape(path)) {
			t.Errorf("GET %s: login link %q forgets where it was going", path, loc)
		}
	}
	for _, bad := range []string{"v1.9999999999.AAAA", "garbage", strings.Repeat("x", 1000), ""} {
		res := do(t, h, "GET", "/ui/", nil, &http.Cookie{Name: cookieName, Value: bad})
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("forged session %q let in: status %d", bad, res.StatusCode)
		}
	}
}

func TestStaticAssetsNeedNoLogin(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, Config{}, newDemoReader())
	for path, ctype := range map[string]string{"/ui/static/style.css": "text/css", "/ui/static/app.js": "javascript", "/ui/static/favicon.svg": "image/svg+xml"} {
		res := do(t, h, "GET", path, nil, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), ctype) {
			t.Errorf("GET %s: %d %q, want 200 %s", path, res.StatusCode, res.Header.Get("Content-Type"), ctype)
		}
	}
	if res := do(t, h, "GET", "/ui/static/", nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("static directory listing: status %d, want 404", res.StatusCode)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, Config{}, newDemoReader())
	same := []string{"Origin", "http://example.com"}

	res := do(t, h, "GET", "/ui/login?next=/ui/domains", nil, nil)
	if body := bodyOf(t, res); res.StatusCode != 200 || !strings.Contains(body, `name="token"`) || !strings.Contains(body, `value="/ui/domains"`) ||
		strings.Contains(body, "Sign out") {
		t.Fatalf("login page: %d, want the token form without the navigation\n%s", res.StatusCode, body)
	}

	res = do(t, h, "POST", "http://example.com/ui/login", url.Values{"token": {"wrong"}, "next": {"/ui/domains"}}, nil, same...)
	if body := bodyOf(t, res); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not the right one") {
		t.Errorf("bad token: status %d, want 401 with an explanation", res.StatusCode)
	}
	if len(res.Cookies()) != 0 {
		t.Errorf("bad token got cookies %v", res.Cookies())
	}
	if res := do(t, h, "POST", "http://example.com/ui/login", url.Values{"token": {testToken + "x"}}, nil, same...); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("token with a suffix: status %d, want 401", res.StatusCode)
	}

	res = do(t, h, "POST", "http://example.com/ui/login", url.Values{"token": {testToken}, "next": {"/ui/domains?range=7"}}, nil, same...)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/ui/domains?range=7" {
		t.Fatalf("good token: %d to %q, want 303 to /ui/domains?range=7", res.StatusCode, res.Header.Get("Location"))
	}
	c := res.Cookies()[0]
	if c.Name != cookieName || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/ui/" ||
		c.MaxAge != 12*3600 || c.Secure {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path /ui/, 12 h, not Secure over plain HTTP", c)
	}
	if strings.Contains(c.Value, testToken) {
		t.Error("the session cookie carries the token")
	}
	if res := do(t, h, "GET", "/ui/", nil, c); res.StatusCode != http.StatusOK {
		t.Errorf("overview with the session: status %d", res.StatusCode)
	}
	if res := do(t, h, "GET", "/ui/login", nil, c); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/ui/" {
		t.Errorf("login page while signed in: %d to %q, want the overview", res.StatusCode, res.Header.Get("Location"))
	}

	// A session ends after 12 hours.
	late := newTestHandler(t, Config{}, newDemoReader())
	late.now = func() time.Time { return demoNow.Add(12*time.Hour + time.Second) }
	if res := do(t, late, "GET", "/ui/", nil, c); res.StatusCode != http.StatusSeeOther {
		t.Errorf("13-hour-old session: status %d, want a redirect to login", res.StatusCode)
	}
	// Another admin token (another key) does not accept it.
	other := newTestHandler(t, Config{AdminToken: "another-token"}, newDemoReader())
	if res := do(t, other, "GET", "/ui/", nil, c); res.StatusCode != http.StatusSeeOther {
		t.Errorf("session of another token accepted: status %d", res.StatusCode)
	}
}

func TestLoginOpenRedirectRefused(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, Config{}, newDemoReader())
	for _, next := range []string{"https://evil.example/", "//evil.example/ui/", "/ui//evil.example", "/ui/\\evil", "/other", "/ui/login?next=x"} {
		res := do(t, h, "POST", "http://example.com/ui/login", url.Values{"token": {testToken}, "next": {next}}, nil, "Origin", "http://example.com")
		if loc := res.Header.Get("Location"); loc != "/ui/" {
			t.Errorf("next=%q: redirected to %q, want /ui/", next, loc)
		}
	}
}

func TestSecureCookie(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, Config{SecureCookies: true}, newDemoReader())
	if c := login(t, h); !c.Secure {
		t.Error("SecureCookies set but the cookie is not Secure")
	}
	h = newTestHandler(t, Config{}, newDemoReader())
	r := httptest.NewRequest("POST", "https://example.com/ui/login", strings.NewReader("token="+testToken))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://example.com")
	r.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if cs := w.Result().Cookies(); len(cs) != 1 || !cs[0].Secure {
		t.Errorf("cookie set over TLS: %v, want Secure", cs)
	}
}

func TestPostsCheckOrigin(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, Config{}, newDemoReader())
	c := login(t, h)
	form := url.Values{"token": {testToken}}
	cases := []struct {
		name   string
		header []string
		want   int
	}{
		{"no origin nor referer", nil, http.StatusForbidden},
		{"other origin", []string{"Origin", "http://evil.example"}, http.StatusForbidden},
		{"null origin", []string{"Origin", "null"}, http.StatusForbidden},
		{"other referer", []string{"Referer", "http://evil.example/ui/login"}, http.StatusForbidden},
		{"cross-site fetch", []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://example.com"}, http.StatusForbidden},
		{"same referer", []string{"Referer", "http://example.com/ui/login"}, http.StatusSeeOther},
		{"same origin", []string{"Origin", "http://example.com"}, http.StatusSeeOther},
		{"same-origin fetch", []string{"Sec-Fetch-Site", "same-origin"}, http.StatusSeeOther},
	}
	for _, tc := range cases {
		for _, path := range []string{"/ui/login", "/ui/logout"} {
			res := do(t, h, "POST", "http://example.com"+path, form, c, tc.header...)
			if res.StatusCode != tc.want {
				t.Errorf("%s: POST %s: status %d, want %d", tc.name, path, res.StatusCode, tc.want)
			}
		}
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, Config{}, newDemoReader())
	c := login(t, h)
	res := do(t, h, "POST", "http://example.com/ui/logout", url.Values{}, c, "Origin", "http://example.com")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/ui/login") {
		t.Fatalf("logout: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	cs := res.Cookies()
	if len(cs) != 1 || cs[0].Name != cookieName || cs[0].Value != "" || cs[0].MaxAge >= 0 {
		t.Errorf("logout cookies %+v: want the session cleared", cs)
	}
	if body := bodyOf(t, do(t, h, "GET", res.Header.Get("Location"), nil, nil)); !strings.Contains(body, "You are signed out") {
		t.Error("the login page after logout does not say so")
	}
}

// page fetches a page with a session and fails unless it answers 200.
func page(t *testing.T, h http.Handler, c *http.Cookie, path string) string {
	t.Helper()
	res := do(t, h, "GET", path, nil, c)
	body := bodyOf(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d\n%s", path, res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
	}
	return body
}

func wantAll(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: %q missing", what, w)
		}
	}
}

func TestPagesShowNumbers(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, Config{}, newDemoReader())
	c := login(t, h)

	// Email over 30 days: spring-sale 47,400 + newsletter 14 × 500 + tiny-test 40.
	overview := page(t, h, c, "/ui/")
	wantAll(t, "overview", overview, "54,440", "<svg", "Soft rate", "Hard rate", "% of messages sent",
		"by current outcome", "SMS", "12,000", "Showing 24 Oct 2026 to 22 Nov 2026 (30 days)")
	// Unverified bounce mails: tiny-test, 2 days of 1,234.
	wantAll(t, "overview unverified", overview, "Unverified", "2,468", "bounce mails not acted on")
	// Hard rate of SMS: otp, 30 days of 5 + day%3 hard = 150 + 30 = 180 of 12,000.
	wantAll(t, "overview SMS hard rate", overview, "1.50%", "180 messages")

	campaigns := page(t, h, c, "/ui/campaigns")
	wantAll(t, "campaigns", campaigns, "spring-sale", "newsletter", "otp", "47,400", "7,000",
		`class="low-volume"`, "low volume", "95% interval", "chart-spark")
	if strings.Index(campaigns, "spring-sale") > strings.Index(campaigns, "newsletter") {
		t.Error("campaigns are not sorted by volume")
	}
	byHard := page(t, h, c, "/ui/campaigns?sort=hard")
	if strings.Index(byHard, ">tiny-test<") > strings.Index(byHard, ">spring-sale<") {
		t.Error("sort=hard: tiny-test (5% hard) not above spring-sale")
	}

	campaign := page(t, h, c, "/ui/campaign?channel=email&name=spring-sale")
	// bigmail.test: 500 a day, 30 + day%3 hard: (900 + 30) / 15,000 = 6.20%.
	wantAll(t, "campaign", campaign, "<h1>spring-sale</h1>", "47,400", "Worst recipient domains", "bigmail.test", "6.20%",
		"user_unknown", "the mailbox does not exist")
	if strings.Index(campaign, ">bigmail.test<") > strings.Index(campaign, ">example.com<") {
		t.Error("worst domains: bigmail.test (highest hard rate) is not first")
	}

	// The events without a campaign are a campaign of their own: the
	// named campaigns' rows stay out of its page (the demo has none).
	none := page(t, h, c, "/ui/campaign?channel=email&name=")
	if !strings.Contains(none, "(no campaign)") || strings.Contains(none, "47,400") || strings.Contains(none, ">bigmail.test<") {
		t.Error("the (no campaign) page counts the named campaigns")
	}

	domains := page(t, h, c, "/ui/domains")
	// example.com over all campaigns: spring-sale 30,000 + newsletter 4,200 + tiny-test 40 = 34,240.
	wantAll(t, "domains", domains, "bigmail.test", "example.com", "34,240")
	// corp.example (2,400 sent) is below a 5,000 minimum.
	small := page(t, h, c, "/ui/domains?min=5000")
	if strings.Contains(small, ">corp.example<") || !strings.Contains(small, "1 of 3 domains") {
		t.Error("min=5000 lists corp.example or does not say it was hidden")
	}

	// otp's networks (fake_test.go): GB 23410 7,500 sent, 120 hard
	// (1.60%); GB 23415 3,000; FR, no carrier named, 1,500, 30 hard.
	carriers := page(t, h, c, "/ui/carriers")
	wantAll(t, "carriers", carriers, "GB 23410", "7,500", "1.60%", "GB 23415", "3,000", "FR, carrier unknown", "1,500",
		"Countries", "10,500", "All 3 carriers received at least")
	if strings.Contains(carriers, "bigmail.test") {
		t.Error("the carriers page lists an email domain")
	}
	if small := page(t, h, c, "/ui/carriers?min=2000"); !strings.Contains(small, "1 of 3 carriers") || !strings.Contains(small, "1 of 2 countries") {
		t.Error("min=2000 does not say FR's 1,500 were hidden")
	}

	reasons := page(t, h, c, "/ui/reasons")
	wantAll(t, "reasons", reasons, "user_unknown", "1,234", "mailbox_full", "absent_subscriber", "the mailbox does not exist")

	ann := page(t, h, c, "/ui/recipient?channel=email&address=Ann@Example.com")
	wantAll(t, "recipient ann", ann, "ann@example.com", "Excluded", "user_unknown", "the mailbox does not exist",
		"20 Nov 2026, 09:01 UTC", "no end date", "email.status.5.1.1@1", "rebond:rules", "ev_0123456789abcdef0123456789abcdef",
		"Recipient address rejected", `action="/ui/recipient/release"`, "Release it by hand")
	sms := page(t, h, c, "/ui/recipient?channel=sms&address=%2B33+6+12+34+56+78")
	wantAll(t, "recipient sms", sms, "33612345678", "Suspended", "absent_subscriber", "23 Nov 2026, 11:30 UTC", "then sendable again automatically",
		"soft failure counted", "ev_sms_soft")
	denied := page(t, h, c, "/ui/recipient?channel=email&address=legal@denied.example")
	wantAll(t, "recipient denied", denied, "Excluded", "Denylisted", "on a deny list", "deny-list entry is lifted")
	if strings.Contains(denied, `action="/ui/recipient/release"`) {
		t.Error("a denylisted recipient is offered a release")
	}
	fresh := page(t, h, c, "/ui/recipient?channel=email&address=new@example.com")
	wantAll(t, "recipient unknown", fresh, "Sendable", "never changed", "has received no event")
	invalid := page(t, h, c, "/ui/recipient?channel=email&address=not-an-address")
	wantAll(t, "recipient invalid", invalid, "is not a valid email address")
}

// TestRecipientAllowedByList: a quarantined recipient an allow entry lets
// senders reach reads as sendable, names the entry and its recorded state,
// and may still be released.
func TestRecipientAllowedByList(t *testing.T) {
	t.Parallel()
	f := newDemoReader()
	f.denied["email ann@example.com"] = store.Exclusion{Recipient: "ann@example.com", State: channels.StateQuarantined,
		Reason: "user_unknown", ListEntry: &store.ListRef{List: "allow", Kind: "domain", Value: "example.com"}}
	h := newTestHandler(t, Config{}, f)
	c := login(t, h)
	ann := page(t, h, c, "/ui/recipient?channel=email&address=ann@example.com")
	wantAll(t, "allowed recipient", ann, "Sendable", "allow-list entry domain <code>example.com</code>", "It is quarantined",
		`action="/ui/recipient/release"`)
	if strings.Contains(ann, "release job will record it") {
		t.Error("an allowed recipient's note says its period ended")
	}
}

// TestRecipientNationalNumber: with a default region, the national form
// of a number finds the recipient its E.164 form names.
func TestRecipientNationalNumber(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, Config{Numbers: phone.Regions{Default: "FR"}}, newDemoReader())
	c := login(t, h)
	sms := page(t, h, c, "/ui/recipient?channel=sms&address=06+12+34+56+78")
	wantAll(t, "recipient by national number", sms, "33612345678", "Suspended", "absent_subscriber")
}

func TestRelease(t *testing.T) {
	t.Parallel()
	f := newDemoReader()
	h := newTestHandler(t, Config{}, f)
	c := login(t, h)
	same := []string{"Origin", "http://example.com"}
	form := func(addr, reason string) url.Values {
		return url.Values{"channel": {"email"}, "address": {addr}, "reason": {reason}}
	}
	post := func(v url.Values, cookie *http.Cookie, header ...string) *http.Response {
		return do(t, h, "POST", "http://example.com/ui/recipient/release", v, cookie, header...)
	}
	if res := post(form("ann@example.com", "fixed"), nil, same...); res.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(res.Header.Get("Location"), "/ui/login") {
		t.Errorf("release without a session: %d to %q, want the login page", res.StatusCode, res.Header.Get("Location"))
	}
	if res := post(form("ann@example.com", "fixed"), c, "Origin", "http://evil.example"); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin release: status %d, want 403", res.StatusCode)
	}
	if res := post(form("ann@example.com", "  "), c, same...); !strings.Contains(res.Header.Get("Location"), "done=reason") {
		t.Errorf("release without a reason: to %q, want back with done=reason", res.Header.Get("Location"))
	}
	if res := post(url.Values{"channel": {"fax"}, "address": {"x"}, "reason": {"r"}}, c, same...); res.StatusCode != http.StatusBadRequest {
		t.Errorf("release of a bad channel: status %d, want 400", res.StatusCode)
	}
	if len(f.released) != 0 {
		t.Fatalf("refused releases reached the store: %v", f.released)
	}
	res := post(form("Ann@Example.com", "customer fixed the mailbox"), c, same...)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "done=released") {
		t.Fatalf("release: %d to %q", res.StatusCode, loc)
	}
	if want := "email ann@example.com customer fixed the mailbox ui:admin"; len(f.released) != 1 || f.released[0] != want {
		t.Errorf("store releases %q, want [%q]", f.released, want)
	}
	wantAll(t, "released recipient", page(t, h, c, loc), "Released: senders may send", "Sendable",
		"released: customer fixed the mailbox", "ui:admin")
	if loc := post(form("ann@example.com", "again"), c, same...).Header.Get("Location"); !strings.Contains(loc, "done=not-excluded") {
		t.Errorf("second release: to %q, want done=not-excluded", loc)
	}
	if body := page(t, h, c, "/ui/recipient?channel=email&address=ann@example.com&done=<script>"); strings.Contains(body, "<script>") {
		t.Error("an unknown done= value reached the page")
	}
}

func TestReleaseUnavailable(t *testing.T) {
	t.Parallel()
	// Embedding only the Reader interface hides the fake's Release.
	h := newTestHandler(t, Config{}, struct{ Reader }{newDemoReader()})
	c := login(t, h)
	body := page(t, h, c, "/ui/recipient?channel=email&address=ann@example.com")
	wantAll(t, "recipient without a releaser", body, "not available from this dashboard", "/v1/recipients/{channel}/{address}/release")
	if strings.Contains(body, `action="/ui/recipient/release"`) {
		t.Error("release form offered without a releaser")
	}
	res := do(t, h, "POST", "http://example.com/ui/recipient/release",
		url.Values{"channel": {"email"}, "address": {"ann@example.com"}, "reason": {"x"}}, c, "Origin", "http://example.com")
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("release without a releaser: status %d, want 404", res.StatusCode)
	}
}

func TestEmptyStatesExplain(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, Config{}, &fakeReader{})
	c := login(t, h)
	wantAll(t, "overview", page(t, h, c, "/ui/"), "No Email messages were sent in this range", "No SMS messages were sent")
	wantAll(t, "campaigns", page(t, h, c, "/ui/campaigns"), "No campaign sent messages in this range")
	wantAll(t, "domains", page(t, h, c, "/ui/domains"), "No email was sent in this range")
	wantAll(t, "carriers", page(t, h, c, "/ui/carriers"), "No SMS was sent in this range")
	wantAll(t, "reasons", page(t, h, c, "/ui/reasons"), "No Email failures or complaints")
	wantAll(t, "recipient", page(t, h, c, "/ui/recipient"), "Look up")
}

func TestBadRequestsExplained(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, Config{}, newDemoReader())
	c := login(t, h)
	res := do(t, h, "GET", "/ui/campaign?name=x", nil, c)
	if body := bodyOf(t, res); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Choose a campaign") {
		t.Errorf("campaign without channel: %d", res.StatusCode)
	}
	if res := do(t, h, "GET", "/ui/nowhere", nil, c); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown page: status %d, want 404", res.StatusCode)
	}
	body := page(t, h, c, "/ui/?range=12&channel=fax&from=2026-13-01")
	wantAll(t, "bad parameters", body, "Unknown range &#34;12&#34;", "Unknown channel &#34;fax&#34;", "The start date &#34;2026-13-01&#34; is not a date")
}

func TestReaderErrorIsNotLeaked(t *testing.T) {
	t.Parallel()
	f := newDemoReader()
	f.err = errFake
	h := newTestHandler(t, Config{}, f)
	c := login(t, h)
	for _, path := range []string{"/ui/", "/ui/campaigns", "/ui/domains", "/ui/reasons", "/ui/recipient?address=a@b.example",
		"/ui/campaign?channel=email&name=x"} {
		res := do(t, h, "GET", path, nil, c)
		body := bodyOf(t, res)
		if res.StatusCode != http.StatusInternalServerError || strings.Contains(body, "database down") || !strings.Contains(body, "server log") {
			t.Errorf("GET %s with a failing store: %d, body leaks or lacks the explanation", path, res.StatusCode)
		}
	}
}

func TestRatesQueriesFollowTheRange(t *testing.T) {
	t.Parallel()
	f := newDemoReader()
	h := newTestHandler(t, Config{}, f)
	c := login(t, h)
	page(t, h, c, "/ui/?from=2026-11-01&to=2026-11-07&channel=email")
	q := f.queries[0]
	if !q.From.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) || !q.To.Equal(time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)) ||
		q.Channel != "email" || len(q.GroupBy) != 1 || q.GroupBy[0] != "day" {
		t.Errorf("rates query %+v: want email, 1 to 7 Nov included, by day", q)
	}
	page(t, h, c, "/ui/?range=1")
	if q := f.queries[len(f.queries)-2]; q.GroupBy[0] != "hour" || q.To.Sub(q.From) != 24*time.Hour {
		t.Errorf("today's rates query %+v: want one day by hour", q)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, c := range []Config{{}, {AdminToken: "x", SessionKey: []byte("short")}, {AdminToken: "x", MinVolume: -1}} {
		if _, err := New(c, &fakeReader{}, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

// TestQueuesBehindTheSession: the queue monitor answers only signed-in
// users, and its changes (retry, delete) only same-origin requests.
func TestQueuesBehindTheSession(t *testing.T) {
	t.Parallel()
	var got []string
	queues := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusOK)
	})
	h := newTestHandler(t, Config{Queues: queues}, newDemoReader())
	if res := do(t, h, "GET", "http://example.com/ui/queues/", nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("signed out: %d, want a redirect to the login", res.StatusCode)
	}
	c := login(t, h)
	res := do(t, h, "GET", "http://example.com/ui/queues/api/queues", nil, c)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Security-Policy"), "'unsafe-inline'") {
		t.Errorf("signed in: %d, csp %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	if res := do(t, h, "DELETE", "http://example.com/ui/queues/api/queues/default", nil, c, "Origin", "http://evil.example"); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site DELETE: %d, want 403", res.StatusCode)
	}
	if res := do(t, h, "DELETE", "http://example.com/ui/queues/api/queues/default", nil, c, "Sec-Fetch-Site", "same-origin"); res.StatusCode != http.StatusOK {
		t.Errorf("same-origin DELETE: %d", res.StatusCode)
	}
	if strings.Join(got, ",") != "GET /ui/queues/api/queues,DELETE /ui/queues/api/queues/default" {
		t.Errorf("reached the monitor: %v", got)
	}
	if res := do(t, h, "GET", "http://example.com/ui/", nil, c); strings.Contains(res.Header.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Error("the dashboard's own pages must keep the strict policy")
	}
}

// TestTenantPicker: ?tenant= switches the tenant the pages read and is
// remembered in a cookie, so the pages' own links keep it; a bad name is
// refused.
func TestTenantPicker(t *testing.T) {
	t.Parallel()
	f := newDemoReader()
	h := newTestHandler(t, Config{}, f)
	c := login(t, h)
	if body := page(t, h, c, "/ui/"); !strings.Contains(body, `name="tenant" value="default"`) || f.tenants[len(f.tenants)-1] != "default" {
		t.Errorf("without a tenant: read %v, want the default tenant shown and read", f.tenants)
	}
	res := do(t, h, "GET", "/ui/campaigns?tenant=acme", nil, c)
	body := bodyOf(t, res)
	var remembered *http.Cookie
	for _, k := range res.Cookies() {
		if k.Name == tenantCookie {
			remembered = k
		}
	}
	if res.StatusCode != http.StatusOK || remembered == nil || remembered.Value != "acme" || !remembered.HttpOnly ||
		!strings.Contains(body, `value="acme"`) || f.tenants[len(f.tenants)-1] != "acme" {
		t.Fatalf("?tenant=acme: %d, cookie %+v, read %v", res.StatusCode, remembered, f.tenants)
	}
	res = do(t, h, "GET", "/ui/", nil, c, "Cookie", tenantCookie+"=acme")
	if bodyOf(t, res); res.StatusCode != http.StatusOK || f.tenants[len(f.tenants)-1] != "acme" {
		t.Errorf("with the cookie: %d, read %v, want acme", res.StatusCode, f.tenants)
	}
	if res := do(t, h, "GET", "/ui/?tenant=Not+Valid", nil, c); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad tenant name: %d, want 400", res.StatusCode)
	}
	// The field suggests the tenants the reader knows, and none without.
	if strings.Contains(body, "tenant-list") {
		t.Errorf("a list of tenants with none known")
	}
	f.known = []string{"acme", "beta", "default"}
	body = page(t, h, c, "/ui/")
	for _, want := range []string{`list="tenant-list"`, `<datalist id="tenant-list">`, `<option value="acme">`, `<option value="beta">`} {
		if !strings.Contains(body, want) {
			t.Errorf("known tenants: page lacks %s", want)
		}
	}
}
