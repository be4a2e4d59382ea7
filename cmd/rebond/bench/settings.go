package bench

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/email"
	"github.com/rebond/rebond/store"
)

// DefaultTenant is the tenant the bench's data belongs to unless --tenant
// names another: a tenant of its own keeps its campaigns off the default
// tenant's rates and dashboard, and lets the cleanup delete all of it.
const DefaultTenant = "bench"

// Settings are what the bench takes from rebond's configuration, which
// only cmd/rebond reads (it loads them once the flags are parsed).
type Settings struct {
	// AdminToken is the configuration's admin_token (REBOND_ADMIN_TOKEN).
	AdminToken string
	// DataDir is data_dir, where `make run` writes admin-token.
	DataDir string
	// Database is where the cleanup deletes the bench tenant's data.
	Database store.Config
	// Keys are the tenants' bounce keys (email.verp_secret for the
	// default tenant, email.tenant_secrets for the others), which sign
	// the bounce mails sent with --smtp.
	Keys map[string]string
	// BounceTenants maps a bounce domain to its tenant (smtp.tenants;
	// unmapped: the default tenant).
	BounceTenants map[string]string
	// GatewayTenants maps an SMPP gateway's addr to the tenant of its
	// receipts (smpp.gateways; empty: the default tenant).
	GatewayTenants map[string]string
}

// adminTokenFile is the file `make run` writes the admin token to, in
// data_dir (deploy/local/admin-token.sh).
const adminTokenFile = "admin-token"

// resolveToken finds the admin token: --token, else the configuration's
// admin_token (REBOND_ADMIN_TOKEN), else data_dir/admin-token. It says
// where it found it, for the run's first line.
func resolveToken(flag string, s Settings) (token, from string, err error) {
	switch {
	case flag != "":
		return flag, "--token", nil
	case s.AdminToken != "":
		return s.AdminToken, "admin_token (REBOND_ADMIN_TOKEN)", nil
	}
	path := filepath.Join(s.DataDir, adminTokenFile)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", "", fmt.Errorf("no admin token: pass --token, set REBOND_ADMIN_TOKEN, or start rebond with make run, which writes %s", path)
	case err != nil:
		return "", "", fmt.Errorf("admin token: %w", err)
	}
	token = strings.TrimSpace(string(b))
	if token == "" {
		return "", "", fmt.Errorf("admin token: %s is empty", path)
	}
	return token, path, nil
}

// checkRoutes refuses side channels whose events the server would give
// another tenant than the bench's (by the same configuration): bounce
// mails to a domain of another tenant, receipts over a gateway of
// another tenant. Those would land in that tenant's data and never join
// the bench's sends. An SMSC address no gateway names is not checked (the
// server may run another configuration).
func checkRoutes(c Config, s Settings) error {
	if c.SMTPAddr != "" {
		if t := orDefault(s.BounceTenants[c.SMTPDomain]); t != c.Tenant {
			return fmt.Errorf("--smtp-domain %s receives tenant %s's bounces, not the bench's (%s): map it in smtp.tenants ({%s: %s}) or pass --tenant %s",
				c.SMTPDomain, t, c.Tenant, c.SMTPDomain, c.Tenant, t)
		}
	}
	if c.SMPPListen != "" {
		if t, ok := s.GatewayTenants[c.SMPPListen]; ok && orDefault(t) != c.Tenant {
			return fmt.Errorf("the SMPP gateway at %s gives its receipts to tenant %s, not the bench's (%s): set its smpp.gateways[].tenant to %s",
				c.SMPPListen, orDefault(t), c.Tenant, c.Tenant)
		}
	}
	return nil
}

// signature is the key that signs the tenant's bounce mails, as its
// sender would sign them (none when the configuration has no key).
func (s Settings) signature(tenant string) email.Signature {
	if k := s.Keys[tenant]; k != "" {
		return email.Signature{Secret: []byte(k)}
	}
	return email.Signature{}
}

func orDefault(tenant string) string {
	if tenant == "" {
		return channels.DefaultTenant
	}
	return tenant
}
