package ui

import (
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rebond/rebond/internal/browsertest"
)

// TestBrowser drives the dashboard in headless Chromium as a campaign
// manager would: sign in (a wrong token first), read the campaigns, open
// one, read the overview, the domains, the SMS carriers and the reasons, look a recipient
// up and release it, then the same on a phone, and sign out. It checks the numbers the
// pages show and that no page has a script error or a CSP violation, and
// leaves screenshots for a person to look at.
func TestBrowser(t *testing.T) {
	// Not parallel: one Chromium is enough load for a 2-core machine.
	h := newTestHandler(t, Config{}, newDemoReader())
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	b := browsertest.New(t, srv.URL)

	b.Open("/ui/campaigns", "#token")
	if loc := b.Location(); loc != "/ui/login?next=%2Fui%2Fcampaigns" {
		t.Errorf("campaigns without a session: at %s, want the login page", loc)
	}
	b.Shot("01-login")
	b.Do("sign in with a wrong token", chromedp.SendKeys("#token", "not-the-token"),
		chromedp.Click(`form[action="/ui/login"] button`), chromedp.WaitVisible(".error"))
	b.See("wrong token", "That token is not the right one")
	b.Expect("status of 401 (Unauthorized)")
	b.Shot("02-login-refused")
	b.Do("sign in", chromedp.SendKeys("#token", testToken),
		chromedp.Click(`form[action="/ui/login"] button`), chromedp.WaitVisible("table.campaigns"))
	if loc := b.Location(); loc != "/ui/campaigns" {
		t.Errorf("after signing in: at %s, want /ui/campaigns", loc)
	}
	b.See("campaigns", "spring-sale", "47,400", "newsletter", "7,000", "tiny-test", "low volume", "otp", "12,000")
	b.Shot("03-campaigns")

	b.Do("open spring-sale", chromedp.Click(`table.campaigns a[href*="name=spring-sale"]`), chromedp.WaitVisible(".crumbs"))
	b.See("campaign", "spring-sale", "47,400", "Worst recipient domains", "bigmail.test", "6.20%", "user_unknown",
		"0.57%", "270 opted out through the message")
	b.Shot("04-campaign")

	b.Open("/ui/", ".stats")
	b.See("overview", "Email", "54,440", "SMS", "12,000", "1.50%", "% of messages sent", "day of sending (UTC)")
	tips, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg.chart [data-tip]").length`))
	if err != nil || tips < 100 {
		t.Errorf("chart points with a script tooltip: %d, %v; want the script to have set them up", tips, err)
	}
	b.Do("hover a chart point", chromedp.Evaluate[chromedp.Void](`(function () {
		var el = document.querySelector("svg.chart-line circle[data-tip]"), r = el.getBoundingClientRect();
		el.dispatchEvent(new PointerEvent("pointerover", {bubbles: true, clientX: r.x, clientY: r.y}));
	})()`), chromedp.WaitVisible(".chart-tip"))
	b.See("chart tooltip", "Soft rate · ")
	b.Shot("05-overview")

	b.Open("/ui/domains", "table.data")
	b.See("domains", "bigmail.test", "example.com", "34,240")
	b.Shot("06-domains")
	// otp's networks: GB 23410 7,500 sent, 120 hard; GB 23415 3,000, 30;
	// FR without a carrier 1,500, 30 (fake_test.go, wobbleOn).
	b.Open("/ui/carriers", "table.data")
	b.See("carriers", "Worst carriers", "GB 23410", "7,500", "1.60%", "GB 23415", "FR, carrier unknown", "2.00%",
		"Countries", "10,500")
	// The admin's header (tenant field, name, every tab) is wider than
	// one row: every tab must still show, none scrolled out of view.
	if hidden, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`(function () {
		var nav = document.querySelector("nav"); return nav.scrollWidth > nav.clientWidth + 1;
	})()`)); err != nil || hidden {
		t.Errorf("the header hides tabs at 1280px (%v): they must all show", err)
	}
	b.Shot("06-carriers")
	b.Open("/ui/reasons", "table.data")
	b.See("reasons", "user_unknown", "1,234", "the mailbox does not exist", "absent_subscriber")
	b.Shot("07-reasons")

	b.Open("/ui/recipient", "#address")
	b.Do("look up ann", chromedp.SendKeys("#address", "Ann@Example.com"),
		chromedp.Click("form.search button"), chromedp.WaitVisible(".verdict"))
	b.See("recipient", "ann@example.com", "Excluded", "user_unknown", "the mailbox does not exist",
		"20 Nov 2026, 09:01 UTC", "email.status.5.1.1@1", "rebond:rules", "Recipient address rejected")
	b.Shot("08-recipient")
	b.Do("release ann", chromedp.SendKeys("#reason", "customer fixed the mailbox"),
		chromedp.Click("form.release button"), chromedp.WaitVisible(".verdict.sendable"))
	b.See("released", "Released: senders may send to this recipient again", "Sendable",
		"released: customer fixed the mailbox", "ui:admin")
	b.Shot("08-recipient-released")

	b.Open("/ui/recipient?channel=email&address=bob%40example.com", ".verdict")
	b.See("an opted-out recipient", "Excluded", "Opted out: the recipient unsubscribed from everything", "opted_out",
		"one-click unsubscribe from the mailbox (RFC 8058)", "until the recipient opts in again", "consent: all", "consent:one-click",
		"Consent: what the recipient asked for", "the list “news”", "from 192.0.2.7, Mozilla/5.0")
	if n, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("form.release").length`)); err != nil || n != 0 {
		t.Errorf("an opt-out offers a release form (%d, %v): only the recipient lifts it", n, err)
	}
	b.Shot("08-recipient-opted-out")

	b.Open("/ui/?from=2020-01-01&to=2020-01-31", ".empty")
	b.See("empty range", "No Email messages were sent in this range", "No SMS messages were sent in this range")
	b.Shot("09-overview-empty")

	b.Do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)))
	b.Open("/ui/", ".stats")
	b.See("overview on a phone", "54,440")
	wide, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil || wide {
		t.Errorf("the overview is wider than a phone's screen (%v): the page must not scroll sideways", err)
	}
	b.View("10-overview-phone", "")
	b.View("11-overview-phone-charts", ".narrow-only")
	b.Open("/ui/recipient?channel=sms&address=%2B33612345678", ".verdict")
	b.See("sms recipient on a phone", "33612345678", "Suspended", "then sendable again automatically")
	b.View("12-recipient-phone", "")
	b.Open("/ui/campaigns", "table.campaigns")
	b.View("13-campaigns-phone", "table.campaigns")
	b.Open("/ui/reasons", "table.data")
	b.View("14-reasons-phone", ".narrow-only")

	b.Do("sign out", chromedp.EmulateReset(), chromedp.Click("form.logout button"), chromedp.WaitVisible("#token"))
	b.See("signed out", "You are signed out")
	b.Open("/ui/", "#token")
	b.Clean()
}
