package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rebond/rebond/internal/testsvc"
)

// rebondCLI runs the root command with args.
func rebondCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := newRootCmd(&out, &errb)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// TestRulesCLI drives `rebond rules` and `rebond qualify` against a real
// database. It sets REBOND_DATABASE_URL, so it does not run in parallel.
func TestRulesCLI(t *testing.T) {
	t.Setenv("REBOND_DATABASE_URL", testsvc.Postgres(t))
	if _, err := rebondCLI(t, "migrate"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rule := file("acme.yaml", "id: email.text.acme\nchannel: email\npriority: 210\nmatch: {text: 'acme says no'}\nverdict: {outcome: soft, reason: blocked}\n")
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"rules", "create", "-f", rule, "--author", "ann"}, "published email.text.acme@1 (active)"},
		{[]string{"rules", "create", "-f", rule, "--state", "shadow"}, "published email.text.acme@2 (shadow)"},
		{[]string{"rules", "list", "--channel", "sms"}, "sms.state.1@1"},
		{[]string{"rules", "show", "email.text.acme"}, "# email.text.acme@1: operator, active, by ann"},
		{[]string{"rules", "explain", file("reply.txt", "550 5.7.1 Acme says no\n")}, "verdict: soft/blocked, decided by email.text.acme@1"},
		{[]string{"rules", "explain", "--json", file("event.json", `{"channel":"email","type":"failed","smtp":{"code":550,"status":"5.1.1"}}`)}, `"rule": "email.status.5.1.1@2"`},
		{[]string{"rules", "backtest", "--from", "2026-11-01", "--to", "2026-11-02", "-f", rule}, "0 email events replayed; 0 would change verdict"},
		{[]string{"rules", "disable", "email.text.acme"}, "published email.text.acme@3 (disabled)"},
		{[]string{"qualify", "list"}, "the queue is empty"},
	}
	for _, s := range steps {
		out, err := rebondCLI(t, s.args...)
		if err != nil || !strings.Contains(out, s.want) {
			t.Errorf("rebond %s: %v\n%s\nwant %q", strings.Join(s.args, " "), err, out, s.want)
		}
	}
	out, err := rebondCLI(t, "rules", "list", "--json")
	var list struct{ Rules []struct{ Key, State string } }
	if err != nil || json.Unmarshal([]byte(out), &list) != nil {
		t.Fatalf("list --json: %v %s", err, out)
	}
	acme := map[string]string{}
	for _, r := range list.Rules {
		if strings.HasPrefix(r.Key, "email.text.acme@") {
			acme[r.Key] = r.State
		}
	}
	if len(acme) != 1 || acme["email.text.acme@3"] != "disabled" {
		t.Errorf("list: acme versions %v, want @3 disabled only", acme)
	}
	out, err = rebondCLI(t, "rules", "show", "email.text.acme", "--json")
	var show struct{ Versions []struct{ Key, State string } }
	if err != nil || json.Unmarshal([]byte(out), &show) != nil || len(show.Versions) != 3 || show.Versions[0].State != "disabled" {
		t.Errorf("show --json: %v %s", err, out)
	}
	for _, args := range [][]string{
		{"rules", "create", "-f", rule},                                     // version 4 would come after a disabled 3: allowed, so use a conflict below
		{"rules", "show", "no.such.rule"},                                   // not found
		{"rules", "backtest", "--from", "2026-11-01", "--to", "2026-11-02"}, // nothing to try
		{"qualify", "keep", "qnothing", "--outcome", "soft", "--reason", "blocked"},
	}[1:] {
		if _, err := rebondCLI(t, args...); err == nil {
			t.Errorf("rebond %s: no error", strings.Join(args, " "))
		}
	}
}

func TestSampleOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data, as, format string
		kind                   string
	}{
		{"event", `  {"channel":"email","type":"failed"}`, "", "", "event"},
		{"one reply line", "550 5.1.1 user unknown\n", "", "", "reply"},
		{"multi-line reply", "550-5.1.1 first\r\n550 5.1.1 second", "", "", "reply"},
		{"a mail", "From: MAILER-DAEMON\r\nSubject: failure\r\n\r\n550 user unknown", "", "", "mail"},
		{"digits but no reply", "5501 things", "", "", "mail"},
		{"receipt by format", "id:1 stat:DELIVRD", "", "smpp-text", "receipt"},
		{"forced", "550 x", "mail", "", "mail"},
	}
	for _, tc := range tests {
		s, err := sampleOf([]byte(tc.data), tc.as, tc.format, "map", "")
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		kind := map[bool]string{len(s.Event) > 0: "event", s.Reply != "": "reply", s.Mail != "": "mail", s.Receipt != nil: "receipt"}[true]
		if kind != tc.kind {
			t.Errorf("%s: read as %s, want %s", tc.name, kind, tc.kind)
		}
	}
	if _, err := sampleOf([]byte("x"), "fax", "", "", ""); err == nil {
		t.Error("--as fax must be refused")
	}
}
