package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/rebond/rebond/cmd/rebond/bench"
	"github.com/rebond/rebond/email"
)

// newBenchCmd mounts the load generator (package bench).
func newBenchCmd(g *globals) *cobra.Command {
	return bench.NewCommand(g.stdout, g.stderr, g.benchSignature)
}

// benchSignature signs the bench's bounces with the default tenant's key
// of the configuration (email.verp_secret), as a sender would, so that
// they are verified however soon they arrive after their sends.
func (g *globals) benchSignature() email.Signature {
	cfg, err := LoadConfig(g.configPath, os.Getenv)
	if err != nil || cfg.Email.VERPSecret == "" {
		return email.Signature{}
	}
	return email.Signature{Secret: []byte(cfg.Email.VERPSecret)}
}
