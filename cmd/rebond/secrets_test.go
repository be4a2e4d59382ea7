package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdminTokenScriptWritesOwnerOnly: the token `make run` generates is
// readable by its owner only, and a token an older version left 0644 is
// tightened, not regenerated.
func TestAdminTokenScriptWritesOwnerOnly(t *testing.T) {
	t.Parallel()
	script, err := filepath.Abs("../../deploy/local/secret.sh")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	run := func() {
		t.Helper()
		cmd := exec.Command("bash", script, dir, "admin-token")
		if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
			t.Fatalf("secret.sh: %v, output %q", err, out)
		}
	}
	mode := func(p string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	file := filepath.Join(dir, "admin-token")
	run()
	tok, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) < minSecretBytes {
		t.Errorf("token of %d bytes, want at least %d", len(tok), minSecretBytes)
	}
	if m := mode(file); m != 0o600 {
		t.Errorf("admin-token mode %o, want 600", m)
	}
	if m := mode(dir); m&0o077 != 0 {
		t.Errorf("data dir mode %o, readable by others", m)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	run()
	again, _ := os.ReadFile(file)
	if string(again) != string(tok) {
		t.Error("an existing token was replaced")
	}
	if m := mode(file); m != 0o600 {
		t.Errorf("an existing 0644 token stays %o, want 600", m)
	}
}

// TestShortSecretsRefused: every secret rebond checks callers with needs
// 16 bytes, at load time, so `rebond config` refuses what serve refuses;
// an SMPP password (8 octets at most, SMPP 3.4 section 5.2.1) is exempt.
func TestShortSecretsRefused(t *testing.T) {
	t.Parallel()
	long := "0123456789abcdef"
	tests := []struct {
		name, yaml, want string
	}{
		{"admin token", "admin_token: x\n", "admin_token: 1 bytes"},
		{"VERP key", "admin_token: " + long + "\nemail: {verp_secret: short}\n", "email.verp_secret: 5 bytes"},
		{"kannel token", "admin_token: " + long + "\nwebhooks: {k: {provider: kannel, token: abc}}\n", "webhooks.k.token: 3 bytes"},
		{"mailgun key", "admin_token: " + long + "\nwebhooks: {m: {provider: mailgun, signing_key: key-1}}\n", "webhooks.m.signing_key: 5 bytes"},
		{"basic auth", "admin_token: " + long + "\nwebhooks: {p: {provider: postmark, username: u, password: pw}}\n", "webhooks.p.password: 2 bytes"},
		{"header value", "admin_token: " + long + "\nwebhooks: {i: {provider: infobip, header: X-Key, header_value: v}}\n", "webhooks.i.header_value: 1 bytes"},
		{"twilio secret", "admin_token: " + long + "\nwebhooks: {tw: {provider: twilio, secret: s, url: 'https://r.example/'}}\n", "webhooks.tw.secret: 1 bytes"},
		{"example placeholder", "admin_token: " + long + "\nwebhooks: {k: {provider: kannel, token: replace-with-openssl-rand-hex-24}}\n", "webhooks.k.token: \"replace-with-openssl-rand-hex-24\" is the placeholder"},
		{"alert webhook secret", "admin_token: " + long + "\nalerts: {destinations: [{name: ops, kind: webhook, url: 'https://h.example/', secret: short}]}\n",
			"alerts.destinations[0] (ops).secret: 5 bytes"},
		{"alert webhook without a secret", "admin_token: " + long + "\nalerts: {destinations: [{name: ops, kind: webhook, url: 'https://h.example/'}]}\n",
			"alerts.destinations[0] (ops).secret: required"},
		{"15 bytes", "admin_token: 0123456789abcde\n", "admin_token: 15 bytes"},
		{"16 bytes", "admin_token: " + long + "\n", ""},
		{"SMPP password", "admin_token: " + long + "\nsmpp: {gateways: [{name: g, addr: '127.0.0.1:2775', system_id: s, password: pw, dialect: map}]}\n", ""},
		{"no admin token", "", "admin_token: required"},
		{"webhook without its secret", "admin_token: " + long + "\nwebhooks: {k: {provider: kannel}}\n", "webhooks.k"},
	}
	for _, tc := range tests {
		path := filepath.Join(t.TempDir(), "rebond.yaml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		cmd := newRootCmd(&out, &errb)
		cmd.SetArgs([]string{"config", "--config", path})
		err := cmd.Execute()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: rebond config: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: rebond config: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

// TestEmbeddedNATSPasswordFile: without a configured password, the first
// start generates one into data_dir/nats-password, readable by its owner
// only, and later starts reuse it.
func TestEmbeddedNATSPasswordFile(t *testing.T) {
	t.Parallel()
	var cfg Config
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	first, err := embeddedPassword(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) < minSecretBytes {
		t.Errorf("generated password of %d bytes", len(first))
	}
	fi, err := os.Stat(filepath.Join(cfg.DataDir, natsPasswordFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("password file mode %v, want 0600", fi.Mode().Perm())
	}
	if again, err := embeddedPassword(cfg); err != nil || again != first {
		t.Errorf("second start: %q, %v; want the first password", again, err)
	}
	cfg.NATS.EmbeddedPassword = "configured-0123456789"
	if got, _ := embeddedPassword(cfg); got != cfg.NATS.EmbeddedPassword {
		t.Errorf("configured password: got %q", got)
	}
}
