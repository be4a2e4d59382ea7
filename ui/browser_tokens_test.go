package ui

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rebond/rebond/internal/browsertest"
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
	b := browsertest.New(t, srv.URL)
	signOut := func() {
		t.Helper()
		b.Do("sign out", chromedp.Click("form.logout button"), chromedp.WaitVisible("#token"))
	}

	b.SignIn("the ingest token", fx.secrets["acme-ingest"], ".error")
	b.See("ingest refused", "acme-ingest is an ingest token", "cannot sign in here", "read, operate or admin")
	b.Expect("status of 403 (Forbidden)")
	b.Shot("20-login-ingest-refused")

	b.SignIn("the read token", fx.secrets["acme-read"], ".stats")
	b.See("read overview", "acme-read", "acme", "read", "54,440")
	if page := b.Text(); strings.Contains(page, "Queues") || strings.Contains(page, "Tenant") {
		t.Error("the read token's header offers the queues or a tenant field")
	}
	if fx.lastTenant() != "acme" {
		t.Errorf("the read token's overview read tenant %q", fx.lastTenant())
	}
	b.Shot("21-read-overview")
	b.Open("/ui/recipient?channel=email&address=ann%40example.com", ".verdict")
	b.See("read recipient", "Excluded", "Releasing a recipient by hand needs a token of role operate; yours is read")
	if n, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("form.release").length`)); err != nil || n != 0 {
		t.Errorf("release forms for a read token: %d, %v", n, err)
	}
	b.Shot("22-read-recipient")
	b.Do("open the access page", chromedp.Click("a.who"), chromedp.WaitVisible(".abilities"))
	b.See("read access", "Your access", "acme-read", "acme only", "Read the pages",
		"Release a quarantined or suspended recipient (needs a token of role operate)", "changes nothing and sends no events")
	b.Shot("23-read-access")
	b.Open("/ui/campaigns?tenant=beta", "h1")
	b.See("read token naming beta", "it shows that tenant only, not beta")
	b.Expect("status of 403 (Forbidden)")
	b.Shot("24-read-other-tenant")
	b.Do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)))
	b.Open("/ui/access", ".abilities")
	wide, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil || wide {
		t.Errorf("the access page is wider than a phone's screen (%v)", err)
	}
	b.View("24-read-access-phone", "")
	b.Do("desktop viewport", chromedp.EmulateViewport(1280, 800))
	signOut()

	b.SignIn("the operate token", fx.secrets["acme-ops"], ".stats")
	b.See("operate overview", "acme-ops", "operate")
	b.Open("/ui/recipient?channel=email&address=ann%40example.com", "form.release")
	b.Shot("25-operate-recipient")
	b.Do("release ann", chromedp.SendKeys("#reason", "customer fixed the mailbox"),
		chromedp.Click("form.release button"), chromedp.WaitVisible(".verdict.sendable"))
	b.See("released by the operate token", "Released: senders may send to this recipient again", "token:acme-ops")
	b.Shot("26-operate-released")
	b.Open("/ui/access", ".abilities")
	b.See("operate access", "acme-ops", "change the deny and allow lists")
	b.Shot("27-operate-access")
	signOut()
	b.Clean()
}
