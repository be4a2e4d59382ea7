package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResolveToken: --token first, then the configuration's admin_token,
// then data_dir/admin-token as make run writes it; the answer says which.
func TestResolveToken(t *testing.T) {
	t.Parallel()
	withFile := t.TempDir()
	if err := os.WriteFile(filepath.Join(withFile, "admin-token"), []byte("from-the-file-0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "admin-token"), []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, flag, config, dir string
		token, from, err        string
	}{
		{name: "flag wins", flag: "flag-token", config: "config-token", dir: withFile, token: "flag-token", from: "--token"},
		{name: "configuration", config: "config-token", dir: withFile, token: "config-token", from: "admin_token (REBOND_ADMIN_TOKEN)"},
		{name: "make run's file", dir: withFile, token: "from-the-file-0123", from: filepath.Join(withFile, "admin-token")},
		{name: "no file", dir: t.TempDir(), err: "no admin token: pass --token, set REBOND_ADMIN_TOKEN, or start rebond with make run"},
		{name: "empty file", dir: empty, err: "is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			token, from, err := resolveToken(c.flag, Settings{AdminToken: c.config, DataDir: c.dir})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil || token != c.token || from != c.from {
				t.Errorf("%q from %q (%v), want %q from %q", token, from, err, c.token, c.from)
			}
		})
	}
}

// TestCheckRoutes: bounce mails and receipts must reach the bench's
// tenant, or they would never join its sends.
func TestCheckRoutes(t *testing.T) {
	t.Parallel()
	s := Settings{BounceTenants: map[string]string{"b.example": "bench"},
		GatewayTenants: map[string]string{"127.0.0.1:2776": "bench", "127.0.0.1:2777": ""}}
	for _, c := range []struct {
		name string
		c    Config
		err  string
	}{
		{name: "neither", c: Config{Tenant: "bench"}},
		{name: "bench's domain", c: Config{Tenant: "bench", SMTPAddr: "x:25", SMTPDomain: "b.example"}},
		{name: "default tenant's domain", c: Config{Tenant: "bench", SMTPAddr: "x:25", SMTPDomain: "d.example"},
			err: "--smtp-domain d.example receives tenant default's bounces"},
		{name: "bench's gateway", c: Config{Tenant: "bench", SMPPListen: "127.0.0.1:2776"}},
		{name: "default tenant's gateway", c: Config{Tenant: "bench", SMPPListen: "127.0.0.1:2777"},
			err: "gives its receipts to tenant default"},
		{name: "a gateway of another configuration", c: Config{Tenant: "bench", SMPPListen: "127.0.0.1:9"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkRoutes(c.c, s)
			if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
				t.Errorf("error %v, want %q", err, c.err)
			}
		})
	}
}
