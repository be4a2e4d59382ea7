package main

import (
	"bufio"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels/consent"
)

// consentExclusions are the fields of POST /v1/exclusions answers that
// consent sets.
type consentExclusions struct {
	Results []struct {
		Recipient   string     `json:"recipient"`
		Excluded    bool       `json:"excluded"`
		State       string     `json:"state"`
		Reason      string     `json:"reason"`
		Scope       string     `json:"scope"`
		List        string     `json:"list"`
		Source      string     `json:"source"`
		Since       *time.Time `json:"since"`
		EventID     string     `json:"event_id"`
		ConfirmedAt *time.Time `json:"confirmed_at"`
	} `json:"results"`
}

// exclusion asks POST /v1/exclusions about one recipient (req holds the
// other fields: list, campaign) and returns its answer.
func (in *instance) exclusion(path, channel, rcpt string, req map[string]any) (x struct {
	Recipient, State, Reason, Scope, List, Source, EventID string
	Excluded                                               bool
	Since, ConfirmedAt                                     *time.Time
}) {
	in.t.Helper()
	body := map[string]any{"channel": channel, "recipients": []string{rcpt}}
	for k, v := range req {
		body[k] = v
	}
	var resp consentExclusions
	if code := in.do("POST", path, body, &resp); code != 200 || len(resp.Results) != 1 {
		in.t.Fatalf("exclusions of %s: %d %+v", rcpt, code, resp)
	}
	r := resp.Results[0]
	x.Recipient, x.State, x.Reason, x.Scope, x.List, x.Source, x.EventID = r.Recipient, r.State, r.Reason, r.Scope, r.List, r.Source, r.EventID
	x.Excluded, x.Since, x.ConfirmedAt = r.Excluded, r.Since, r.ConfirmedAt
	return x
}

