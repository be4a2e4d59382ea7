package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigMasksEverySecret runs `rebond config` on a configuration
// holding a secret in every place one can be: none may appear in its
// output, and what is not secret (user names, hosts) stays readable.
func TestConfigMasksEverySecret(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rebond.yaml")
	yaml := `
admin_token: admin-secret-0123456789
database: {url: "postgres://pguser:pg-secret-1@db1:5432,db2:5432/rebond?sslmode=disable"}
redis: {url: "redis://:redis-secret-2@cache:6379/0"}
nats: {url: "nats://nuser:nats-secret-3@n1:4222,nats://nuser:nats-secret-4@n2:4222,tls://nats-secret-5@n3:4222"}
email: {verp_secret: verp-secret-6789012345, tenant_secrets: {acme: tenant-secret-0123456789}}
smpp:
  gateways:
    - {name: acme, addr: 127.0.0.1:2775, system_id: rebond, password: smpp7, dialect: map}
webhooks:
  mg: {provider: mailgun, signing_key: mailgun-secret-8-0123456789}
alerts:
  destinations:
    - {name: ops, kind: webhook, url: "https://hooks.example/rebond?token=hook-secret-9", secret: alert-secret-0123456789}
    - {name: chat, kind: slack, url: "https://hooks.slack.example/services/T0/B0/slack-secret-10"}
    - {name: mail, kind: email, smtp: {addr: "relay.example:587", username: alerts, password: smtp-secret-11, from: "rebond@example.org", to: [ops@example.org]}}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	cmd := newRootCmd(&out, &errb)
	cmd.SetArgs([]string{"config", "--config", path})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("rebond config: %v (%s)", err, errb.String())
	}
	for _, secret := range []string{"admin-secret", "pg-secret", "redis-secret", "nats-secret", "verp-secret", "tenant-secret", "smpp7", "mailgun-secret",
		"hook-secret", "alert-secret", "slack-secret", "smtp-secret"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("rebond config prints %s", secret)
		}
	}
	for _, kept := range []string{"pguser", "db2:5432", "cache:6379", "nuser", "n2:4222", "n3:4222", "hooks.slack.example", "relay.example:587", "ops@example.org"} {
		if !strings.Contains(out.String(), kept) {
			t.Errorf("rebond config hides %s, which is no secret", kept)
		}
	}
}

func TestMaskURLs(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"list", "nats://a:x1@h1:4222,nats://b:x2@h2:4222", "nats://a:%2A%2A%2A%2A%2A%2A%2A%2A@h1:4222,nats://b:%2A%2A%2A%2A%2A%2A%2A%2A@h2:4222"},
		{"NATS token", "nats://x1@h1", "nats://%2A%2A%2A%2A%2A%2A%2A%2A@h1"},
		{"redis user only", "redis://u@h1", "redis://u@h1"},
		{"unescaped #", "redis://:pa#x1@h/0", "redis://:********@h/0"},
		{"unescaped /", "redis://u:12/x1@h/0", "redis://u:********@h/0"},
		{"libpq hosts", "host=h1,h2 password=x1 dbname=d", "host=h1,h2 password=******** dbname=d"},
		{"none", "redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"},
	}
	for _, tc := range tests {
		if got := maskURLs(tc.in); got != tc.want {
			t.Errorf("%s: maskURLs(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestConfigFromEnvironment: REBOND_CONFIG names the file where no flag
// can be passed (make run CONFIG=..., a container), and --config wins
// over it. Not parallel: it sets the process environment.
func TestConfigFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	write := func(name, addr string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("admin_token: admin-secret-0123456789\nhttp: {addr: \""+addr+"\"}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fromEnv, fromFlag := write("env.yaml", "127.0.0.1:18181"), write("flag.yaml", "127.0.0.1:18282")
	t.Setenv("REBOND_CONFIG", fromEnv)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"config"}, "127.0.0.1:18181"},
		{[]string{"config", "--config", fromFlag}, "127.0.0.1:18282"},
	} {
		var out, errb bytes.Buffer
		cmd := newRootCmd(&out, &errb)
		cmd.SetArgs(tc.args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("rebond %v: %v (%s)", tc.args, err, errb.String())
		}
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("rebond %v: the configuration does not show %s:\n%s", tc.args, tc.want, out.String())
		}
	}
}
