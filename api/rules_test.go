package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/rulebook"
)

// fakeBook records what each route asked and answers err when set.
type fakeBook struct {
	err   error
	calls []string
	rule  rules.Rule
	req   rulebook.BacktestRequest
	keep  rulebook.KeepRequest
	query rulebook.QualifyQuery
}

func (b *fakeBook) record(format string, args ...any) {
	b.calls = append(b.calls, fmt.Sprintf(format, args...))
}

func (b *fakeBook) List(_ context.Context, ch channels.Channel) ([]rulebook.Entry, error) {
	b.record("list %s", ch)
	return []rulebook.Entry{{Key: "x@1", State: "active"}}, b.err
}

func (b *fakeBook) Show(_ context.Context, id string) ([]rulebook.Entry, error) {
	b.record("show %s", id)
	return []rulebook.Entry{{Key: id + "@2"}, {Key: id + "@1"}}, b.err
}

func (b *fakeBook) Create(_ context.Context, r rules.Rule, state, author string) (rulebook.Entry, error) {
	b.rule = r
	b.record("create %s %s %s", r.ID, state, author)
	return rulebook.Entry{Key: r.ID + "@1"}, b.err
}

func (b *fakeBook) Update(_ context.Context, id string, r rules.Rule, state, author string) (rulebook.Entry, error) {
	b.rule = r
	b.record("update %s %s %s %s", id, r.ID, state, author)
	return rulebook.Entry{Key: id + "@2"}, b.err
}

func (b *fakeBook) Disable(_ context.Context, id, author string) (rulebook.Entry, error) {
	b.record("disable %s %s", id, author)
	return rulebook.Entry{Key: id + "@3", State: "disabled"}, b.err
}

func (b *fakeBook) Explain(_ context.Context, s rulebook.Sample) ([]rulebook.Explanation, error) {
	b.record("explain reply=%q mail=%q", s.Reply, s.Mail)
	return []rulebook.Explanation{{Trace: rules.Trace{Verdict: channels.Verdict{Rule: "r@1"}, Steps: []rules.Step{{Rule: "r@1", Matched: true}}}}}, b.err
}

func (b *fakeBook) Backtest(_ context.Context, req rulebook.BacktestRequest) (rulebook.BacktestReport, error) {
	b.req = req
	b.record("backtest")
	return rulebook.BacktestReport{Events: 3, Changed: 1}, b.err
}

func (b *fakeBook) Qualification(_ context.Context, q rulebook.QualifyQuery) ([]rulebook.Group, error) {
	b.query = q
	b.record("qualification")
	return []rulebook.Group{{ID: "q1", Count: 4}}, b.err
}

func (b *fakeBook) Keep(_ context.Context, group string, req rulebook.KeepRequest, author string) (rulebook.Entry, error) {
	b.keep = req
	b.record("keep %s %s", group, author)
	return rulebook.Entry{Key: "email.qualified." + group + "@1"}, b.err
}

func (b *fakeBook) Ignore(_ context.Context, group, author string) (rulebook.Group, error) {
	b.record("ignore %s %s", group, author)
	return rulebook.Group{ID: group, State: "ignored"}, b.err
}

const yamlRule = "id: email.text.acme\nchannel: email\nmatch: {text: acme}\nverdict: {outcome: soft, reason: blocked}\n"

