package ui

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds headless Chromium. Without it the browser test skips
// on a laptop and fails under CI=true, where .ci/run installs the Debian
// package.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "Chromium is not installed; install it with: apt-get install -y chromium"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// screenshotDir is where the browser tests leave their screenshots:
// $ARTIFACTS/ui-screenshots when set, else ui/testdata/screenshots
// (ignored by git). Each is logged with its absolute path, so a test
// run's output says where they are (go test -v, or on failure). Look at
// them after a change to the pages.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("testdata", "screenshots")
	if a := os.Getenv("ARTIFACTS"); a != "" {
		dir = filepath.Join(a, "ui-screenshots")
	}
	dir, err := filepath.Abs(dir)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is a headless Chromium tab on the dashboard, recording what
// goes wrong inside the page (script errors, CSP violations, failed
// loads) for the test to check at the end.
type browser struct {
	t        *testing.T
	ctx      context.Context
	base     string
	dir      string
	mu       sync.Mutex
	problems []string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.WindowSize(1280, 800), chromedp.Flag("disable-gpu", true), chromedp.Flag("lang", "en-GB"))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	b := &browser{t: t, ctx: tab, base: base, dir: screenshotDir(t)}
	if err := chromedp.Listen(tab, b.record); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return b
}

// record keeps the page's errors: uncaught exceptions, console.error and
// browser log entries of level error (CSP violations and failed loads
// are reported there).
func (b *browser) record(ev any) {
	var p string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		p = "exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			p += " " + e.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			p = "console.error"
		}
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError {
			p = string(e.Entry.Source) + ": " + e.Entry.Text + " " + e.Entry.URL
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

// expect removes the recorded problems that contain s, failing unless
// there is one: the problems a step is meant to cause.
func (b *browser) expect(s string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var rest []string
	for _, p := range b.problems {
		if !strings.Contains(p, s) {
			rest = append(rest, p)
		}
	}
	if len(rest) == len(b.problems) {
		b.t.Errorf("the browser reported no %q", s)
	}
	b.problems = rest
}

// do runs actions, failing the test with what it was doing.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open loads a dashboard path and waits for sel.
func (b *browser) open(path, sel string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(sel))
}

// text is what a person reads on the page (innerText: visible text only).
func (b *browser) text() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		b.t.Fatalf("read the page: %v", err)
	}
	return s
}

// see fails unless the page shows every text.
func (b *browser) see(what string, texts ...string) {
	b.t.Helper()
	page := b.text()
	for _, s := range texts {
		if !strings.Contains(page, s) {
			b.t.Errorf("%s: the page does not show %q", what, s)
		}
	}
}

func (b *browser) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(loc, b.base)
}

// shot saves a full-page PNG screenshot.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	b.save(name, png)
}

// save writes a screenshot and logs where it is.
func (b *browser) save(name string, png []byte) {
	b.t.Helper()
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
}

