package workers

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// TestNoticeFor: what is announced depends on the latest change and what
// was last said, so each episode says open, at most one escalate, and
// resolve once the alert has stayed ok for resolve_after.
func TestNoticeFor(t *testing.T) {
	t.Parallel()
	at := alertNow
	ch := func(from, to string) channels.AlertChange { return channels.AlertChange{From: from, To: to, At: at} }
	const ok, warn, crit = channels.AlertOK, channels.AlertWarning, channels.AlertCritical
	for _, tc := range []struct {
		name   string
		change channels.AlertChange
		told   string
		after  time.Duration // since the change
		want   string
	}{
		{"opens at warning, never told", ch(ok, warn), "", 0, NoticeOpen},
		{"opens at critical, never told", ch(ok, crit), "", 0, NoticeOpen},
		{"reopens after a told resolution", ch(ok, warn), ok, 0, NoticeOpen},
		{"escalates from a told warning", ch(warn, crit), warn, 0, NoticeEscalate},
		{"critical again after a fall: already told critical", ch(warn, crit), crit, 0, ""},
		{"falls to warning: still open, nothing", ch(crit, warn), crit, 0, ""},
		{"reopens while its resolution waits: nothing", ch(ok, warn), warn, 0, ""},
		{"ok for less than resolve_after: nothing yet", ch(warn, ok), warn, 59 * time.Minute, ""},
		{"ok for resolve_after: resolve", ch(warn, ok), warn, time.Hour, NoticeResolve},
		{"resolves a critical", ch(crit, ok), crit, 2 * time.Hour, NoticeResolve},
		{"ok and never told open: nothing", ch(warn, ok), "", 2 * time.Hour, ""},
		{"ok and told ok: nothing", ch(warn, ok), ok, 2 * time.Hour, ""},
	} {
		if got := NoticeFor(tc.change, tc.told, at.Add(tc.after), time.Hour); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestRetryDelay: base doubling per retry, capped.
func TestRetryDelay(t *testing.T) {
	t.Parallel()
	c := NotifyConfig{RetryBase: 30 * time.Second, RetryMax: 5 * time.Minute}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for n, w := range want {
		if got := c.RetryDelay(n); got != w {
			t.Errorf("RetryDelay(%d) = %s, want %s", n, got, w)
		}
	}
	if got := c.RetryDelay(1000); got != 5*time.Minute {
		t.Errorf("RetryDelay(1000) = %s", got)
	}
}

// TestSign matches the documented openssl recipe:
// printf '%s.%s' 1700000000 '{"a":1}' | openssl dgst -sha256 -hmac 0123456789abcdef
func TestSign(t *testing.T) {
	t.Parallel()
	got := Sign("0123456789abcdef", time.Unix(1700000000, 0), []byte(`{"a":1}`))
	want := "t=1700000000,v1=" + opensslHMAC
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

// TestDestinationValidate names the field at fault.
func TestDestinationValidate(t *testing.T) {
	t.Parallel()
	relay := SMTPRelay{Addr: "relay.example:587", From: "rebond <rebond@example.org>", To: []string{"ops@example.org"}}
	for _, tc := range []struct {
		name string
		d    []Destination
		want string
	}{
		{"webhook", []Destination{{Name: "h", Kind: DestWebhook, URL: "https://h.example/x", Secret: "0123456789abcdef"}}, ""},
		{"slack", []Destination{{Name: "s", Kind: DestSlack, URL: "https://hooks.slack.com/services/T/B/X"}}, ""},
		{"email", []Destination{{Name: "m", Kind: DestEmail, SMTP: relay}}, ""},
		{"no name", []Destination{{Kind: DestSlack, URL: "https://h.example/"}}, "alerts.destinations[0].name"},
		{"twice", []Destination{{Name: "s", Kind: DestSlack, URL: "https://h.example/"}, {Name: "s", Kind: DestSlack, URL: "https://h.example/"}}, "used twice"},
		{"unknown kind", []Destination{{Name: "p", Kind: "pager"}}, "(p).kind"},
		{"not http", []Destination{{Name: "s", Kind: DestSlack, URL: "ftp://h.example/secret-path"}}, "(s).url"},
		{"webhook without secret", []Destination{{Name: "h", Kind: DestWebhook, URL: "https://h.example/"}}, "(h).secret"},
		{"email without port", []Destination{{Name: "m", Kind: DestEmail, SMTP: SMTPRelay{Addr: "relay", From: relay.From, To: relay.To}}}, "(m).smtp.addr"},
		{"email bad tls", []Destination{{Name: "m", Kind: DestEmail, SMTP: SMTPRelay{Addr: relay.Addr, TLS: "ssl", From: relay.From, To: relay.To}}}, "(m).smtp.tls"},
		{"email no recipient", []Destination{{Name: "m", Kind: DestEmail, SMTP: SMTPRelay{Addr: relay.Addr, From: relay.From}}}, "(m).smtp.to"},
		{"email bad from", []Destination{{Name: "m", Kind: DestEmail, SMTP: SMTPRelay{Addr: relay.Addr, From: "nobody", To: relay.To}}}, "(m).smtp.from"},
	} {
		err := validateDestinations(tc.d)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret-path") {
			t.Errorf("%s: the error shows the URL's path: %v", tc.name, err)
		}
	}
}

// TestNoticeMessage: the mail has the RFC 5322 headers and CRLF lines.
func TestNoticeMessage(t *testing.T) {
	t.Parallel()
	r := SMTPRelay{From: "rebond <alerts@rebond.example>", To: []string{"ops@example.org", "b@example.org"}}
	d := store.AlertDelivery{ID: 7, Notice: NoticeOpen, Change: channels.AlertChange{ID: 3, Tenant: "default",
		AlertKey: channels.AlertKey{Channel: channels.Email, Campaign: "spring", Metric: "hard_rate"}, From: "ok", To: "critical", At: alertNow}}
	msg, err := noticeMessage(r, d, noticeText(d.Notice, d.Change), alertNow)
	if err != nil {
		t.Fatal(err)
	}
	s := string(msg)
	for _, want := range []string{"Date: Sun, 29 Nov 2026 12:07:00 +0000\r\n", "Message-ID: <alert-delivery-7.", "@rebond.example>\r\n",
		"From: \"rebond\" <alerts@rebond.example>\r\n", "To: ops@example.org, b@example.org\r\n",
		"Subject: [rebond] CRITICAL: email campaign \"spring\" hard_rate", "\r\n\r\n[rebond] CRITICAL"} {
		if !strings.Contains(s, want) {
			t.Errorf("message lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(strings.ReplaceAll(s, "\r\n", ""), "\n") {
		t.Errorf("bare LF in message:\n%s", s)
	}
}

// opensslHMAC is what the openssl line in TestSign's comment prints.
const opensslHMAC = "9eb18f493f8ec135d9eb2dad817c369bb4e9cbfa818657897a7437c1cd8c3a23"

// TestNoticeTextFromHostileCampaign: a campaign name is the sender's
// text; it cannot add a mail header nor ping a Slack channel.
func TestNoticeTextFromHostileCampaign(t *testing.T) {
	t.Parallel()
	c := channels.AlertChange{ID: 1, AlertKey: channels.AlertKey{Channel: channels.SMS, Campaign: "x\r\nBcc: all@example.org\r<!channel>", Metric: "hard_rate"},
		From: "ok", To: "critical", At: alertNow}
	text := noticeText(NoticeOpen, c)
	if strings.ContainsAny(text, "\r\n") {
		t.Errorf("text has a line break: %q", text)
	}
	if got := slackEscape(text); strings.Contains(got, "<!channel>") || !strings.Contains(got, "&lt;!channel&gt;") {
		t.Errorf("slack text %q", got)
	}
	msg, err := noticeMessage(SMTPRelay{From: "a@b.example", To: []string{"c@d.example"}}, store.AlertDelivery{ID: 1, Change: c}, text, alertNow)
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(msg), "\r\n\r\n")
	if strings.Contains(head, "\r\nBcc:") {
		t.Errorf("campaign added a header:\n%s", head)
	}
	if strings.Contains(strings.ReplaceAll(string(msg), "\r\n", ""), "\r") {
		t.Errorf("bare CR in message:\n%q", msg)
	}
}

// TestSenderSlackAndRedirects: a Slack notice is {"text": ...} without a
// signature; a destination that redirects is a failure, never followed;
// an error names the host, never the URL's path (a Slack credential).
func TestSenderSlackAndRedirects(t *testing.T) {
	t.Parallel()
	var body []byte
	var sig string
	followed := false
	mux := http.NewServeMux()
	mux.HandleFunc("/services/T0/B0/slack-secret", func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		sig = r.Header.Get(SignatureHeader)
	})
	mux.HandleFunc("/moved/secret-path", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/elsewhere", func(http.ResponseWriter, *http.Request) { followed = true })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s := newSender(5 * time.Second)
	d := store.AlertDelivery{ID: 9, Notice: NoticeResolve, Change: channels.AlertChange{AlertKey: channels.AlertKey{Channel: channels.SMS,
		Campaign: "otp", Metric: "hard_rate"}, From: "critical", To: "ok", At: alertNow}}
	if err := s.send(context.Background(), Destination{Name: "chat", Kind: DestSlack, URL: srv.URL + "/services/T0/B0/slack-secret"}, d); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(body, &got); err != nil || len(got) != 1 || !strings.HasPrefix(got["text"], "[rebond] RESOLVED: sms campaign") || sig != "" {
		t.Errorf("slack body %s (%v), signature %q", body, err, sig)
	}
	err := s.send(context.Background(), Destination{Name: "hook", Kind: DestWebhook, URL: srv.URL + "/moved/secret-path", Secret: "0123456789abcdef"}, d)
	if err == nil || followed || !strings.Contains(err.Error(), "status 307") || strings.Contains(err.Error(), "secret-path") {
		t.Errorf("redirect: %v (followed %v)", err, followed)
	}
	err = s.send(context.Background(), Destination{Name: "hook", Kind: DestSlack, URL: "http://127.0.0.1:1/services/secret-path"}, d)
	if err == nil || strings.Contains(err.Error(), "secret-path") {
		t.Errorf("unreachable: %v", err)
	}
}
