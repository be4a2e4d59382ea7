package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/rebond/rebond/configs"
)

// configTestFile writes a configuration file for a test and returns its path.
func configTestFile(t testing.TB, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rebond.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// printConfig loads a configuration from path and vars as `rebond config`
// does, and returns what it prints.
func printConfig(t testing.TB, path string, vars map[string]string, asJSON bool) []byte {
	t.Helper()
	cfg, src, err := loadConfig(path, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	maskSecrets(&cfg)
	var out bytes.Buffer
	if err := writeConfig(&out, cfg, src, asJSON); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// lookup finds the value node at a dotted path of a YAML document.
func lookup(t testing.TB, doc *yaml.Node, path string) *yaml.Node {
	t.Helper()
	n := doc.Content[0]
	for _, seg := range strings.Split(path, ".") {
		var next *yaml.Node
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			t.Fatalf("%s: no key %s", path, seg)
		}
		n = next
	}
	return n
}

// leafPaths lists the dotted paths of the scalars and lists of a YAML
// tree (a list is one key, as the environment sees it).
func leafPaths(v any, prefix string, out map[string]bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		out[prefix] = true
		return
	}
	for k, sub := range m {
		leafPaths(sub, strings.TrimPrefix(prefix+"."+k, "."), out)
	}
}

// TestConfigPrintsTheFileKeys: `rebond config` prints valid YAML with the
// keys of configs/rebond.yaml (never a Go field name), every one of them,
// in its units, and that output loads back to the same configuration.
func TestConfigPrintsTheFileKeys(t *testing.T) {
	t.Parallel()
	path := configTestFile(t, "http: {addr: 127.0.0.1:9999}\npolicy: {channels: {email: {reasons: {filtered: {quarantine_for: 1440h}}}}}\n"+
		"smpp: {gateways: [{name: acme, addr: 127.0.0.1:2775, system_id: rebond, password: pw, dialect: map, enquire_link: 90s}]}\n")
	vars := map[string]string{"REBOND_WORKERS_FETCH_WAIT": "1500ms", "REBOND_SMTP_DOMAINS": "b.example,c.example"}
	out := printConfig(t, path, vars, false)

	var printed, defaults map[string]any
	if err := yaml.Unmarshal(out, &printed); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, out)
	}
	def, err := configs.Files.ReadFile("rebond.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(def, &defaults); err != nil {
		t.Fatal(err)
	}
	want, got := map[string]bool{}, map[string]bool{}
	leafPaths(defaults, "", want)
	leafPaths(printed, "", got)
	for k := range want {
		if !got[k] {
			t.Errorf("key %s of configs/rebond.yaml not printed", k)
		}
	}
	for k := range got {
		if !want[k] && !strings.HasPrefix(k, "policy.channels.email.reasons.filtered.") && k != "smpp.gateways" {
			t.Errorf("printed key %s is not one of configs/rebond.yaml", k)
		}
	}
	for _, gofield := range []string{"MaxAge", "RedisURL", "redis_url", "1h0m0s"} {
		if bytes.Contains(out, []byte(gofield)) {
			t.Errorf("output has %s", gofield)
		}
	}

	var doc yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"nats.max_age": "168h", "nats.duplicates": "2m", "workers.fetch_wait": "1.5s", "workers.retention": "0s",
		"workers.rejected_retention": "720h", "nats.max_bytes": "8589934592", "http.addr": "127.0.0.1:9999",
		"nats.usage_alert": "0.8", "policy.channels.email.reasons.filtered.quarantine_for": "1440h",
	} {
		if got := lookup(t, &doc, path).Value; got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}

	// Printed, then read back as a file: the same configuration.
	orig, _, err := loadConfig(path, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	maskSecrets(&orig)
	again, _, err := loadConfig(configTestFile(t, string(out)), func(string) string { return "" })
	if err != nil {
		t.Fatalf("the output does not load: %v", err)
	}
	if diff := cmp.Diff(orig, again); diff != "" {
		t.Errorf("printed and loaded back (-before +after):\n%s", diff)
	}
}