// view saves a screenshot of what the screen shows, after scrolling sel
// to the top ("" for the top of the page).
func (b *browser) view(name, sel string) {
	b.t.Helper()
	if sel != "" {
		b.do("scroll to "+sel, chromedp.ScrollIntoView(sel))
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	b.save(name, png)
}

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
	b := newBrowser(t, srv.URL)

	b.open("/ui/campaigns", "#token")
	if loc := b.location(); loc != "/ui/login?next=%2Fui%2Fcampaigns" {
		t.Errorf("campaigns without a session: at %s, want the login page", loc)
	}
	b.shot("01-login")
	b.do("sign in with a wrong token", chromedp.SendKeys("#token", "not-the-token"),
		chromedp.Click(`form[action="/ui/login"] button`), chromedp.WaitVisible(".error"))
	b.see("wrong token", "That token is not the right one")
	b.expect("status of 401 (Unauthorized)")
	b.shot("02-login-refused")
	b.do("sign in", chromedp.SendKeys("#token", testToken),
		chromedp.Click(`form[action="/ui/login"] button`), chromedp.WaitVisible("table.campaigns"))
	if loc := b.location(); loc != "/ui/campaigns" {
		t.Errorf("after signing in: at %s, want /ui/campaigns", loc)
	}
	b.see("campaigns", "spring-sale", "47,400", "newsletter", "7,000", "tiny-test", "low volume", "otp", "12,000")
	b.shot("03-campaigns")

	b.do("open spring-sale", chromedp.Click(`table.campaigns a[href*="name=spring-sale"]`), chromedp.WaitVisible(".crumbs"))
	b.see("campaign", "spring-sale", "47,400", "Worst recipient domains", "bigmail.test", "6.20%", "user_unknown",
		"0.57%", "270 opted out through the message")
	b.shot("04-campaign")

	b.open("/ui/", ".stats")
	b.see("overview", "Email", "54,440", "SMS", "12,000", "1.50%", "% of messages sent", "day of sending (UTC)")
	tips, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg.chart [data-tip]").length`))
	if err != nil || tips < 100 {
		t.Errorf("chart points with a script tooltip: %d, %v; want the script to have set them up", tips, err)
	}
	b.do("hover a chart point", chromedp.Evaluate[chromedp.Void](`(function () {
		var el = document.querySelector("svg.chart-line circle[data-tip]"), r = el.getBoundingClientRect();
		el.dispatchEvent(new PointerEvent("pointerover", {bubbles: true, clientX: r.x, clientY: r.y}));
	})()`), chromedp.WaitVisible(".chart-tip"))
	b.see("chart tooltip", "Soft rate · ")
	b.shot("05-overview")

	b.open("/ui/domains", "table.data")
	b.see("domains", "bigmail.test", "example.com", "34,240")
	b.shot("06-domains")
	// otp's networks: GB 23410 7,500 sent, 120 hard; GB 23415 3,000, 30;
	// FR without a carrier 1,500, 30 (fake_test.go, wobbleOn).
	b.open("/ui/carriers", "table.data")
	b.see("carriers", "Worst carriers", "GB 23410", "7,500", "1.60%", "GB 23415", "FR, carrier unknown", "2.00%",
		"Countries", "10,500")
	b.shot("06-carriers")
	b.open("/ui/reasons", "table.data")
	b.see("reasons", "user_unknown", "1,234", "the mailbox does not exist", "absent_subscriber")
	b.shot("07-reasons")

	b.open("/ui/recipient", "#address")
	b.do("look up ann", chromedp.SendKeys("#address", "Ann@Example.com"),
		chromedp.Click("form.search button"), chromedp.WaitVisible(".verdict"))
	b.see("recipient", "ann@example.com", "Excluded", "user_unknown", "the mailbox does not exist",
		"20 Nov 2026, 09:01 UTC", "email.status.5.1.1@1", "rebond:rules", "Recipient address rejected")
	b.shot("08-recipient")
	b.do("release ann", chromedp.SendKeys("#reason", "customer fixed the mailbox"),
		chromedp.Click("form.release button"), chromedp.WaitVisible(".verdict.sendable"))
	b.see("released", "Released: senders may send to this recipient again", "Sendable",
		"released: customer fixed the mailbox", "ui:admin")
	b.shot("08-recipient-released")

	b.open("/ui/recipient?channel=email&address=bob%40example.com", ".verdict")
	b.see("an opted-out recipient", "Excluded", "Opted out: the recipient unsubscribed from everything", "opted_out",
		"one-click unsubscribe from the mailbox (RFC 8058)", "until the recipient opts in again", "consent: all", "consent:one-click",
		"Consent: what the recipient asked for", "the list “news”", "from 192.0.2.7, Mozilla/5.0")
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("form.release").length`)); err != nil || n != 0 {
		t.Errorf("an opt-out offers a release form (%d, %v): only the recipient lifts it", n, err)
	}
	b.shot("08-recipient-opted-out")

	b.open("/ui/?from=2020-01-01&to=2020-01-31", ".empty")
	b.see("empty range", "No Email messages were sent in this range", "No SMS messages were sent in this range")
	b.shot("09-overview-empty")

	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)))
	b.open("/ui/", ".stats")
	b.see("overview on a phone", "54,440")
	wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil || wide {
		t.Errorf("the overview is wider than a phone's screen (%v): the page must not scroll sideways", err)
	}
	b.view("10-overview-phone", "")
	b.view("11-overview-phone-charts", ".narrow-only")
	b.open("/ui/recipient?channel=sms&address=%2B33612345678", ".verdict")
	b.see("sms recipient on a phone", "33612345678", "Suspended", "then sendable again automatically")
	b.view("12-recipient-phone", "")
	b.open("/ui/campaigns", "table.campaigns")
	b.view("13-campaigns-phone", "table.campaigns")
	b.open("/ui/reasons", "table.data")
	b.view("14-reasons-phone", ".narrow-only")

	b.do("sign out", chromedp.EmulateReset(), chromedp.Click("form.logout button"), chromedp.WaitVisible("#token"))
	b.see("signed out", "You are signed out")
	b.open("/ui/", "#token")
	b.clean()
}

// clean fails the test for every problem the pages reported that no
// step expected.
func (b *browser) clean() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("in the page: %s", p)
	}
}
