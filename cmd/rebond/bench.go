package main

import (
	"maps"
	"os"

	"github.com/spf13/cobra"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/cmd/rebond/bench"
)

// newBenchCmd mounts the load generator (package bench).
func newBenchCmd(g *globals) *cobra.Command {
	return bench.NewCommand(g.stdout, g.stderr, g.benchSettings)
}

// benchSettings is what the bench takes from the configuration: the admin
// token and where make run keeps it, the database its cleanup deletes
// from, the tenants' bounce keys (so its bounce mails are signed as a
// sender's would be, verified however soon they follow their sends), and
// the tenants of the bounce domains and SMPP gateways it may use.
func (g *globals) benchSettings() (bench.Settings, error) {
	cfg, err := LoadConfig(g.configPath, os.Getenv)
	if err != nil {
		return bench.Settings{}, err
	}
	keys := map[string]string{channels.DefaultTenant: cfg.Email.VERPSecret}
	maps.Copy(keys, cfg.Email.TenantSecrets)
	gateways := make(map[string]string, len(cfg.SMPP.Gateways))
	for _, gw := range cfg.SMPP.Gateways {
		gateways[gw.Addr] = gw.Tenant
	}
	return bench.Settings{AdminToken: cfg.AdminToken, DataDir: cfg.DataDir, Database: cfg.Database,
		Keys: keys, BounceTenants: cfg.SMTP.Tenants, GatewayTenants: gateways}, nil
}