// public sends a request to a public consent URL, as a mailbox provider or
// a browser does: no bearer token.
func public(t *testing.T, method, link, form string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, link, strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", "consent-test/1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// listUnsubscribe reads a mail's List-Unsubscribe header as a mailbox
// provider does (RFC 2369: URIs in angle brackets): its HTTPS URL and its
// mailto: URI, and checks List-Unsubscribe-Post (RFC 8058).
func listUnsubscribe(t *testing.T, raw string) (link, mailto string) {
	t.Helper()
	m, err := mail.ReadMessage(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe-Post: %q", got)
	}
	for _, part := range strings.Split(m.Header.Get("List-Unsubscribe"), ",") {
		u := strings.Trim(strings.TrimSpace(part), "<>")
		switch {
		case strings.HasPrefix(u, "http"):
			link = u
		case strings.HasPrefix(u, "mailto:"):
			mailto = u
		}
	}
	if link == "" || mailto == "" {
		t.Fatalf("List-Unsubscribe: %q", m.Header.Get("List-Unsubscribe"))
	}
	return link, mailto
}

// TestUnsubscribeEndToEnd is issue 19's acceptance for unsubscribing,
// against a running serve: a sender's mail carries the headers rebond
// generated; RFC 8058's POST to its URL opts the recipient out; the
// exclusion check answers opted_out with the source; a replayed POST
// changes nothing; an altered URL is 403; the mailto: form works through
// the SMTP listener; a gateway's "opted out" refusal opts the number out;
// and the campaign's unsubscribe rate shows in /v1/rates and its CSV.
func TestUnsubscribeEndToEnd(t *testing.T) {
	t.Parallel()
	smtpAddr := freeAddr(t)
	cfg := testConfig(t, 13, map[string]string{
		"REBOND_SMTP_ADDR": smtpAddr, "REBOND_SMTP_DOMAINS": "bounces.example.org",
		"REBOND_EMAIL_VERP_SECRET": "an-example-key-0123456789",
	})
	in := start(t, cfg)
	sentAt := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	sends := []map[string]any{
		ev("sent", "m1", "ann@example.com", "spring", sentAt, ""), ev("sent", "m2", "bob@example.com", "spring", sentAt, ""),
		ev("sent", "m3", "cat@example.com", "spring", sentAt, ""), ev("sent", "m4", "dan@example.com", "spring", sentAt, ""),
		{"channel": "sms", "type": "sent", "message_id": "s1", "recipient": "+447700900123", "campaign": "spring-sms", "occurred_at": sentAt.Format(time.RFC3339)},
		{"channel": "sms", "type": "failed", "message_id": "s1", "recipient": "+447700900123", "provider": "twilio",
			"occurred_at": sentAt.Add(time.Minute).Format(time.RFC3339), "sms": map[string]any{"stat": "undelivered", "err": "21610", "dialect": "twilio"}},
	}
	if code := in.do("POST", "/v1/events", sends, nil); code != 202 {
		t.Fatalf("sends: %d", code)
	}
	applied := len(sends)
	in.waitApplied(applied, 30*time.Second)

	// The sender asks for ann's headers and puts them on its mail.
	var link struct {
		URL, Mailto         string
		ListUnsubscribe     string `json:"list_unsubscribe"`
		ListUnsubscribePost string `json:"list_unsubscribe_post"`
	}
	if code := in.do("POST", "/v1/consent/unsubscribe", map[string]any{"channel": "email", "recipient": "Ann@Example.com",
		"campaign": "spring", "message_id": "m1"}, &link); code != 200 {
		t.Fatalf("headers: %d %+v", code, link)
	}
	sent := "From: news@shop.example\r\nTo: ann@example.com\r\nSubject: Spring\r\nMessage-ID: <m1@shop.example>\r\n" +
		"List-Unsubscribe: " + link.ListUnsubscribe + "\r\nList-Unsubscribe-Post: " + link.ListUnsubscribePost + "\r\n\r\nHello\r\n"
	oneClick, mailto := listUnsubscribe(t, sent)
	if oneClick != link.URL || mailto != link.Mailto || !strings.HasPrefix(oneClick, in.base+consent.UnsubscribePath) {
		t.Fatalf("the mail's URIs %s, %s; rebond gave %+v", oneClick, mailto, link)
	}

	// A scanner fetching the URL changes nothing.
	if code, page := public(t, "GET", oneClick, ""); code != 200 || !strings.Contains(page, "Unsubscribe") {
		t.Fatalf("GET: %d %s", code, page)
	}
	// The mailbox provider's one-click POST.
	if code, body := public(t, "POST", oneClick, "List-Unsubscribe=One-Click"); code != 200 || body != "Unsubscribed.\n" {
		t.Fatalf("one-click POST: %d %q", code, body)
	}
	applied++
	in.waitApplied(applied, 30*time.Second)
	first := in.exclusion("/v1/exclusions", "email", "ann@example.com", nil)
	if !first.Excluded || first.State != "opted_out" || first.Reason != "opted_out" || first.Source != "one-click" || first.Scope != "all" ||
		first.EventID == "" || first.Since == nil {
		t.Fatalf("after one-click: %+v", first)
	}

	// The same POST again: one more event, the same answer.
	if code, _ := public(t, "POST", oneClick, "List-Unsubscribe=One-Click"); code != 200 {
		t.Fatalf("replay: %d", code)
	}
	applied++
	in.waitApplied(applied, 30*time.Second)
	again := in.exclusion("/v1/exclusions", "email", "ann@example.com", nil)
	if again.EventID != first.EventID || again.Since == nil || !again.Since.Equal(*first.Since) || again.Source != first.Source {
		t.Errorf("after the replay: %+v, want %+v", again, first)
	}
	again.Since, first.Since = nil, nil
	if again != first {
		t.Errorf("after the replay: %+v, want %+v", again, first)
	}

	// An altered URL is refused and changes nothing.
	tampered := oneClick[:len(oneClick)-4] + "AAAA"
	if tampered == oneClick {
		tampered = oneClick[:len(oneClick)-4] + "BBBB"
	}
	for _, m := range []string{"GET", "POST"} {
		if code, _ := public(t, m, tampered, "List-Unsubscribe=One-Click"); code != http.StatusForbidden {
			t.Errorf("%s of an altered URL: %d, want 403", m, code)
		}
	}

	// bob unsubscribes from the list "news" by mail (RFC 2369 mailto:).
	var bobLink struct{ Mailto string }
	if code := in.do("POST", "/v1/consent/unsubscribe", map[string]any{"channel": "email", "recipient": "bob@example.com",
		"list": "news", "campaign": "spring", "message_id": "m2"}, &bobLink); code != 200 {
		t.Fatalf("bob's headers: %d", code)
	}
	u, err := url.Parse(bobLink.Mailto)
	if err != nil {
		t.Fatal(err)
	}
	sendMails(t, smtpAddr, []string{u.Opaque}, []string{"From: bob@example.com\r\nTo: " + u.Opaque +
		"\r\nSubject: " + u.Query().Get("subject") + "\r\nMessage-ID: <u1@example.com>\r\n\r\n\r\n"})
	applied++
	in.waitApplied(applied, 30*time.Second)
	if x := in.exclusion("/v1/exclusions", "email", "bob@example.com", nil); x.Excluded {
		t.Errorf("bob, a send of no list: %+v", x)
	}
	if x := in.exclusion("/v1/exclusions", "email", "bob@example.com", map[string]any{"list": "news"}); !x.Excluded ||
		x.Reason != "opted_out" || x.Scope != "list" || x.List != "news" || x.Source != "mailto" || x.State != "active" {
		t.Errorf("bob, a send to the list: %+v", x)
	}

	// Twilio 21610: the number opted out (source gateway-error).
	if x := in.exclusion("/v1/exclusions", "sms", "+447700900123", nil); !x.Excluded || x.State != "opted_out" || x.Source != "gateway-error" {
		t.Errorf("twilio 21610: %+v", x)
	}

	// The campaign's rates: 2 of 4 sends unsubscribed through their mail.
	var rates struct {
		Rows []struct {
			Campaign        string  `json:"campaign"`
			Sent            int64   `json:"sent"`
			Unsubscribed    int64   `json:"unsubscribed"`
			UnsubscribeRate float64 `json:"unsubscribe_rate"`
			Hard            int64   `json:"hard"`
		} `json:"rows"`
	}
	if code := in.do("GET", "/v1/rates?channel=email&campaign=spring", nil, &rates); code != 200 || len(rates.Rows) != 1 ||
		rates.Rows[0].Sent != 4 || rates.Rows[0].Unsubscribed != 2 || rates.Rows[0].UnsubscribeRate != 0.5 || rates.Rows[0].Hard != 0 {
		t.Errorf("rates: %d %+v", code, rates)
	}
	req, _ := http.NewRequest("GET", in.base+"/v1/rates?channel=email&campaign=spring&format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], ",unsubscribed,unsubscribe_rate,unsubscribe_rate_low,unsubscribe_rate_high") ||
		!strings.Contains(lines[1], ",2,0.500000,") {
		t.Errorf("rates CSV:\n%s", csv)
	}
	var export struct {
		Consents []struct {
			Address, Scope, Name, Source string
			OptedOut                     bool `json:"opted_out"`
		}
	}
	if code := in.do("GET", "/v1/consents?channel=email&state=opted_out", nil, &export); code != 200 || len(export.Consents) != 2 ||
		export.Consents[0].Address != "ann@example.com" || export.Consents[1].Name != "news" {
		t.Errorf("export: %d %+v", code, export)
	}
}

// TestDoubleOptInEndToEnd is issue 19's acceptance for double opt-in: a
// tenant whose checks require confirmed consent excludes a recipient
// until it follows its confirmation link, which records the time, the
// client's address and agent; an expired link is refused; a tenant
// without the policy is unaffected.
func TestDoubleOptInEndToEnd(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 14, map[string]string{"REBOND_EMAIL_VERP_SECRET": "an-example-key-0123456789"})
	cfg.Consent.TenantSecrets = map[string]string{"acme": "acme-consent-key-0123456789"}
	cfg.Consent.RequireConfirmed = map[string]consent.Requirement{"acme": {All: true}}
	in := start(t, cfg)
	const erin = "erin@example.com"
	if x := in.exclusion("/v1/exclusions?tenant=acme", "email", erin, nil); !x.Excluded || x.Reason != "not_confirmed" {
		t.Fatalf("before confirming: %+v", x)
	}
	if x := in.exclusion("/v1/exclusions", "email", erin, nil); x.Excluded {
		t.Fatalf("another tenant, no policy: %+v", x)
	}
	var link struct {
		URL       string
		ExpiresAt time.Time `json:"expires_at"`
	}
	if code := in.do("POST", "/v1/consent/requests?tenant=acme", map[string]any{"channel": "email", "recipient": erin}, &link); code != 200 ||
		link.ExpiresAt.Before(time.Now().Add(71*time.Hour)) {
		t.Fatalf("request: %d %+v", code, link)
	}
	if code, page := public(t, "GET", link.URL, ""); code != 200 || !strings.Contains(page, `value="confirm"`) {
		t.Fatalf("GET: %d %s", code, page)
	}
	if x := in.exclusion("/v1/exclusions?tenant=acme", "email", erin, nil); x.Reason != "not_confirmed" {
		t.Fatalf("a GET confirmed: %+v", x)
	}
	if code, page := public(t, "POST", link.URL, "action=confirm"); code != 200 || !strings.Contains(page, "confirmed") {
		t.Fatalf("POST: %d %s", code, page)
	}
	in.waitApplied(1, 30*time.Second)
	x := in.exclusion("/v1/exclusions?tenant=acme", "email", erin, nil)
	if x.Excluded || x.ConfirmedAt == nil || time.Since(*x.ConfirmedAt) > time.Minute {
		t.Errorf("after confirming: %+v", x)
	}
	var view struct {
		Consents []struct {
			ConfirmedAt      *time.Time `json:"confirmed_at"`
			ConfirmIP        string     `json:"confirm_ip"`
			ConfirmUserAgent string     `json:"confirm_user_agent"`
		}
	}
	if code := in.do("GET", "/v1/recipients/email/"+erin+"?tenant=acme", nil, &view); code != 200 || len(view.Consents) != 1 ||
		view.Consents[0].ConfirmIP != "127.0.0.1" || view.Consents[0].ConfirmUserAgent != "consent-test/1.0" {
		t.Errorf("recipient view: %d %+v", code, view)
	}

	// An expired link.
	if code := in.do("POST", "/v1/consent/requests?tenant=acme", map[string]any{"channel": "email", "recipient": "fay@example.com", "ttl": "1s"}, &link); code != 200 {
		t.Fatalf("request: %d", code)
	}
	time.Sleep(time.Until(link.ExpiresAt) + 100*time.Millisecond)
	for _, m := range []string{"GET", "POST"} {
		if code, _ := public(t, m, link.URL, "action=confirm"); code != http.StatusGone {
			t.Errorf("%s of an expired link: %d, want 410", m, code)
		}
	}
	if x := in.exclusion("/v1/exclusions?tenant=acme", "email", "fay@example.com", nil); x.Reason != "not_confirmed" {
		t.Errorf("an expired link confirmed: %+v", x)
	}
}
