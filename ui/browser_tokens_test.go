package ui

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserTokens signs in to the dashboard in headless Chromium with
// a tenant's stored tokens, as a campaign manager and an operator would:
// an ingest token is refused with the reason; a read token sees its
// tenant, its identity in the header, no release form and no queues, and
// its access page; an operate token releases a recipient, audited under
// its name. The screenshots (20-… to 27-…) are the evidence: the
// test logs their paths.
func TestBrowserTokens(t *testing.T) {
	// Not parallel: one Chromium is enough load for a 2-core machine.
	fx := newTokenFixture(t)
	srv := httptest.NewServer(fx.h)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv.URL)
	signIn := func(who, secret, wait string) {
		t.Helper()
		b.open("/ui/login", "#token")
		b.do("sign in as "+who, chromedp.SendKeys("#token", secret),
			chromedp.Click(`form[action="/ui/login"] button`), chromedp.WaitVisible(wait))
	}
	signOut := func() {
		t.Helper()
		b.do("sign out", chromedp.Click("form.logout button"), chromedp.WaitVisible("#token"))
	}

	signIn("the ingest token", fx.secrets["acme-ingest"], ".error")
	b.see("ingest refused", "acme-ingest is an ingest token", "cannot sign in here", "read, operate or admin")
	b.expect("status of 403 (Forbidden)")
	b.shot("20-login-ingest-refused")

	signIn("the read token", fx.secrets["acme-read"], ".stats")
	b.see("read overview", "acme-read", "acme", "read", "54,440")
	if page := b.text(); strings.Contains(page, "Queues") || strings.Contains(page, "Tenant") {
		t.Error("the read token's header offers the queues or a tenant field")
	}
	if fx.lastTenant() != "acme" {
		t.Errorf("the read token's overview read tenant %q", fx.lastTenant())
	}
	b.shot("21-read-overview")
	b.open("/ui/recipient?channel=email&address=ann%40example.com", ".verdict")
	b.see("read recipient", "Excluded", "Releasing a recipient by hand needs a token of role operate; yours is read")
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("form.release").length`)); err != nil || n != 0 {
		t.Errorf("release forms for a read token: %d, %v", n, err)
	}
	b.shot("22-read-recipient")
	b.do("open the access page", chromedp.Click("a.who"), chromedp.WaitVisible(".abilities"))
	b.see("read access", "Your access", "acme-read", "acme only", "Read the pages",
		"Release a quarantined or suspended recipient (needs a token of role operate)", "changes nothing and sends no events")
	b.shot("23-read-access")
	b.open("/ui/campaigns?tenant=beta", "h1")
	b.see("read token naming beta", "it shows that tenant only, not beta")
	b.expect("status of 403 (Forbidden)")
	b.shot("24-read-other-tenant")
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)))
	b.open("/ui/access", ".abilities")
	wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil || wide {
		t.Errorf("the access page is wider than a phone's screen (%v)", err)
	}
	b.view("24-read-access-phone", "")
	b.do("desktop viewport", chromedp.EmulateViewport(1280, 800))
	signOut()

	signIn("the operate token", fx.secrets["acme-ops"], ".stats")
	b.see("operate overview", "acme-ops", "operate")
	b.open("/ui/recipient?channel=email&address=ann%40example.com", "form.release")
	b.shot("25-operate-recipient")
	b.do("release ann", chromedp.SendKeys("#reason", "customer fixed the mailbox"),
		chromedp.Click("form.release button"), chromedp.WaitVisible(".verdict.sendable"))
	b.see("released by the operate token", "Released: senders may send to this recipient again", "token:acme-ops")
	b.shot("26-operate-released")
	b.open("/ui/access", ".abilities")
	b.see("operate access", "acme-ops", "change the deny and allow lists")
	b.shot("27-operate-access")
	signOut()
	b.clean()
}
