package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

const token = "s3cret"

// fakePublisher records what it was given, or fails.
type fakePublisher struct {
	mu     sync.Mutex
	events []channels.Event
	err    error
}

func (p *fakePublisher) Publish(_ context.Context, es []channels.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.events = append(p.events, es...)
	return nil
}

// fakeReader answers from fixed data and records the lookups it got.
type fakeReader struct {
	rates   []store.RateRow
	query   store.RatesQuery
	lookups []string
	states  map[string]store.Exclusion
}

func (f *fakeReader) Rates(_ context.Context, q store.RatesQuery) ([]store.RateRow, error) {
	f.query = q
	return f.rates, nil
}

func (f *fakeReader) Exclusions(_ context.Context, _ channels.Channel, rs []string, _ time.Time) ([]store.Exclusion, error) {
	f.lookups = append(f.lookups, rs...)
	out := make([]store.Exclusion, len(rs))
	for i, r := range rs {
		x, ok := f.states[r]
		if !ok {
			x = store.Exclusion{Recipient: r, State: channels.StateActive}
		}
		out[i] = x
	}
	return out, nil
}

func (f *fakeReader) Recipient(_ context.Context, ch channels.Channel, addr string) (store.RecipientView, error) {
	x, ok := f.states[addr]
	if !ok {
		return store.RecipientView{}, store.ErrNotFound
	}
	return store.RecipientView{Channel: ch, Address: addr, State: x.State, Reason: x.Reason, History: []store.Transition{}}, nil
}

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

// hook is a webhook adapter answering fixed results.
type hook struct {
	res channels.WebhookResult
	err error
}

func (h hook) Handle(*http.Request, []byte) (channels.WebhookResult, error) { return h.res, h.err }

type fixture struct {
	srv    *Server
	pub    *fakePublisher
	reader *fakeReader
}

func newFixture(t testing.TB, cfg Config, ready map[string]Pinger) *fixture {
	t.Helper()
	cfg.AdminToken = token
	if cfg.AuthFailureRate == 0 {
		// Tests send many wrong tokens from httptest's one address;
		// TestAuthFailuresThrottled turns the throttle on.
		cfg.AuthFailureRate = -1
	}
	f := &fixture{pub: &fakePublisher{}, reader: &fakeReader{states: map[string]store.Exclusion{}}}
	srv, err := New(cfg, f.pub, f.reader, ready, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	return f
}

// do sends a request and returns the status and body.
func (f *fixture) do(method, path, body, auth string, hdr ...string) (int, string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

func (f *fixture) authed(method, path, body string, hdr ...string) (int, string) {
	return f.do(method, path, body, "Bearer "+token, hdr...)
}

const sentEvent = `{"channel":"email","type":"sent","message_id":"m1","recipient":"a@example.org","occurred_at":"2026-11-02T10:00:00Z"}`

func TestEveryV1RouteNeedsTheToken(t *testing.T) {
	f := newFixture(t, Config{Operator: &fakeOperator{}, TextCheck: fakeCheck}, nil)
	fill := strings.NewReplacer("{channel}", "email", "{address}", "a@b.c", "{list}", "deny", "{kind}", "exact",
		"{value}", "a@b.c", "{id}", "x", "{group}", "x", "{name}", "x")
	checked := 0
	for _, p := range f.srv.patterns {
		method, path, _ := strings.Cut(p, " ")
		if !strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/v1/webhooks/") {
			continue // providers authenticate with their own signatures
		}
		path = fill.Replace(path)
		for _, auth := range []string{"", "Bearer wrong", "Basic " + token, "Bearer " + token + "x", token} {
			if code, _ := f.do(method, path, "{}", auth); code != http.StatusUnauthorized {
				t.Errorf("%s %s with %q: %d, want 401", method, path, auth, code)
			}
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("only %d /v1 routes checked", checked)
	}
	if len(f.pub.events) != 0 {
		t.Error("an unauthenticated request published events")
	}
}

func TestPostEvents(t *testing.T) {
	f := newFixture(t, Config{MaxBodyBytes: 4096, MaxBatch: 3}, nil)
	code, body := f.authed("POST", "/v1/events", sentEvent)
	if code != http.StatusAccepted || !strings.Contains(body, `"accepted":1`) {
		t.Fatalf("one event: %d %s", code, body)
	}
	bad := `{"channel":"email","type":"failed","recipient":"nobody","occurred_at":"2026-11-02T10:00:00Z"}`
	code, body = f.authed("POST", "/v1/events", "["+sentEvent+","+bad+"]")
	if code != http.StatusBadRequest || !strings.Contains(body, `"accepted":1`) || !strings.Contains(body, `{"index":1,"error":"recipient: \"nobody\" is not an email address"}`) {
		t.Errorf("partial batch: %d %s", code, body)
	}
	if len(f.pub.events) != 2 || f.pub.events[1].Raw != "" || f.pub.events[1].MessageID == "" {
		t.Errorf("the good events must be published, without a raw copy of their own JSON: %+v", f.pub.events)
	}
	code, body = f.authed("POST", "/v1/events", "["+strings.Repeat(sentEvent+",", 3)+sentEvent+"]")
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("4 events over a batch of 3: %d %s", code, body)
	}
	code, _ = f.authed("POST", "/v1/events", strings.Repeat(" ", 5000)+sentEvent)
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("body over the limit: %d", code)
	}
	for _, in := range []string{"", "[", "nope"} {
		if code, body := f.authed("POST", "/v1/events", in); code != http.StatusBadRequest {
			t.Errorf("body %q: %d %s", in, code, body)
		}
	}
	f.pub.err = errors.New("nats down")
	n := len(f.pub.events)
	if code, _ := f.authed("POST", "/v1/events", sentEvent); code != http.StatusServiceUnavailable || len(f.pub.events) != n {
		t.Errorf("bus down: %d, want 503 and nothing accepted", code)
	}
}

