package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/configs"
)

// TestConfigWebhooksFromEnvironment: a webhook can be set up from the
// environment alone (REBOND_WEBHOOKS holds a YAML or JSON map), and each of
// its keys, listed or not, from REBOND_WEBHOOKS_<NAME>_<KEY>, which wins.
func TestConfigWebhooksFromEnvironment(t *testing.T) {
	t.Parallel()
	const token = "kannel-token-0123456789"
	tests := []struct {
		name    string
		file    string
		vars    map[string]string
		want    map[string]map[string]any
		wantErr string
	}{
		{
			name: "JSON",
			vars: map[string]string{"REBOND_WEBHOOKS": `{"kannel": {"provider": "kannel", "token": "` + token + `", "dialect": "map"}}`},
			want: map[string]map[string]any{"kannel": {"provider": "kannel", "token": token, "dialect": "map"}},
		},
		{
			name: "YAML, the secret in a variable of its own",
			vars: map[string]string{"REBOND_WEBHOOKS": "{kannel: {provider: kannel, dialect: map}}", "REBOND_WEBHOOKS_KANNEL_TOKEN": token},
			want: map[string]map[string]any{"kannel": {"provider": "kannel", "token": token, "dialect": "map"}},
		},
		{
			name: "a name with '-' and '_'",
			vars: map[string]string{"REBOND_WEBHOOKS": "{my-sms_gw: {provider: kannel}}", "REBOND_WEBHOOKS_MY_SMS_GW_TOKEN": token},
			want: map[string]map[string]any{"my-sms_gw": {"provider": "kannel", "token": token}},
		},
		{
			name: "the variable of a key wins over the map",
			vars: map[string]string{"REBOND_WEBHOOKS": "{kannel: {provider: kannel, token: map-token-0123456789}}", "REBOND_WEBHOOKS_KANNEL_TOKEN": token},
			want: map[string]map[string]any{"kannel": {"provider": "kannel", "token": token}},
		},
		{
			name: "merged over the file, key by key",
			file: "webhooks: {kannel: {provider: kannel, token: file-token-0123456789, dialect: map}, mg: {provider: mailgun, signing_key: mailgun-key-0123456789}}\n",
			vars: map[string]string{"REBOND_WEBHOOKS": "{kannel: {region: GB}, tw: {provider: twilio, secret: twilio-secret-0123456789, url: 'https://r.example/v1/webhooks/tw'}}",
				"REBOND_WEBHOOKS_KANNEL_TOKEN": token},
			want: map[string]map[string]any{
				"kannel": {"provider": "kannel", "token": token, "dialect": "map", "region": "GB"},
				"mg":     {"provider": "mailgun", "signing_key": "mailgun-key-0123456789"},
				"tw":     {"provider": "twilio", "secret": "twilio-secret-0123456789", "url": "https://r.example/v1/webhooks/tw"},
			},
		},
		{
			name: "a list key from its variable",
			vars: map[string]string{"REBOND_WEBHOOKS": "{ses: {provider: ses}}", "REBOND_WEBHOOKS_SES_TOPIC_ARNS": "arn:aws:sns:eu-west-1:123456789012:a,arn:aws:sns:eu-west-1:123456789012:b"},
			want: map[string]map[string]any{"ses": {"provider": "ses", "topic_arns": "arn:aws:sns:eu-west-1:123456789012:a,arn:aws:sns:eu-west-1:123456789012:b"}},
		},
		{
			name:    "not a map",
			vars:    map[string]string{"REBOND_WEBHOOKS": "kannel"},
			wantErr: "REBOND_WEBHOOKS: not a YAML or JSON map",
		},
		{
			name:    "a secret too short",
			vars:    map[string]string{"REBOND_WEBHOOKS": "{kannel: {provider: kannel}}", "REBOND_WEBHOOKS_KANNEL_TOKEN": "short"},
			wantErr: "webhooks.kannel.token: 5 bytes",
		},
	}
	for _, tc := range tests {
		path := ""
		if tc.file != "" {
			path = configTestFile(t, tc.file)
		}
		vars := map[string]string{"REBOND_ADMIN_TOKEN": "admin-token-0123456789"}
		for k, v := range tc.vars {
			vars[k] = v
		}
		cfg, _, err := loadConfig(path, func(k string) string { return vars[k] })
		if err == nil {
			err = checkServe(cfg)
		}
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, cfg.Webhooks); diff != "" {
			t.Errorf("%s: webhooks (-want +got):\n%s", tc.name, diff)
		}
		hooks, err := buildWebhooks(cfg.Webhooks)
		if err != nil || len(hooks) != len(tc.want) {
			t.Errorf("%s: built %d webhooks, %v; want %d", tc.name, len(hooks), err, len(tc.want))
		}
	}
}

