package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/consent"
	"github.com/rebond/rebond/store"
)

var consentKeys = consent.Keys{"default": []byte("a-consent-key-0123456789")}

// fakeConsents records the consent checks it is asked and answers them
// from fixed opt-outs.
type fakeConsents struct {
	checks   []store.ConsentCheck
	optedOut map[string]string // address -> source
	page     store.ConsentPage
}

func (f *fakeConsents) ConsentExclusions(_ context.Context, c store.ConsentCheck, xs []store.Exclusion) error {
	f.checks = append(f.checks, c)
	for i, x := range xs {
		if src, ok := f.optedOut[x.Recipient]; ok {
			xs[i].Excluded, xs[i].Reason, xs[i].Source, xs[i].Scope = true, "opted_out", src, channels.ScopeList
		}
	}
	return nil
}

func (f *fakeConsents) Consents(context.Context, store.ConsentsQuery) (store.ConsentPage, error) {
	return f.page, nil
}

func consentFixture(t *testing.T) (*fixture, *fakeConsents) {
	t.Helper()
	fc := &fakeConsents{optedOut: map[string]string{}}
	f := newFixture(t, Config{Consents: fc, Consent: ConsentConfig{Keys: consentKeys.Of, BaseURL: "https://rebond.example.com/",
		MailtoDomains: map[string]string{"default": "bounces.example.com"},
		Policy:        consent.Policy{RequireConfirmed: map[string]consent.Requirement{"default": {Lists: []string{"news"}}}}}}, nil)
	f.srv.now = func() time.Time { return time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) }
	return f, fc
}