func TestGetRates(t *testing.T) {
	f := newFixture(t, Config{}, nil)
	bucket := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	f.reader.rates = []store.RateRow{{Channel: channels.Email, Campaign: "spring, \"promo\"", Bucket: &bucket, Sent: 100, Soft: 20, Hard: 10, Pending: 70, SoftRate: 0.2, HardRate: 0.1,
		SoftRateCI: channels.Interval{Low: 0.1333, High: 0.2888}, HardRateCI: channels.Interval{Low: 0.0552, High: 0.1744}, ComplaintRateCI: channels.Interval{High: 0.037}}}
	code, body := f.authed("GET", "/v1/rates?channel=email&campaign=c&from=2026-11-01&to=2026-11-03T00:00:00Z&group_by=campaign,day", "")
	if code != http.StatusOK || !strings.Contains(body, `"soft_rate":0.2`) || !strings.Contains(body, `"hard_rate":0.1`) {
		t.Errorf("json: %d %s", code, body)
	}
	q := f.reader.query
	if q.Channel != channels.Email || q.Campaign != "c" || !q.From.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) || len(q.GroupBy) != 2 {
		t.Errorf("query = %+v", q)
	}
	code, body = f.authed("GET", "/v1/rates?format=csv", "")
	want := "channel,campaign,domain,bucket,sent,delivered,soft,hard,complaints,pending,soft_rate,hard_rate,complaint_rate," +
		"soft_rate_low,soft_rate_high,hard_rate_low,hard_rate_high,complaint_rate_low,complaint_rate_high,low_volume,provider,reason,reason_group,route," +
		"unsubscribed,unsubscribe_rate,unsubscribe_rate_low,unsubscribe_rate_high,country,carrier\n" +
		"email,\"spring, \"\"promo\"\"\",,2026-11-02T00:00:00Z,100,0,20,10,0,70,0.200000,0.100000,0.000000," +
		"0.133300,0.288800,0.055200,0.174400,0.000000,0.037000,false,,,,,0,0.000000,0.000000,0.000000,,\n"
	if code != http.StatusOK || body != want {
		t.Errorf("csv: %d\n%s\nwant\n%s", code, body, want)
	}
	if code, body := f.authed("GET", "/v1/rates", "", "Accept", "text/csv"); code != http.StatusOK || !strings.HasPrefix(body, "channel,") {
		t.Errorf("Accept: text/csv: %d %s", code, body)
	}
	for _, qs := range []string{"channel=fax", "min_volume=-1", "group_by=reason,provider", "group_by=reason,reason_group", "min_volume=lots", "group_by=colour", "group_by=day,hour", "from=yesterday", "from=2026-11-03&to=2026-11-01"} {
		if code, body := f.authed("GET", "/v1/rates?"+qs, ""); code != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s", qs, code, body)
		}
	}
}

