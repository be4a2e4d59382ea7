package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBuildWebhooks(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]map[string]any
		want string
	}{
		{"kannel", map[string]map[string]any{"kannel": {"provider": "kannel", "token": "0123456789abcdef0123", "dialect": "map"}}, ""},
		{"twilio", map[string]map[string]any{"tw": {"provider": "twilio", "secret": "auth-token-1234567890", "url": "https://r.example/v1/webhooks/tw"}}, ""},
		{"ses", map[string]map[string]any{"ses": {"provider": "ses", "topic_arns": "arn:aws:sns:eu-west-1:123456789012:bounces"}}, ""},
		{"mailgun", map[string]map[string]any{"mg": {"provider": "mailgun", "signing_key": "key-0123456789abcdef", "max_age": "30m"}}, ""},
		{"ses without topics", map[string]map[string]any{"ses": {"provider": "ses"}}, "webhooks.ses:"},
		{"unknown provider", map[string]map[string]any{"x": {"provider": "pigeon"}}, `webhooks.x.provider: "pigeon" is not one of`},
		{"no provider", map[string]map[string]any{"x": {"token": "0123456789abcdef0123"}}, `webhooks.x.provider: ""`},
		{"misspelt key", map[string]map[string]any{"k": {"provider": "kannel", "tokn": "0123456789abcdef0123"}}, "webhooks.k:"},
		{"no secret", map[string]map[string]any{"k": {"provider": "kannel"}}, "webhooks.k:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hooks, err := buildWebhooks(tc.cfg)
			if tc.want == "" {
				if err != nil || len(hooks) != len(tc.cfg) {
					t.Fatalf("%d hooks, %v", len(hooks), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestWebhookDeliveredThreeTimes: a gateway that calls its dlr-url three
// times for one receipt (it got no answer in time) counts once, through
// the real HTTP server, bus, inbox and apply path.
func TestWebhookDeliveredThreeTimes(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 14, nil)
	const token = "kannel-shared-token-0123"
	cfg.Webhooks = map[string]map[string]any{"kannel": {"provider": "kannel", "token": token, "dialect": "map"}}
	in := start(t, cfg)
	now := time.Now().UTC().Truncate(time.Second)
	sent := smsEv("sent", "5F3A1B09", "+447700900123", "dlr", now.Add(-time.Minute), "")
	if code := in.do("POST", "/v1/events", sent, nil); code != 202 {
		t.Fatalf("sent: %d", code)
	}
	q := url.Values{"token": {token}, "type": {"2"}, "fid": {"5F3A1B09"}, "from": {"447700900123"},
		"ts": {fmt.Sprint(now.Unix())}, "smsc": {"nodesmsc"},
		"answer": {"id:5F3A1B09 sub:001 dlvrd:000 submit date:2611221200 done date:2611221201 stat:UNDELIV err:001 text:hi"}}
	for i := range 3 {
		resp, err := http.Get(in.base + "/v1/webhooks/kannel?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("call %d: %d", i+1, resp.StatusCode)
		}
	}
	bad := url.Values{"token": {"not-the-token-at-all-0"}, "type": {"1"}, "fid": {"X"}, "from": {"447700900123"}}
	if resp, err := http.Get(in.base + "/v1/webhooks/kannel?" + bad.Encode()); err != nil || resp.StatusCode != 401 {
		t.Fatalf("a wrong token: %v %v", resp.StatusCode, err)
	}
	in.waitApplied(2, 30*time.Second)
	time.Sleep(500 * time.Millisecond)
	if applied, pending := in.count(); applied != 2 || pending != 0 {
		t.Fatalf("%d applied, %d pending; want the sent event and one receipt", applied, pending)
	}
	var rates ratesResponse
	in.do("GET", "/v1/rates?channel=sms&campaign=dlr", nil, &rates)
	if len(rates.Rows) != 1 || rates.Rows[0].Sent != 1 || rates.Rows[0].Hard != 1 {
		t.Fatalf("rates %+v", rates.Rows)
	}

	// The README's dlr-url: Kannel's type 8 and type 1 callbacks name the
	// sender's ref and campaign, and may come before the sender's "sent".
	// They join that message: no send of their own, no empty campaign.
	for _, q := range []url.Values{
		{"type": {"8"}, "fid": {"70001"}, "answer": {"ACK/"}},
		{"type": {"1"}, "fid": {"70001"}, "answer": {"id:70001 sub:001 dlvrd:001 submit date:2612071453 done date:2612071453 stat:DELIVRD err:000 text:"}},
	} {
		q.Set("token", token)
		q.Set("ref", "shop-9")
		q.Set("campaign", "readme")
		q.Set("from", "447700900124")
		q.Set("ts", now.Format("2006-01-02+15:04:05"))
		resp, err := http.Get(in.base + "/v1/webhooks/kannel?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("type %s: %d", q.Get("type"), resp.StatusCode)
		}
	}
	in.waitApplied(4, 30*time.Second)
	if code := in.do("POST", "/v1/events", smsEv("sent", "shop-9", "+447700900124", "readme", now.Add(-time.Minute), ""), nil); code != 202 {
		t.Fatalf("sent: %d", code)
	}
	in.waitApplied(5, 30*time.Second)
	var all ratesResponse
	in.do("GET", "/v1/rates?channel=sms&group_by=campaign", nil, &all)
	got := map[string]string{}
	for _, r := range all.Rows {
		got[r.Campaign] = fmt.Sprintf("sent=%d delivered=%d hard=%d", r.Sent, r.Delivered, r.Hard)
	}
	want := map[string]string{"dlr": "sent=1 delivered=0 hard=1", "readme": "sent=1 delivered=1 hard=0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rates by campaign (-want +got):\n%s", diff)
	}
}

func TestSMPPGatewaysFromAFile(t *testing.T) {
	path := t.TempDir() + "/rebond.yaml"
	yaml := "smpp:\n  gateways:\n    - {name: acme, addr: 127.0.0.1:2775, system_id: rebond, password: s3cret, bind_mode: transceiver, binds: 2, dialect: map, enquire_link: 15s}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.SMPP.Gateways) != 1 {
		t.Fatalf("gateways = %+v", cfg.SMPP.Gateways)
	}
	g := cfg.SMPP.Gateways[0]
	if g.Name != "acme" || g.Binds != 2 || g.Dialect != "map" || g.EnquireLink != 15*time.Second || string(g.BindMode) != "transceiver" {
		t.Errorf("gateway = %+v", g)
	}
	if err := cfg.SMPP.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	maskSecrets(&cfg)
	if cfg.SMPP.Gateways[0].Password == "s3cret" {
		t.Error("rebond config would print the SMPP password")
	}
}

func TestMaskDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:pw@h/db":                    "postgres://u:%2A%2A%2A%2A%2A%2A%2A%2A@h/db",
		"postgres://u@h/db?password=pw&sslmode=x": "postgres://u@h/db?password=%2A%2A%2A%2A%2A%2A%2A%2A&sslmode=x",
		"host=h user=u password=pw dbname=d":      "host=h user=u password=******** dbname=d",
		"host=h password='p w' dbname=d":          "host=h password=******** dbname=d",
		"redis://127.0.0.1:6379/0":                "redis://127.0.0.1:6379/0",
	} {
		if got := maskDSN(in); got != want || strings.Contains(got, "pw") {
			t.Errorf("maskDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestConfigCommandRefusesWhatServeRefuses: `rebond config` runs serve's
// checks, so an SMPP password longer than SMPP 3.4's 8 octets (section
// 4.1.1) fails it instead of printing a configuration serve will not start.
func TestConfigCommandRefusesWhatServeRefuses(t *testing.T) {
	dir := t.TempDir()
	for i, tt := range []struct{ password, wantErr string }{
		{"s3cret", ""},
		{"twelve-chars", "password"},
	} {
		// Not named after the password: the output names the file.
		path := fmt.Sprintf("%s/rebond-%d.yaml", dir, i)
		// A configuration serve accepts but for the password: serve needs
		// an admin token of at least 16 bytes too.
		yaml := "admin_token: config-test-token-0123456789\nsmpp:\n  gateways:\n    - {name: acme, addr: 127.0.0.1:2775, system_id: rebond, password: " + tt.password + "}\n"
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		root := newRootCmd(&out, &errb)
		root.SetArgs([]string{"--config", path, "config"})
		root.SilenceUsage, root.SilenceErrors = true, true
		err := root.Execute()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("password %q: %v", tt.password, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("password %q: error %v, want one naming %s", tt.password, err, tt.wantErr)
		}
		if strings.Contains(out.String(), tt.password) {
			t.Errorf("password %q printed", tt.password)
		}
	}
}
