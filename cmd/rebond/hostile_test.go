package main

import (
	"context"
	"net/http"
	"net/smtp"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestHostileInput throws malformed JSON, oversized bodies, SQL-looking
// strings, forged webhooks and broken MIME at a running rebond: every one
// gets a clear 4xx (or is kept as rejected mail), nothing crashes, nothing
// is half written, and a good event afterwards still goes through.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	smtpAddr := freeAddr(t)
	cfg := testConfig(t, 3, map[string]string{
		"REBOND_HTTP_MAX_BODY_BYTES": "65536", "REBOND_SMTP_ADDR": smtpAddr,
		"REBOND_SMTP_DOMAINS": "bounces.example.org", "REBOND_SMTP_MAX_MESSAGE_BYTES": "32768",
	})
	cfg.Webhooks = map[string]map[string]any{"kannel": {"provider": "kannel", "token": "a-long-enough-shared-token"}}
	in := start(t, cfg)
	post := func(path, body string, hdr ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", in.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer resp.Body.Close()
		b := make([]byte, 512)
		n, _ := resp.Body.Read(b)
		return resp.StatusCode, string(b[:n])
	}
	sqlish := `x'); DROP TABLE events; --`
	tests := []struct {
		name, path, body string
		code             int
	}{
		{"truncated JSON", "/v1/events", `[{"channel":"email","type":`, 400},
		{"not JSON", "/v1/events", "\x00\xff\xfe garbage", 400},
		{"deeply nested", "/v1/events", strings.Repeat("[", 5000) + strings.Repeat("]", 5000), 400},
		{"huge body", "/v1/events", `[` + strings.Repeat(`{"channel":"email"},`, 10000) + `{}]`, 413},
		{"SQL in fields", "/v1/events", `{"channel":"email","type":"failed","recipient":"` + sqlish + `@x.org","campaign":"` + sqlish +
			`","occurred_at":"2026-11-02T10:00:00Z","smtp":{"text":"` + sqlish + `"}}`, 400},
		{"SQL in rates", "/v1/rates?group_by=campaign%3BDROP%20TABLE%20events", "", 400},
		{"NUL in rates", "/v1/rates?campaign=a%00b", "", 400},
		{"NUL in exclusions", "/v1/exclusions", `{"channel":"email","recipients":["a\u0000b@example.com"]}`, 200},
		{"NUL in a list entry", "/v1/lists/deny", `{"entries":[{"channel":"email","kind":"domain","value":"a\u0000.example"}]}`, 400},
		{"SQL in exclusions", "/v1/exclusions", `{"channel":"email","recipients":["` + sqlish + `"]}`, 200},
		{"unknown field", "/v1/exclusions", `{"channel":"email","recipients":[],"admin":true}`, 400},
		{"bad list kind", "/v1/lists/deny", `{"entries":[{"channel":"email","kind":"sql","value":"` + sqlish + `"}]}`, 400},
	}
	for _, tc := range tests {
		method := "POST"
		if strings.HasPrefix(tc.path, "/v1/rates") {
			method = "GET"
		}
		req, _ := http.NewRequest(method, in.base+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.code)
		}
	}
	// A forged Kannel callback and one with no token.
	for _, q := range []string{"token=guess&type=1&fid=1&from=447700900123", "type=1&fid=1&from=447700900123"} {
		resp, err := http.Get(in.base + "/v1/webhooks/kannel?" + q)
		if err != nil || resp.StatusCode != 401 {
			t.Errorf("forged webhook %q: %v %v", q, resp.StatusCode, err)
		}
	}
	// Broken MIME and an oversized mail on the SMTP listener.
	broken := "From: x@y\r\nContent-Type: multipart/report; boundary=\"\r\n\r\n--\x00\xff--\r\n=?bogus?Q?==?=\r\n"
	if err := smtp.SendMail(smtpAddr, nil, "", []string{"b@bounces.example.org"}, []byte(broken)); err != nil {
		t.Errorf("broken MIME must be accepted and kept (the MTA cannot fix it): %v", err)
	}
	big := "Subject: x\r\n\r\n" + strings.Repeat("0123456789abcdef\r\n", 4000)
	if err := smtp.SendMail(smtpAddr, nil, "", []string{"b@bounces.example.org"}, []byte(big)); err == nil || !strings.Contains(err.Error(), "552") {
		t.Errorf("oversized mail: %v, want 552", err)
	}

	// Nothing was half written; a good event still goes through.
	if code, body := post("/v1/events", `{"channel":"email","type":"sent","message_id":"ok","recipient":"ok@example.org","occurred_at":"2026-11-02T10:00:00Z"}`); code != 202 {
		t.Fatalf("good event after the storm: %d %s", code, body)
	}
	// Quoted local parts (RFC 5321 section 4.1.2) accepted at the edge
	// are applied, not refused by the bridge; what the pipeline cannot
	// take is refused at the edge.
	quoted := `[{"channel":"email","type":"sent","message_id":"q1","recipient":"\"john doe\"@example.org","occurred_at":"2026-11-02T10:00:00Z"},
		{"channel":"email","type":"failed","message_id":"q1","recipient":"\"John Doe\"@example.org","occurred_at":"2026-11-02T10:00:01Z","smtp":{"code":550,"status":"5.1.1","text":"no such user"}},
		{"channel":"email","type":"sent","message_id":"q2","recipient":"\"a..b\"@example.org","occurred_at":"2026-11-02T10:00:00Z"}]`
	if code, body := post("/v1/events", quoted); code != 202 {
		t.Fatalf("quoted local parts: %d %s", code, body)
	}
	for _, bad := range []string{`john doe@example.org`, `a..b@example.org`} {
		if code, body := post("/v1/events", `{"channel":"email","type":"sent","message_id":"b","recipient":"`+bad+`","occurred_at":"2026-11-02T10:00:00Z"}`); code != 400 {
			t.Errorf("%s: %d %s, want 400", bad, code, body)
		}
	}
	in.waitApplied(4, 20*time.Second)
	time.Sleep(2 * time.Second) // the spooled broken mail is parsed and kept as rejected meanwhile
	if applied, pending := in.count(); applied != 4 || pending != 0 {
		t.Errorf("%d applied, %d pending; want the good and the quoted events", applied, pending)
	}
	var rcpt struct {
		State string `json:"state"`
	}
	if code := in.do("GET", "/v1/recipients/email/"+url.PathEscape(`"john doe"@example.org`), nil, &rcpt); code != 200 || rcpt.State != "quarantined" {
		t.Errorf("quoted recipient: %d %+v, want quarantined", code, rcpt)
	}
	if n, err := in.store.CountRejected(context.Background(), "smtp"); err != nil || n != 1 {
		t.Errorf("rejected mail kept: %d (%v), want the broken MIME kept once", n, err)
	}
}