func TestPostExclusions(t *testing.T) {
	f := newFixture(t, Config{MaxBatch: 10}, nil)
	f.reader.states["gone@example.org"] = store.Exclusion{Recipient: "gone@example.org", Excluded: true, State: channels.StateQuarantined, Reason: "user_unknown"}
	code, body := f.authed("POST", "/v1/exclusions",
		`{"channel":"email","recipients":["Gone@Example.org","ok@example.org","","not an address","gone@example.org"]}`)
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	var resp struct{ Results []store.Exclusion }
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Gone@Example.org true quarantined user_unknown",
		"ok@example.org false active ",
		" true active address_missing",
		"not an address true active address_invalid",
		"gone@example.org true active duplicate",
	}
	for i, x := range resp.Results {
		if got := x.Recipient + " " + map[bool]string{true: "true", false: "false"}[x.Excluded] + " " + string(x.State) + " " + x.Reason; i >= len(want) || got != want[i] {
			t.Errorf("result %d = %q", i, got)
		}
	}
	if len(resp.Results) != len(want) || strings.Join(f.reader.lookups, ",") != "gone@example.org,ok@example.org" {
		t.Errorf("%d results; store lookups %v (each valid recipient once, normalized)", len(resp.Results), f.reader.lookups)
	}
	for body, code := range map[string]int{
		`{"channel":"fax","recipients":[]}`:                                                http.StatusBadRequest,
		`{"channel":"email","recipients":[],"extra":1}`:                                    http.StatusBadRequest,
		`{"channel":"email","recipients":[` + strings.Repeat(`"a@b.c",`, 10) + `"a@b.c"]}`: http.StatusRequestEntityTooLarge,
	} {
		if got, resp := f.authed("POST", "/v1/exclusions", body); got != code {
			t.Errorf("%.40s: %d %s, want %d", body, got, resp, code)
		}
	}
}