// TestConfigMapsFromEnvironment: every key whose default is an empty map
// takes a YAML map in its variable (deploy/check counts them as keys).
func TestConfigMapsFromEnvironment(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"REBOND_SMTP_TENANTS":         "{bounces.acme.example: acme}",
		"REBOND_EMAIL_TENANT_SECRETS": `{acme: "acme-secret-0123456789"}`,
		"REBOND_SMS_REGIONS":          "{acme: FR}",
	}
	cfg, err := LoadConfig("", func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTP.Tenants["bounces.acme.example"] != "acme" || cfg.Email.TenantSecrets["acme"] != "acme-secret-0123456789" || cfg.SMS.Regions["acme"] != "FR" {
		t.Errorf("tenants %v, secrets %v, regions %v", cfg.SMTP.Tenants, cfg.Email.TenantSecrets, cfg.SMS.Regions)
	}
}

// TestConfigWebhookKeys: every key the adapters read has its variable.
func TestConfigWebhookKeys(t *testing.T) {
	t.Parallel()
	keys := webhookKeys()
	for _, k := range []string{"provider", "tenant", "region", "token", "secret", "signing_key", "public_key", "topic_arns", "header_value", "app_key", "max_age", "max_skew"} {
		if !slices.Contains(keys, k) {
			t.Errorf("webhookKeys() lacks %s: %v", k, keys)
		}
	}
}

// TestConfigWebhooksExample: the webhooks example of configs/rebond.yaml,
// uncommented, is refused while it holds the placeholder secrets, and is a
// configuration serve accepts once they are replaced.
func TestConfigWebhooksExample(t *testing.T) {
	t.Parallel()
	def, err := configs.Files.ReadFile("rebond.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var example []string
	in := false
	for sc := bufio.NewScanner(bytes.NewReader(def)); sc.Scan(); {
		line := sc.Text()
		switch {
		case line == "#   webhooks:":
			in = true
		case in && strings.HasPrefix(line, "#     "):
		default:
			in = false
			continue
		}
		example = append(example, strings.TrimPrefix(line, "#   "))
	}
	if len(example) < 6 {
		t.Fatalf("no webhooks example in configs/rebond.yaml: %q", example)
	}
	path := filepath.Join(t.TempDir(), "example.yaml")
	body := "admin_token: admin-token-0123456789\n" + strings.Join(example, "\n") + "\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err := LoadConfig(path, func(string) string { return "" }); err == nil {
		if err := checkServe(cfg); err == nil || !strings.Contains(err.Error(), "placeholder") {
			t.Errorf("serve accepts the example's placeholder secrets: %v", err)
		}
	}
	body = strings.ReplaceAll(body, placeholderPrefix, "our-own-")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path, func(string) string { return "" })
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if err := checkServe(cfg); err != nil {
		t.Fatalf("serve refuses the example: %v\n%s", err, body)
	}
	hooks, err := buildWebhooks(cfg.Webhooks)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ses", "sendgrid", "mailgun", "twilio", "kannel"} {
		if hooks[name] == nil {
			t.Errorf("the example has no webhook %s", name)
		}
	}
}