func TestRuleRoutes(t *testing.T) {
	t.Parallel()
	book := &fakeBook{}
	// No rate limit: three backtests in a row cost more than the default
	// burst (TestRateLimitWeighsCost).
	f := newFixture(t, Config{Rules: book, RateLimit: -1}, nil)
	tests := []struct {
		method, path, body string
		code               int
		want               string // in the answer
		call               string // what the book was asked
	}{
		{"GET", "/v1/rules?channel=sms", "", 200, `{"rules":[{"rule":`, "list sms"},
		{"GET", "/v1/rules/email.status.5.1.1", "", 200, `"key":"email.status.5.1.1@2"`, "show email.status.5.1.1"},
		{"POST", "/v1/rules?state=shadow&author=ann", yamlRule, 201, `"key":"email.text.acme@1"`, "create email.text.acme shadow ann"},
		{"POST", "/v1/rules", `{"id":"j","channel":"sms","match":{"stat":["X"]},"verdict":{"outcome":"soft","reason":"undeliverable"}}`, 201, `"key":"j@1"`, "create j  api"},
		{"PUT", "/v1/rules/email.text.acme", yamlRule, 201, `"key":"email.text.acme@2"`, "update email.text.acme email.text.acme  api"},
		{"POST", "/v1/rules/email.text.acme/disable?author=cy", "", 201, `"state":"disabled"`, "disable email.text.acme cy"},
		{"POST", "/v1/rules/explain", `{"reply":"550 5.1.1 user unknown"}`, 200, `"explanations":[{"event":`, `explain reply="550 5.1.1 user unknown" mail=""`},
		// The report names the rules tried as the request does (the
		// next case's request is the one checked below).
		{"POST", "/v1/rules/backtest", `{"channel":"email","from":"2026-11-01","to":"2026-11-02","disable":["b"]}`, 200, `"rules":`, "backtest"},
		{"POST", "/v1/rules/backtest", `{"channel":"email","from":"2026-11-01","to":"2026-11-02T00:00:00Z","rules":[` +
			`{"id":"a","channel":"email","match":{"codes":[550]},"verdict":{"outcome":"hard","reason":"user_unknown"}}],"disable":["b"]}`,
			200, `"events":3,"changed":1`, "backtest"},
		{"GET", "/v1/qualification?channel=email&state=all&since=2026-10-01", "", 200, `"groups":[{"id":"q1"`, "qualification"},
		{"POST", "/v1/qualification/q1/keep?author=dee", `{"outcome":"soft","reason":"blocked","priority":250}`, 201, `"key":"email.qualified.q1@1"`, "keep q1 dee"},
		{"POST", "/v1/qualification/q1/ignore", "", 200, `"state":"ignored"`, "ignore q1 api"},
		// Refused before the book is asked.
		{"POST", "/v1/rules", "id: x\nmatch: {stauts: 5}\n", 400, `unknown key \"match.stauts\"`, ""},
		{"POST", "/v1/rules", "id: " + strings.Repeat("x", rules.MaxRuleBytes), 413, "larger than", ""},
		{"POST", "/v1/rules/explain", `{"reply":"550","colour":1}`, 400, "unknown field", ""},
		{"POST", "/v1/rules/backtest", `{"channel":"email","from":"2026-11-01","to":"2026-11-02","candidate":[]}`, 400, `unknown field \"candidate\"`, ""},
		{"POST", "/v1/rules/backtest", `{"channel":"email","from":"yesterday","to":"2026-11-02"}`, 400, "from:", ""},
		{"POST", "/v1/rules/backtest", `{"channel":"email","from":"2026-11-01","to":"2026-11-02","rules":[{"id":"a","colour":1}]}`, 400, "unknown key", ""},
		{"POST", "/v1/qualification/q1/keep", `{"outcome":"soft"}`, 400, "required", ""},
		{"GET", "/v1/qualification?since=soon", "", 400, "since:", ""},
	}
	for _, tc := range tests {
		book.calls = nil
		code, body := f.authed(tc.method, tc.path, tc.body)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s: %d %s, want %d with %s", tc.method, tc.path, code, body, tc.code, tc.want)
		}
		if got := strings.Join(book.calls, ";"); got != tc.call {
			t.Errorf("%s %s: the book was asked %q, want %q", tc.method, tc.path, got, tc.call)
		}
	}
	if book.rule.ID != "email.text.acme" || book.rule.Verdict.Reason != "blocked" {
		t.Errorf("the YAML rule reached the book as %+v", book.rule)
	}
	r := book.req
	if r.Channel != channels.Email || !r.From.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) || len(r.Rules) != 1 ||
		r.Rules[0].Match.Codes[0] != 550 || r.Disable[0] != "b" {
		t.Errorf("backtest request = %+v", r)
	}
	if book.keep.Priority == nil || *book.keep.Priority != 250 || book.query.State != "all" || book.query.Since.IsZero() {
		t.Errorf("keep %+v query %+v", book.keep, book.query)
	}
}

