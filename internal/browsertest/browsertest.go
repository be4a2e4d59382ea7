// Package browsertest drives the dashboard in headless Chromium for the
// tests that must see it as a person does: the ui package's pages on fake
// data, and cmd/rebond's on what a running serve stored. Chromium missing
// skips such a test on a laptop and fails it under CI=true, where .ci/run
// installs the Debian package. Screenshots of either land in one folder
// (ScreenshotDir), so a run's pictures are found in one place.
package browsertest

import (
	"context"
	"errors"
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

// ChromiumPath finds headless Chromium, or skips the test (fails it
// under CI=true) with the command that installs it.
func ChromiumPath(t testing.TB) string {
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

// ScreenshotDir is where the browser tests leave their screenshots:
// $ARTIFACTS/ui-screenshots when set, else ui/testdata/screenshots of the
// module (ignored by git), whichever package's test takes them. Each is
// logged with its absolute path, so a test run's output says where they
// are (go test -v, or on failure). Look at them after a change to the
// pages.
func ScreenshotDir(t testing.TB) string {
	t.Helper()
	var dir string
	if a := os.Getenv("ARTIFACTS"); a != "" {
		dir = filepath.Join(a, "ui-screenshots")
	} else {
		root, err := moduleRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "ui", "testdata", "screenshots")
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

// moduleRoot is the nearest folder up from the test's working directory
// (its package's) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("browsertest: no go.mod above the test's directory")
		}
		dir = up
	}
}

// Browser is a headless Chromium tab on the dashboard at Base, recording
// what goes wrong inside the page (script errors, CSP violations, failed
// loads) for the test to check at the end (Clean).
type Browser struct {
	// Ctx is the tab, for chromedp actions the methods do not cover.
	Ctx context.Context
	// Base is the server's URL (http://host:port), Dir where screenshots
	// go.
	Base, Dir string

	t        testing.TB
	mu       sync.Mutex
	problems []string
}

// New starts Chromium (1280×800, en-GB) for the test, stopped when it
// ends.
func New(t testing.TB, base string) *Browser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(ChromiumPath(t)),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.WindowSize(1280, 800), chromedp.Flag("disable-gpu", true), chromedp.Flag("lang", "en-GB"))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	b := &Browser{t: t, Ctx: tab, Base: base, Dir: ScreenshotDir(t)}
	if err := chromedp.Listen(tab, b.record); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return b
}

// record keeps the page's errors: uncaught exceptions, console.error and
// browser log entries of level error (CSP violations and failed loads
// are reported there).
func (b *Browser) record(ev any) {
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

// Expect removes the recorded problems that contain s, failing unless
// there is one: the problems a step is meant to cause.
func (b *Browser) Expect(s string) {
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

// Clean fails the test for every problem the pages reported that no
// step expected.
func (b *Browser) Clean() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("in the page: %s", p)
	}
}

// Do runs actions, failing the test with what it was doing.
func (b *Browser) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// Open loads a dashboard path and waits for sel.
func (b *Browser) Open(path, sel string) {
	b.t.Helper()
	b.Do("open "+path, chromedp.Navigate(b.Base+path), chromedp.WaitVisible(sel))
}

// SignIn signs in as who (for the failure message) on the login page
// with token and waits for sel on the page it leads to.
func (b *Browser) SignIn(who, token, sel string) {
	b.t.Helper()
	b.Open("/ui/login", "#token")
	b.Do("sign in as "+who, chromedp.SendKeys("#token", token),
		chromedp.Click(`form[action="/ui/login"] button`), chromedp.WaitVisible(sel))
}

// Text is what a person reads on the page (innerText: visible text only).
func (b *Browser) Text() string {
	b.t.Helper()
	return b.Eval(`document.body.innerText`)
}

// Eval is what the script expr evaluates to, as a string.
func (b *Browser) Eval(expr string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("read the page: %v", err)
	}
	return s
}

// See fails unless the page shows every text.
func (b *Browser) See(what string, texts ...string) {
	b.t.Helper()
	page := b.Text()
	for _, s := range texts {
		if !strings.Contains(page, s) {
			b.t.Errorf("%s: the page does not show %q", what, s)
		}
	}
}

// Location is the tab's URL without Base.
func (b *Browser) Location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.Ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(loc, b.Base)
}

// Shot saves a full-page PNG screenshot as Dir/name.png and returns its
// path.
func (b *Browser) Shot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	return b.save(name, png)
}

// save writes a screenshot and logs where it is.
func (b *Browser) save(name string, png []byte) string {
	b.t.Helper()
	path := filepath.Join(b.Dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
	return path
}

// View saves a screenshot of what the screen shows, after scrolling sel
// to the top ("" for the top of the page).
func (b *Browser) View(name, sel string) string {
	b.t.Helper()
	if sel != "" {
		b.Do("scroll to "+sel, chromedp.ScrollIntoView(sel))
	}
	png, err := chromedp.Run(b.Ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	return b.save(name, png)
}