// TestConfigSources: each value says where it was set, the variable by
// its name; a map entry from one place says it once, on its line.
func TestConfigSources(t *testing.T) {
	t.Parallel()
	path := configTestFile(t, "admin_token: file-token-0123456789\nhttp: {addr: 127.0.0.1:9999}\n"+
		"webhooks: {kannel: {provider: kannel, dialect: map}, mg: {provider: mailgun, signing_key: mailgun-key-0123456789}}\n"+
		"smtp: {tenants: {bounces.acme.example: acme}}\n")
	vars := map[string]string{
		"REBOND_ADMIN_TOKEN":           "env-token-0123456789",
		"REBOND_WEBHOOKS_KANNEL_TOKEN": "kannel-token-0123456789",
		"REBOND_WEBHOOKS":              `{"vonage": {"provider": "vonage", "secret": "vonage-secret-0123456789"}}`,
		"REBOND_NATS_MAX_AGE":          "24h",
	}
	out := printConfig(t, path, vars, false)
	var doc yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, out)
	}
	file := "# file " + path
	for key, want := range map[string]string{
		"admin_token":                       "# env REBOND_ADMIN_TOKEN",
		"nats.max_age":                      "# env REBOND_NATS_MAX_AGE",
		"http.addr":                         file,
		"http.max_batch":                    "# default",
		"webhooks.kannel.token":             "# env REBOND_WEBHOOKS_KANNEL_TOKEN",
		"webhooks.kannel.dialect":           file,
		"webhooks.mg":                       file,
		"webhooks.vonage":                   "# env REBOND_WEBHOOKS",
		"smtp.tenants.bounces.acme.example": file,
		"policy.channels.sms.retry":         "# default",
		"alerts.channels.email.hard_rate":   "# default",
	} {
		var n *yaml.Node
		if strings.HasPrefix(key, "smtp.tenants.") {
			n = lookup(t, &doc, "smtp.tenants")
			n = n.Content[1]
		} else {
			n = lookup(t, &doc, key)
		}
		if n.LineComment != want {
			t.Errorf("%s: comment %q, want %q", key, n.LineComment, want)
		}
	}
	if n := lookup(t, &doc, "webhooks.mg"); n.Style != yaml.FlowStyle {
		t.Errorf("webhooks.mg, all from the file, is not on one line:\n%s", out)
	}
	for _, secret := range []string{"file-token", "env-token", "kannel-token", "mailgun-key", "vonage-secret"} {
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("output shows %s", secret)
		}
	}
}

// TestConfigJSON: --json has the same keys and units, and the sources
// apart.
func TestConfigJSON(t *testing.T) {
	t.Parallel()
	out := printConfig(t, "", map[string]string{"REBOND_ADMIN_TOKEN": "env-token-0123456789"}, true)
	var got struct {
		Config  map[string]any    `json:"config"`
		Sources map[string]string `json:"sources"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if nats, _ := got.Config["nats"].(map[string]any); nats["max_age"] != "168h" {
		t.Errorf("nats.max_age = %v, want 168h", nats["max_age"])
	}
	if got.Config["admin_token"] != masked {
		t.Errorf("admin_token = %v", got.Config["admin_token"])
	}
	for key, want := range map[string]string{"admin_token": "env REBOND_ADMIN_TOKEN", "http.addr": "default",
		"policy.channels.email.reasons.mailbox_full.quarantine_for": "default"} {
		if got.Sources[key] != want {
			t.Errorf("sources[%s] = %q, want %q", key, got.Sources[key], want)
		}
	}
}

// TestConfigRefusedIsPrinted: a configuration serve refuses is printed
// all the same, and the command fails saying why.
func TestConfigRefusedIsPrinted(t *testing.T) {
	t.Parallel()
	path := configTestFile(t, "admin_token: short\nnats: {max_age: 3h}\n")
	var out, errb bytes.Buffer
	cmd := newRootCmd(&out, &errb)
	cmd.SetArgs([]string{"config", "--config", path})
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "admin_token: 5 bytes") {
		t.Errorf("rebond config: %v, want the short admin token refused", err)
	}
	if !strings.Contains(out.String(), "max_age: 3h # file "+path) {
		t.Errorf("the refused configuration is not printed:\n%s", out.String())
	}
}

func TestConfigFormatDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   time.Duration
		want string
	}{
		{"zero", 0, "0s"},
		{"milliseconds", 200 * time.Millisecond, "200ms"},
		{"seconds", 30 * time.Second, "30s"},
		{"minutes", 5 * time.Minute, "5m"},
		{"minutes and seconds", 90 * time.Second, "1m30s"},
		{"hours", 720 * time.Hour, "720h"},
		{"hours and minutes", 90 * time.Minute, "1h30m"},
		{"hours and seconds", time.Hour + 30*time.Second, "1h0m30s"},
		{"negative", -time.Hour, "-1h"},
	}
	for _, tc := range tests {
		got := formatDuration(tc.in)
		if got != tc.want {
			t.Errorf("%s: formatDuration(%v) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != tc.in {
			t.Errorf("%s: %q parses to %v, %v", tc.name, got, back, err)
		}
	}
}
