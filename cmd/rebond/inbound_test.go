package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/internal/testsvc"
	"github.com/rebond/rebond/sms/smpp"
)

// storedConsents waits until number has n stored events and returns them
// oldest first as "type keyword: text" (its consent's).
func (in *instance) storedConsents(number string, n int) []string {
	in.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		evs, err := in.store.RecipientEvents(context.Background(), channels.SMS, number, 50)
		if err != nil {
			in.t.Fatal(err)
		}
		if len(evs) >= n || time.Now().After(deadline) {
			sort.Slice(evs, func(i, j int) bool { return evs[i].OccurredAt.Before(evs[j].OccurredAt) })
			var out []string
			for _, e := range evs {
				c := in.consent(e.ID)
				out = append(out, e.Type+" "+c.Keyword+": "+c.Text)
			}
			return out
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// consent reads a stored event's consent from its payload.
func (in *instance) consent(id string) channels.Consent {
	in.t.Helper()
	db, err := sql.Open("postgres", in.cfg.Database.URL)
	if err != nil {
		in.t.Fatal(err)
	}
	defer db.Close()
	var payload []byte
	if err := db.QueryRowContext(context.Background(), "SELECT payload FROM events WHERE id = $1", id).Scan(&payload); err != nil {
		in.t.Fatalf("event %s: %v", id, err)
	}
	var e channels.Event
	if err := json.Unmarshal(payload, &e); err != nil || e.Consent == nil {
		in.t.Fatalf("event %s: consent %+v, %v", id, e.Consent, err)
	}
	return *e.Consent
}

// twilioPost posts a signed Twilio incoming-message webhook (X-Twilio-
// Signature over the URL and the sorted parameters, Twilio's "Webhooks
// security") and returns the answer.
func twilioPost(t *testing.T, u, token string, form url.Values) (int, string, string) {
	t.Helper()
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	signed := u
	for _, k := range keys {
		signed += k + form.Get(k)
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(signed))
	req, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// TestTwilioInboundStop is issue 19's acceptance for the Twilio half: an
// inbound webhook "STOP" is stored as an opt_out event of the number,
// "START" as an opt_in, through the real HTTP server, bus and inbox; the
// answer is empty TwiML, so Twilio replies nothing.
func TestTwilioInboundStop(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 5, nil)
	const token = "twilio-auth-token-e2e-0001"
	cfg.Webhooks = map[string]map[string]any{"twilio": {"provider": "twilio", "secret": token}}
	in := start(t, cfg)
	u := in.base + "/v1/webhooks/twilio/inbound"
	for i, body := range []string{"STOP", "START"} {
		form := url.Values{"MessageSid": {"SM" + strconv.Itoa(i)}, "SmsMessageSid": {"SM" + strconv.Itoa(i)}, "AccountSid": {"AC1"},
			"From": {"+15558675310"}, "To": {"+15017122661"}, "Body": {body}, "NumMedia": {"0"}, "SmsStatus": {"received"}}
		code, ctype, answer := twilioPost(t, u, token, form)
		if code != 200 || !strings.HasPrefix(ctype, "text/xml") || !strings.Contains(answer, "<Response/>") {
			t.Fatalf("%s: %d %s %q", body, code, ctype, answer)
		}
		if body == "STOP" {
			// STOP first, so START is the later fact.
			in.storedConsents("15558675310", 1)
		}
	}
	if code, _, _ := twilioPost(t, u, "not-the-auth-token-000", url.Values{"MessageSid": {"SM9"}, "From": {"+15558675310"}, "Body": {"START"}}); code != 401 {
		t.Errorf("a wrong signature: %d, want 401", code)
	}
	got := in.storedConsents("15558675310", 2)
	if diff := cmp.Diff([]string{"opt_out STOP: STOP", "opt_in START: START"}, got); diff != "" {
		t.Errorf("stored events of +15558675310 (-want +got):\n%s", diff)
	}
	in.waitApplied(2, 20*time.Second)
	// STOP then START: the number is sendable again, and its history holds
	// both changes, each with the MO's event as evidence.
	if x := in.waitState("sms", "+15558675310", channels.StateActive); x.Excluded {
		t.Errorf("after START: %+v, want not excluded", x)
	}
	in.wantAudit("sms", "+15558675310", "active>opted_out", "opted_out>active")
}

// waitState polls POST /v1/exclusions until the recipient's state is want
// (the apply runs behind the inbox) and returns the answer.
func (in *instance) waitState(channel, rcpt string, want channels.State) (x exclusionAnswer) {
	in.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var resp struct{ Results []exclusionAnswer }
		if code := in.do("POST", "/v1/exclusions", map[string]any{"channel": channel, "recipients": []string{rcpt}}, &resp); code != 200 || len(resp.Results) != 1 {
			in.t.Fatalf("exclusions of %s: %d %+v", rcpt, code, resp)
		}
		x = resp.Results[0]
		if x.State == string(want) {
			return x
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("%s: %+v, want state %s", rcpt, x, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wantAudit checks the recipient's history (GET /v1/recipients) holds
// these state changes ("from>to"), oldest first (it lists them newest
// first), each with its evidence event.
func (in *instance) wantAudit(channel, rcpt string, changes ...string) {
	in.t.Helper()
	var r struct {
		History []struct {
			From    string `json:"from"`
			To      string `json:"to"`
			EventID string `json:"event_id"`
		} `json:"history"`
	}
	if code := in.do("GET", "/v1/recipients/"+channel+"/"+url.PathEscape(rcpt), nil, &r); code != 200 {
		in.t.Fatalf("recipient %s: %d", rcpt, code)
	}
	var got []string
	for _, h := range slices.Backward(r.History) {
		got = append(got, h.From+">"+h.To)
		if h.EventID == "" {
			in.t.Errorf("%s: change %s>%s has no evidence event", rcpt, h.From, h.To)
		}
	}
	if diff := cmp.Diff(changes, got); diff != "" {
		in.t.Errorf("history of %s (-want +got):\n%s", rcpt, diff)
	}
}

// TestSMPPInboundStop is issue 19's acceptance for the SMPP half: the npm
// smpp SMSC (testdata/smsc-mo/smsc.js) delivers "Stop svp" and other
// mobile-originated messages over rebond's bind, in the GSM alphabet,
// Latin-1 and UCS-2; each is acknowledged once on the bus, and stored as
// an opt_out, opt_in or inbound event of its number.
func TestSMPPInboundStop(t *testing.T) {
	t.Parallel()
	dir, err := filepath.Abs(filepath.Join("testdata", "smsc-mo"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	steps := make(chan nodeSMSCStep, 32)
	go func() {
		for line := range testsvc.NodeScript(t, dir, "smsc.js", "smpp") {
			var s nodeSMSCStep
			if json.Unmarshal(line, &s) != nil {
				s.Step = "unreadable: " + string(line)
			}
			steps <- s
		}
		close(steps)
	}()
	next := func(want string) nodeSMSCStep {
		t.Helper()
		for {
			select {
			case s, ok := <-steps:
				if !ok {
					t.Fatalf("the node SMSC exited before %q", want)
				}
				t.Logf("smsc: %+v", s)
				if s.Step == "mo" && s.Status != 0 {
					t.Errorf("MO %q from %s answered %#x, want 0", s.Text, s.From, s.Status)
				}
				if s.Step == want {
					return s
				}
			case <-time.After(60 * time.Second):
				t.Fatalf("no %q from the node SMSC", want)
			}
		}
	}
	port := next("listening").Port

	cfg := testConfig(t, 6, nil)
	cfg.SMPP.Gateways = []smpp.Gateway{{Name: "nodesmsc", Addr: "127.0.0.1:" + strconv.Itoa(port), SystemID: "rebond", Password: "mo",
		Region: "FR", Binds: 1, ReconnectMin: 50 * time.Millisecond, ReconnectMax: 200 * time.Millisecond}}
	in := start(t, cfg)
	next("done")

	want := map[string][]string{
		"33612345678": {"opt_out STOP: Stop svp", "opt_in START: START"},
		"33612345679": {"opt_out ARRÊT: Arrêt"},
		"33612345680": {"opt_out DÉSABONNER: Désabonner"},
		"33612345682": {"opt_out ARRÊT: ARRÊT 🙏"},
		"33612345681": {"inbound : C'est à quelle heure ?"},
	}
	for number, w := range want {
		if diff := cmp.Diff(w, in.storedConsents(number, len(w))); diff != "" {
			t.Errorf("stored events of +%s (-want +got):\n%s", number, diff)
		}
	}
	in.waitApplied(6, 20*time.Second)
	// "Arrêt" opted its number out; "Stop svp" then "START" left its
	// number sendable; the question changed nothing.
	if x := in.waitState("sms", "+33612345679", channels.StateOptedOut); !x.Excluded || x.Reason != "opted_out" {
		t.Errorf("+33612345679 after Arrêt: %+v, want excluded, opted_out", x)
	}
	in.wantAudit("sms", "+33612345679", "active>opted_out")
	in.waitState("sms", "+33612345678", channels.StateActive)
	in.wantAudit("sms", "+33612345678", "active>opted_out", "opted_out>active")
	in.wantAudit("sms", "+33612345681")
}

// nodeSMSCStep is one line of testdata/smsc-mo/smsc.js.
type nodeSMSCStep struct {
	Step   string `json:"step"`
	Port   int    `json:"port"`
	From   string `json:"from"`
	Text   string `json:"text"`
	Status uint32 `json:"status"`
}

// TestSMSKeywordsConfig: sms.keywords is read from a file and the
// environment, and refused with the key at fault.
func TestSMSKeywordsConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rebond.yaml")
	yaml := "sms:\n  keywords:\n    regions: {FR: {opt_out: [\"HALTE*\"]}}\n    tenants: {clinic: {ignore: [CANCEL]}}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"REBOND_SMS_KEYWORDS_OPT_IN": "YES,OUI"}
	cfg, err := LoadConfig(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	kw, err := cfg.keywords()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ tenant, region, text, want string }{
		{"", "FR", "Halte là !", "opt_out"}, {"", "US", "Halte", "inbound"}, {"", "US", "oui", "opt_in"}, {"clinic", "US", "cancel", "inbound"}, {"", "US", "cancel", "opt_out"},
	} {
		if got := kw.Match(tt.tenant, tt.region, tt.text); string(got.Type) != tt.want {
			t.Errorf("%s %s %q: %s, want %s", tt.tenant, tt.region, tt.text, got.Type, tt.want)
		}
	}
	env["REBOND_SMS_KEYWORDS_OPT_IN"] = "GO*"
	if _, err := LoadConfig(path, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "sms.keywords.opt_in[0]") {
		t.Errorf("a lead opt-in keyword: %v", err)
	}
}

// TestBuildInboundWebhooks: every SMS webhook gets an inbound adapter,
// the ESPs none; a bad entry is refused by name.
func TestBuildInboundWebhooks(t *testing.T) {
	hooks, err := buildInboundWebhooks(map[string]map[string]any{
		"tw":     {"provider": "twilio", "secret": "auth-token-1234567890", "url": "https://r.example/v1/webhooks/tw", "tenant": "acme"},
		"kannel": {"provider": "kannel", "token": "0123456789abcdef0123"},
		"ses":    {"provider": "ses", "topic_arns": "arn:aws:sns:eu-west-1:123456789012:bounces"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range hooks {
		names = append(names, n)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"kannel", "tw"}, names); diff != "" {
		t.Errorf("inbound adapters (-want +got):\n%s", diff)
	}
	if _, err := buildInboundWebhooks(map[string]map[string]any{"k": {"provider": "kannel", "tokn": "0123456789abcdef0123"}}, nil); err == nil ||
		!strings.Contains(err.Error(), "webhooks.k:") {
		t.Errorf("a misspelt key: %v", err)
	}
}