// TestUnsubscribeLinks: the sender's API gives each message its URL and
// both header values, which open back to what was asked.
func TestUnsubscribeLinks(t *testing.T) {
	t.Parallel()
	f, _ := consentFixture(t)
	code, body := f.authed("POST", "/v1/consent/unsubscribe",
		`{"channel":"email","recipient":"Ann@Example.com","campaign":"spring","message_id":"m1"}`)
	var l unsubscribeLink
	if code != 200 || json.Unmarshal([]byte(body), &l) != nil {
		t.Fatalf("%d %s", code, body)
	}
	if !strings.HasPrefix(l.URL, "https://rebond.example.com/consent/unsubscribe/u1.") || l.ListUnsubscribePost != "List-Unsubscribe=One-Click" ||
		l.ListUnsubscribe != "<"+l.URL+">, <"+l.Mailto+">" || !strings.HasPrefix(l.Mailto, "mailto:unsubscribe@bounces.example.com?subject=") {
		t.Errorf("link = %+v", l)
	}
	tok, err := consent.Open(l.Token, consent.Unsubscribe, consentKeys.Of, time.Now())
	if err != nil || tok.Recipient != "ann@example.com" || tok.Scope != channels.ScopeAll || tok.Campaign != "spring" || tok.MessageID != "m1" {
		t.Errorf("token = %+v, %v", tok, err)
	}
	code, body = f.authed("POST", "/v1/consent/unsubscribe", `[{"channel":"sms","recipient":"+447700900123","list":"alerts"},{"channel":"email","recipient":"nope"}]`)
	if code != 400 || !strings.Contains(body, "[1] recipient") {
		t.Errorf("a bad element: %d %s", code, body)
	}
	for _, bad := range []string{
		`{"channel":"email","recipient":"a@b.example","scope":"campaign"}`,
		`{"channel":"email","recipient":"a@b.example","scope":"list"}`,
		`{"channel":"email","recipient":"a@b.example","scope":"all","list":"x"}`,
		`{"channel":"email","recipient":"a@b.example","ttl":"1h"}`,
		`{"channel":"email","recipient":"a@b.example","planet":"mars"}`,
	} {
		if code, body := f.authed("POST", "/v1/consent/unsubscribe", bad); code != 400 {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
	code, body = f.authed("POST", "/v1/consent/unsubscribe?tenant=beta", `{"channel":"email","recipient":"a@b.example"}`)
	if code != http.StatusConflict {
		t.Errorf("a tenant without a key: %d %s", code, body)
	}
}

// page posts or gets a public consent URL with a form body.
func (f *fixture) page(method, link, form string, hdr ...string) (int, string, http.Header) {
	u, _ := url.Parse(link)
	req := httptest.NewRequest(method, u.Path, strings.NewReader(form))
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	return rec.Code, rec.Body.String(), rec.Header()
}

// TestUnsubscribePages: a GET changes nothing; RFC 8058's POST opts out
// at once (plain text); the page's button opts out and offers an undo,
// which opts back in; an altered URL is 403 and publishes nothing.
func TestUnsubscribePages(t *testing.T) {
	t.Parallel()
	f, _ := consentFixture(t)
	_, body := f.authed("POST", "/v1/consent/unsubscribe", `{"channel":"email","recipient":"ann@example.com","scope":"list","list":"news","message_id":"m1","campaign":"spring"}`)
	var l unsubscribeLink
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	code, html, hdr := f.page("GET", l.URL, "")
	if code != 200 || !strings.Contains(html, `the list “news”`) || !strings.Contains(html, "a…@example.com") ||
		!strings.Contains(html, `value="unsubscribe"`) || hdr.Get("Referrer-Policy") != "no-referrer" || len(f.pub.events) != 0 {
		t.Fatalf("GET: %d %s %v, published %d", code, html, hdr, len(f.pub.events))
	}
	code, text, _ := f.page("POST", l.URL, "List-Unsubscribe=One-Click", "User-Agent", "Mail\x01Provider/1.0")
	if code != 200 || text != "Unsubscribed.\n" || len(f.pub.events) != 1 {
		t.Fatalf("one-click POST: %d %q, published %d", code, text, len(f.pub.events))
	}
	e := f.pub.events[0]
	if e.Type != channels.OptOut || e.Recipient != "ann@example.com" || e.MessageID != "m1" || e.Campaign != "spring" || e.ID == "" ||
		e.Consent.Scope != channels.ScopeList || e.Consent.List != "news" || e.Consent.Source != channels.SourceOneClick ||
		e.Consent.IP != "192.0.2.1" || e.Consent.UserAgent != "MailProvider/1.0" {
		t.Errorf("one-click event = %+v %+v", e, *e.Consent)
	}
	code, html, _ = f.page("POST", l.URL, "action=unsubscribe")
	if code != 200 || !strings.Contains(html, `value="undo"`) || f.pub.events[1].Consent.Source != channels.SourceUnsubscribe {
		t.Errorf("the page's button: %d %s", code, html)
	}
	code, html, _ = f.page("POST", l.URL, "action=undo")
	if code != 200 || !strings.Contains(html, "subscribed again") || f.pub.events[2].Type != channels.OptIn {
		t.Errorf("undo: %d %s", code, html)
	}
	tampered := strings.Replace(l.URL, "u1.A", "u1.B", 1)
	if tampered == l.URL {
		tampered = l.URL[:len(l.URL)-2] + "xx"
	}
	for _, m := range []string{"GET", "POST"} {
		if code, _, _ := f.page(m, tampered, "List-Unsubscribe=One-Click"); code != http.StatusForbidden {
			t.Errorf("%s of an altered URL: %d", m, code)
		}
	}
	if len(f.pub.events) != 3 {
		t.Errorf("published %d events, want 3", len(f.pub.events))
	}
	f.pub.err = context.DeadlineExceeded
	if code, _, _ := f.page("POST", l.URL, "List-Unsubscribe=One-Click"); code != http.StatusServiceUnavailable {
		t.Errorf("bus down: %d", code)
	}
}

// TestConfirmPages: a double opt-in link, its page, its confirmation
// (with the client's address and agent) and its expiry.
func TestConfirmPages(t *testing.T) {
	t.Parallel()
	f, _ := consentFixture(t)
	code, body := f.authed("POST", "/v1/consent/requests", `{"channel":"email","recipient":"bob@example.com","list":"news","ttl":"1h"}`)
	var c confirmationLink
	if code != 200 || json.Unmarshal([]byte(body), &c) != nil || !c.ExpiresAt.Equal(f.srv.now().Add(time.Hour)) ||
		!strings.HasPrefix(c.URL, "https://rebond.example.com/consent/confirm/c1.") {
		t.Fatalf("%d %s", code, body)
	}
	for _, bad := range []string{`{"channel":"email","recipient":"b@example.com","ttl":"9999h"}`,
		`{"channel":"email","recipient":"b@example.com","campaign":"spring"}`,
		`{"channel":"email","recipient":"b@example.com","scope":"campaign"}`} {
		if code, body := f.authed("POST", "/v1/consent/requests", bad); code != 400 {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
	if code, html, _ := f.page("GET", c.URL, ""); code != 200 || !strings.Contains(html, `value="confirm"`) || len(f.pub.events) != 0 {
		t.Errorf("GET: %d %s", code, html)
	}
	if code, _, _ := f.page("GET", strings.Replace(c.URL, "/confirm/", "/unsubscribe/", 1), ""); code != http.StatusForbidden {
		t.Errorf("a confirmation used to unsubscribe: %d", code)
	}
	if code, html, _ := f.page("POST", c.URL, "action=confirm", "User-Agent", "Browser/2"); code != 200 || !strings.Contains(html, "confirmed") {
		t.Errorf("POST: %d %s", code, html)
	}
	if e := f.pub.events[0]; e.Type != channels.OptIn || e.Consent.Source != channels.SourceConfirm || e.Consent.List != "news" ||
		e.Consent.UserAgent != "Browser/2" || e.Consent.IP == "" {
		t.Errorf("event = %+v %+v", e, *e.Consent)
	}
	f.srv.now = func() time.Time { return c.ExpiresAt }
	if code, _, _ := f.page("POST", c.URL, "action=confirm"); code != http.StatusGone {
		t.Errorf("expired: %d", code)
	}
}

// TestExclusionsAskConsents: a request's list and campaign reach the
// consent check, with the tenant's policy for the list.
func TestExclusionsAskConsents(t *testing.T) {
	t.Parallel()
	f, fc := consentFixture(t)
	fc.optedOut["ann@example.com"] = "one-click"
	code, body := f.authed("POST", "/v1/exclusions", `{"channel":"email","recipients":["Ann@example.com","bob@example.com"],"list":"news","campaign":"spring"}`)
	if code != 200 || !strings.Contains(body, `"recipient":"Ann@example.com","excluded":true,"state":"active","reason":"opted_out","scope":"list","source":"one-click"`) {
		t.Errorf("%d %s", code, body)
	}
	if len(fc.checks) != 1 || fc.checks[0] != (store.ConsentCheck{Channel: channels.Email, List: "news", Campaign: "spring", RequireConfirmed: true}) {
		t.Errorf("checks = %+v", fc.checks)
	}
	f.authed("POST", "/v1/exclusions", `{"channel":"email","recipients":["bob@example.com"],"list":"offers"}`)
	if fc.checks[1].RequireConfirmed {
		t.Errorf("a list the tenant does not require confirmation for: %+v", fc.checks[1])
	}
}

// TestPostedEventsCannotConfirm: a confirmed double opt-in comes from
// rebond's confirmation page only.
func TestPostedEventsCannotConfirm(t *testing.T) {
	t.Parallel()
	f, _ := consentFixture(t)
	code, body := f.authed("POST", "/v1/events", `{"channel":"email","type":"opt_in","recipient":"a@example.com","occurred_at":"2026-12-07T10:00:00Z","consent":{"source":"confirm"}}`)
	if code != 400 || !strings.Contains(body, "consent.source") {
		t.Errorf("%d %s", code, body)
	}
	code, body = f.authed("POST", "/v1/events", `{"channel":"email","type":"opt_out","recipient":"a@example.com","occurred_at":"2026-12-07T10:00:00Z","consent":{"source":"api"}}`)
	if code != 202 {
		t.Errorf("an opt-out from the sender: %d %s", code, body)
	}
}

// TestConsentExport: the page and its cursor, as JSON and CSV.
func TestConsentExport(t *testing.T) {
	t.Parallel()
	f, fc := consentFixture(t)
	since := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	fc.page = store.ConsentPage{Consents: []store.ConsentView{{Channel: channels.Email, Address: "=cmd@example.com", Scope: channels.ScopeAll,
		OptedOut: true, Since: &since, Source: "one-click", UpdatedAt: since}}, Next: store.ConsentCursor{Address: "=cmd@example.com", Scope: "all"}}
	code, body := f.authed("GET", "/v1/consents?channel=email", "")
	var page struct {
		Consents []store.ConsentView
		Next     string
	}
	if code != 200 || json.Unmarshal([]byte(body), &page) != nil || len(page.Consents) != 1 || page.Next == "" {
		t.Fatalf("%d %s", code, body)
	}
	if c, err := decodeCursor(page.Next); err != nil || c != fc.page.Next {
		t.Errorf("cursor %q = %+v, %v", page.Next, c, err)
	}
	code, body = f.authed("GET", "/v1/consents?channel=email&format=csv", "")
	if code != 200 || !strings.HasPrefix(body, strings.Join(consentColumns, ",")+"\n") || !strings.Contains(body, "'=cmd@example.com,all,,true,2026-12-01T00:00:00Z,one-click") {
		t.Errorf("csv: %d %s", code, body)
	}
	for _, bad := range []string{"/v1/consents", "/v1/consents?channel=email&state=x", "/v1/consents?channel=email&after=!!!", "/v1/consents?channel=email&limit=0"} {
		if code, _ := f.authed("GET", bad, ""); code != 400 {
			t.Errorf("%s: %d", bad, code)
		}
	}
}