func TestGetRecipient(t *testing.T) {
	f := newFixture(t, Config{}, nil)
	f.reader.states["33612345678"] = store.Exclusion{State: channels.StateQuarantined, Reason: "unknown_subscriber"}
	if code, body := f.authed("GET", "/v1/recipients/sms/+33%206%2012%2034%2056%2078", ""); code != http.StatusOK || !strings.Contains(body, `"state":"quarantined"`) {
		t.Errorf("known: %d %s", code, body)
	}
	if code, body := f.authed("GET", "/v1/recipients/email/New@Example.org", ""); code != http.StatusOK ||
		!strings.Contains(body, `"address":"new@example.org","state":"active"`) || !strings.Contains(body, `"history":[]`) {
		t.Errorf("unknown recipient must be active: %d %s", code, body)
	}
	for _, p := range []string{"/v1/recipients/fax/a@b.c", "/v1/recipients/email/nobody"} {
		if code, _ := f.authed("GET", p, ""); code != http.StatusBadRequest {
			t.Errorf("%s: %d", p, code)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t, Config{}, map[string]Pinger{"postgres": pinger{}, "redis": pinger{errors.New("connection refused")}, "nats": pinger{}})
	if code, _ := f.do("GET", "/healthz", "", ""); code != http.StatusOK {
		t.Errorf("healthz: %d", code)
	}
	code, body := f.do("GET", "/readyz", "", "")
	// The unauthenticated answer names what is down, never the driver's detail.
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"name":"redis","ok":false`) || strings.Contains(body, "connection refused") {
		t.Errorf("readyz with redis down: %d %s", code, body)
	}
	ok := newFixture(t, Config{}, map[string]Pinger{"postgres": pinger{}, "nats": pinger{}})
	if code, body := ok.do("GET", "/readyz", "", ""); code != http.StatusOK {
		t.Errorf("readyz: %d %s", code, body)
	}
	if code, body := ok.do("GET", "/metrics", "", ""); code != http.StatusOK || !strings.Contains(body, "rebond_http_requests_total") {
		t.Errorf("metrics: %d %.200s", code, body)
	}
	if code, _ := ok.do("GET", "/nowhere", "", ""); code != http.StatusNotFound {
		t.Errorf("unknown route: %d", code)
	}
}

func TestWebhooks(t *testing.T) {
	ev := channels.Event{ID: "ev1", Channel: channels.SMS, Type: channels.Delivered, Recipient: "447700900123"}
	f := newFixture(t, Config{Webhooks: map[string]channels.Webhook{
		"jasmin": hook{res: channels.WebhookResult{Events: []channels.Event{ev}, Body: "ACK/Jasmin"}},
		"ses":    hook{},
		"bad":    hook{err: channels.Unauthorized("signature mismatch")},
		"junk":   hook{err: &channels.FieldError{Field: "Message", Msg: "not JSON"}},
		"broken": hook{err: errors.New("disk on fire")},
	}}, nil)
	tests := []struct {
		name, body string
		code       int
	}{
		{"jasmin", "ACK/Jasmin", http.StatusOK},
		{"ses", `{"accepted":0}` + "\n", http.StatusOK},
		{"bad", `{"error":"webhook bad: authentication failed"}` + "\n", http.StatusUnauthorized},
		{"junk", `{"error":"webhook junk: Message: not JSON"}` + "\n", http.StatusBadRequest},
		{"broken", `{"error":"internal error; see the server log"}` + "\n", http.StatusInternalServerError},
		{"nope", `{"error":"no webhook \"nope\" is configured"}` + "\n", http.StatusNotFound},
	}
	for _, tc := range tests {
		// Providers cannot send rebond's bearer token: adapters authenticate.
		code, body := f.do("POST", "/v1/webhooks/"+tc.name, "x=1", "")
		if code != tc.code || body != tc.body {
			t.Errorf("%s: %d %q, want %d %q", tc.name, code, body, tc.code, tc.body)
		}
	}
	if len(f.pub.events) != 1 || f.pub.events[0].ID != "ev1" {
		t.Errorf("published %+v", f.pub.events)
	}
	f.pub.err = errors.New("nats down")
	if code, body := f.do("POST", "/v1/webhooks/jasmin", "", ""); code != http.StatusServiceUnavailable || strings.Contains(body, "ACK") {
		t.Errorf("bus down must not acknowledge: %d %s", code, body)
	}
}

// TestInboundWebhooks: /v1/webhooks/{name}/inbound serves the inbound
// adapters, by the webhook's name, with the provider's exact answer, an
// empty one included (Kannel sends any answer to the subscriber).
func TestInboundWebhooks(t *testing.T) {
	stop := channels.Event{ID: "twilio:SM1:mo", Channel: channels.SMS, Type: channels.OptOut, Recipient: "15558675310"}
	keeper := &rejectKeeper{}
	f := newFixture(t, Config{Rejects: keeper,
		Webhooks: map[string]channels.Webhook{"twilio": hook{}, "kannel": hook{}},
		InboundWebhooks: map[string]channels.Webhook{
			"twilio": hook{res: channels.WebhookResult{Events: []channels.Event{stop}, Body: "<Response/>", ContentType: "text/xml"}},
			"kannel": hook{res: channels.WebhookResult{ContentType: "text/plain; charset=utf-8", Unusable: "from no number"}},
		}}, nil)
	if code, body := f.do("POST", "/v1/webhooks/twilio/inbound", "Body=STOP", ""); code != http.StatusOK || body != "<Response/>" {
		t.Errorf("twilio inbound: %d %q", code, body)
	}
	if len(f.pub.events) != 1 || f.pub.events[0].Type != channels.OptOut {
		t.Errorf("published %+v", f.pub.events)
	}
	if code, body := f.do("GET", "/v1/webhooks/kannel/inbound?from=ACME&token=s3cret-token", "", ""); code != http.StatusOK || body != "" {
		t.Errorf("kannel inbound: %d %q, want 200 and an empty body", code, body)
	}
	if code, _ := f.do("POST", "/v1/webhooks/twilio", "x=1", ""); code != http.StatusOK {
		t.Errorf("the status callback route: %d", code)
	}
	if code, body := f.do("POST", "/v1/webhooks/ses/inbound", "", ""); code != http.StatusNotFound || !strings.Contains(body, `ses/inbound`) {
		t.Errorf("no inbound adapter: %d %s", code, body)
	}
	if want := "webhook:kannel/inbound|from no number|GET /v1/webhooks/kannel/inbound?from=ACME"; len(keeper.kept) != 1 || keeper.kept[0] != want {
		t.Errorf("kept %q, want %q", keeper.kept, want)
	}
}

// rejectKeeper records what keepRejected keeps.
type rejectKeeper struct{ kept []string }

func (k *rejectKeeper) InsertRejected(_ context.Context, source, reason string, payload []byte) error {
	k.kept = append(k.kept, source+"|"+reason+"|"+string(payload))
	return nil
}

// TestWebhookAnswerAndRejects: the answer counts the distinct events a
// payload holds (what is stored), and a refused payload is kept with why,
// without the secret of a dlr-url's query; so is a payload whose outcomes
// name no delivery, answered as accepted (a provider must not retry it).
func TestWebhookAnswerAndRejects(t *testing.T) {
	a := channels.Event{ID: "ev1", Channel: channels.Email, Type: channels.Sent, Recipient: "a@example.org"}
	b := channels.Event{ID: "ev2", Channel: channels.Email, Type: channels.Delivered, Recipient: "a@example.org"}
	keeper := &rejectKeeper{}
	f := newFixture(t, Config{Rejects: keeper, Webhooks: map[string]channels.Webhook{
		"sendgrid": hook{res: channels.WebhookResult{Events: []channels.Event{a, b, a}}},
		"kannel":   hook{err: &channels.FieldError{Field: "type", Msg: "required"}},
		"sinch":    hook{res: channels.WebhookResult{Unusable: "summary report: no recipients"}},
	}}, nil)
	if code, body := f.do("POST", "/v1/webhooks/sendgrid", "[]", ""); code != http.StatusOK || body != `{"accepted":2}`+"\n" {
		t.Errorf("sendgrid: %d %q, want the 2 distinct events counted", code, body)
	}
	if len(f.pub.events) != 2 {
		t.Errorf("published %d events, want 2", len(f.pub.events))
	}
	f.do("POST", "/v1/webhooks/kannel", "fid=1", "")
	f.do("GET", "/v1/webhooks/kannel?fid=2&token=s3cret-token&Password=x", "", "")
	if code, body := f.do("POST", "/v1/webhooks/sinch", `{"type":"delivery_report_sms"}`, ""); code != http.StatusOK || body != `{"accepted":0}`+"\n" {
		t.Errorf("sinch summary: %d %q, want 200 accepted 0", code, body)
	}
	want := []string{"webhook:kannel|type: required|fid=1", "webhook:kannel|type: required|GET /v1/webhooks/kannel?fid=2",
		`webhook:sinch|summary report: no recipients|{"type":"delivery_report_sms"}`}
	if strings.Join(keeper.kept, "\n") != strings.Join(want, "\n") {
		t.Errorf("kept %q, want %q", keeper.kept, want)
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := New(Config{}, &fakePublisher{}, &fakeReader{}, nil, prometheus.NewRegistry(), slog.New(slog.DiscardHandler)); err == nil ||
		!strings.Contains(err.Error(), "REBOND_ADMIN_TOKEN") {
		t.Errorf("no token: %v", err)
	}
}

// FuzzPostEvents posts arbitrary bodies: the answer is always a 2xx or a
// 4xx with a JSON error, never a 500, and only valid events are published.
func FuzzPostEvents(f *testing.F) {
	f.Add(sentEvent)
	f.Add("[" + sentEvent + `,{"channel":"sms"}]`)
	f.Add(`{"channel":"sms","type":"failed","recipient":"+44 7700 900123","occurred_at":"2026-11-02T10:00:00Z","sms":{"stat":"UNDELIV"}}`)
	fx := newFixture(f, Config{MaxBodyBytes: 1 << 16, MaxBatch: 50, RateLimit: -1}, nil)
	f.Fuzz(func(t *testing.T, body string) {
		fx.pub.events = nil
		code, resp := fx.authed("POST", "/v1/events", body)
		if code != http.StatusAccepted && code != http.StatusBadRequest && code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d: %s", code, resp)
		}
		if !json.Valid([]byte(resp)) {
			t.Fatalf("answer is not JSON: %q", resp)
		}
		for _, e := range fx.pub.events {
			if err := e.Normalize(); err != nil || e.ID == "" {
				t.Fatalf("published an invalid event %+v: %v", e, err)
			}
		}
	})
}

// fakeCheck: "€" needs UCS-2 here, and every 10 characters are a segment.
func fakeCheck(text string, maxSegments int, requireGSM bool) TextCheck {
	c := TextCheck{Encoding: "gsm7", Units: len([]rune(text)), Segments: (len([]rune(text)) + 9) / 10}
	if strings.Contains(text, "€") {
		c.Encoding = "ucs2"
		if requireGSM {
			c.Reason, c.Unsupported = "unsupported_character", []string{"€"}
			return c
		}
	}
	if maxSegments > 0 && c.Segments > maxSegments {
		c.Reason = "text_too_long"
	}
	return c
}

func TestSMSCheck(t *testing.T) {
	f := newFixture(t, Config{TextCheck: fakeCheck, SMSMaxSegments: 2}, nil)
	tests := []struct {
		body string
		code int
		want string
	}{
		{`{"text":"hello"}`, 200, `{"ok":true,"encoding":"gsm7","units":5,"segments":1}`},
		{`{"text":"hello hello hello"}`, 200, `"segments":2}`},
		{`{"text":"hello hello hello hello"}`, 200, `"ok":false,"encoding":"gsm7","units":23,"segments":3,"reason":"text_too_long"}`},
		{`{"text":"hello hello hello hello","max_segments":0}`, 200, `"ok":true`},
		{`{"text":"5 €","require_gsm":true}`, 200, `"reason":"unsupported_character","unsupported":["€"]}`},
		{`{"text":"5 €"}`, 200, `"ok":true,"encoding":"ucs2"`},
		{`{}`, 400, `text: required`},
		{`{"text":"x","max_segments":300}`, 400, `max_segments`},
		{`{"text":"` + strings.Repeat("x", maxSMSText+1) + `"}`, 400, `at most`},
	}
	for _, tc := range tests {
		code, body := f.authed("POST", "/v1/sms/check", tc.body)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%.40s: %d %s, want %d with %s", tc.body, code, body, tc.code, tc.want)
		}
	}
	code, body := f.authed("POST", "/v1/exclusions", `{"channel":"sms","recipients":["+447700900001",""],"text":"hello hello hello hello"}`)
	if code != 200 || !strings.Contains(body, `{"recipient":"+447700900001","excluded":true,"state":"active","reason":"text_too_long"}`) ||
		!strings.Contains(body, `"reason":"address_missing"`) || !strings.Contains(body, `"text_check":{"ok":false`) {
		t.Errorf("exclusions with a text: %d %s", code, body)
	}
	if code, _ := f.authed("POST", "/v1/exclusions", `{"channel":"email","recipients":["a@b.c"],"text":"hi"}`); code != 400 {
		t.Errorf("an email text check: %d, want 400", code)
	}
	off := newFixture(t, Config{}, nil)
	if code, _ := off.authed("POST", "/v1/sms/check", `{"text":"hi"}`); code != http.StatusNotImplemented {
		t.Errorf("no checker: %d", code)
	}
}

// TestOpenAPIMatchesRoutes: every route the server registers is in
// /openapi.json with its method, and the document names no route the
// server lacks.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t, Config{}, nil)
	code, body := f.do("GET", "/openapi.json", "", "")
	if code != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d", code)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.OpenAPI == "" {
		t.Fatalf("not an OpenAPI document: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, p := range f.srv.patterns {
		if !documented[p] {
			t.Errorf("route %s is not in openapi.json", p)
		}
		delete(documented, p)
	}
	for p := range documented {
		t.Errorf("openapi.json documents %s, which the server does not serve", p)
	}
}

func TestOpsListener(t *testing.T) {
	srv := NewOps("127.0.0.1:0", map[string]Pinger{"postgres": pinger{}}, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/v1/rates": 404} {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("%s: %d, want %d", path, rec.Code, want)
		}
	}
}

func TestRateLimitPerToken(t *testing.T) {
	f := newFixture(t, Config{RateLimit: 1, RateBurst: 3}, nil)
	codes := map[int]int{}
	for range 5 {
		code, _ := f.authed("GET", "/v1/rates", "")
		codes[code]++
	}
	if codes[200] != 3 || codes[http.StatusTooManyRequests] != 2 {
		t.Errorf("codes = %v, want 3 x 200 then 429", codes)
	}
	off := newFixture(t, Config{RateLimit: -1}, nil)
	for range 50 {
		if code, _ := off.authed("GET", "/v1/rates", ""); code != 200 {
			t.Fatalf("no limit: %d", code)
		}
	}
}

func TestEventLargerThanTheBus(t *testing.T) {
	f := newFixture(t, Config{MaxEventBytes: 1500}, nil)
	big := `{"channel":"email","type":"sent","message_id":"m1","recipient":"a@example.org","occurred_at":"2026-11-02T10:00:00Z","raw":"` +
		strings.Repeat("x", 500) + `"}`
	code, body := f.authed("POST", "/v1/events", "["+sentEvent+","+big+"]")
	if code != http.StatusBadRequest || !strings.Contains(body, `"index":1,"error":"event of`) || !strings.Contains(body, `"accepted":1`) {
		t.Errorf("%d %s", code, body)
	}
}