func TestRuleRoutesErrors(t *testing.T) {
	t.Parallel()
	for err, code := range map[error]int{
		fmt.Errorf("%w: bad", rulebook.ErrInvalid):    http.StatusBadRequest,
		fmt.Errorf("%w: gone", rulebook.ErrNotFound):  http.StatusNotFound,
		fmt.Errorf("%w: taken", rulebook.ErrConflict): http.StatusConflict,
		errors.New("database on fire"):                http.StatusInternalServerError,
	} {
		f := newFixture(t, Config{Rules: &fakeBook{err: err}}, nil)
		for _, r := range [][3]string{{"GET", "/v1/rules", ""}, {"POST", "/v1/rules", yamlRule}, {"POST", "/v1/rules/x/disable", ""},
			{"POST", "/v1/rules/explain", `{"reply":"550 x"}`}, {"POST", "/v1/qualification/q/ignore", ""}} {
			got, body := f.authed(r[0], r[1], r[2])
			if got != code || strings.Contains(body, "fire") {
				t.Errorf("%v: %s %s: %d %s, want %d (and no internal detail)", err, r[0], r[1], got, body, code)
			}
		}
	}
	off := newFixture(t, Config{}, nil)
	if code, _ := off.authed("GET", "/v1/rules", ""); code != http.StatusNotImplemented {
		t.Errorf("no rule book: %d, want 501", code)
	}
	for _, r := range [][2]string{{"GET", "/v1/rules"}, {"POST", "/v1/rules/explain"}, {"POST", "/v1/rules/backtest"}, {"GET", "/v1/qualification"},
		{"POST", "/v1/qualification/q/keep"}, {"PUT", "/v1/rules/x"}} {
		if code, _ := off.do(r[0], r[1], "{}", ""); code != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d", r[0], r[1], code)
		}
	}
}

// TestRateLimitWeighsCost: a backtest spends 100 of its token's request
// units, so a token cannot run them at the rate of cheap reads; a busy
// tenant's second backtest is 409.
func TestRateLimitWeighsCost(t *testing.T) {
	t.Parallel()
	book := &fakeBook{}
	f := newFixture(t, Config{Rules: book, RateLimit: 10, RateBurst: 150}, nil)
	bt := `{"channel":"email","from":"2026-11-01","to":"2026-11-02"}`
	if code, body := f.authed("POST", "/v1/rules/backtest", bt); code != 200 {
		t.Fatalf("first backtest: %d %s", code, body)
	}
	if code, body := f.authed("POST", "/v1/rules/backtest", bt); code != http.StatusTooManyRequests || !strings.Contains(body, "costs 100") {
		t.Errorf("second backtest at once: %d %s, want 429", code, body)
	}
	for i := range 50 {
		if code, _ := f.authed("GET", "/v1/rules", ""); code != 200 {
			t.Fatalf("cheap read %d after a backtest: %d", i, code)
		}
	}
	book.err = rulebook.ErrBusy
	f2 := newFixture(t, Config{Rules: book}, nil)
	if code, body := f2.authed("POST", "/v1/rules/backtest", bt); code != http.StatusConflict {
		t.Errorf("busy: %d %s, want 409", code, body)
	}
}

// TestExplainRawMail: POST /v1/rules/explain takes a raw mail as it is
// with Content-Type message/rfc822, bounded like any body; other bodies
// are the JSON sample, and a mail sent without the type is told how.
func TestExplainRawMail(t *testing.T) {
	t.Parallel()
	book := &fakeBook{}
	f := newFixture(t, Config{Rules: book, RateLimit: -1, MaxBodyBytes: 1024}, nil)
	const mail = "From: MAILER-DAEMON@example.org\r\nSubject: Undelivered\r\n\r\n550 5.1.1 <ann@example.com>: user unknown\r\n"
	for _, tc := range []struct {
		name, contentType, body string
		code                    int
		want, call              string
	}{
		{"a raw mail", "message/rfc822", mail, 200, `"explanations":`, fmt.Sprintf("explain reply=%q mail=%q", "", mail)},
		{"with parameters", "Message/RFC822; charset=utf-8", mail, 200, `"explanations":`, fmt.Sprintf("explain reply=%q mail=%q", "", mail)},
		{"empty", "message/rfc822", "", 400, "mail: the body is empty", ""},
		{"too large", "message/rfc822", strings.Repeat("x", 1025), 413, "larger than 1024", ""},
		{"the JSON object", "application/json", `{"mail":"x"}`, 200, `"explanations":`, `explain reply="" mail="x"`},
		{"JSON under another type", "text/plain", `{"reply":"550 x"}`, 200, `"explanations":`, `explain reply="550 x" mail=""`},
		{"a mail without its type", "", mail, 400, "Content-Type: message/rfc822", ""},
		{"a mail as text", "text/plain", mail, 400, `send {\"mail\": ...}`, ""},
	} {
		book.calls = nil
		code, body := f.authed("POST", "/v1/rules/explain", tc.body, "Content-Type", tc.contentType)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want %d with %s", tc.name, code, body, tc.code, tc.want)
		}
		if got := strings.Join(book.calls, ";"); got != tc.call {
			t.Errorf("%s: the book was asked %q, want %q", tc.name, got, tc.call)
		}
	}
}
