package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// newTokensCmd manages the API tokens in the database, like `rebond rates`
// reads it: directly, without a running server.
func newTokensCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Create, list and revoke API tokens with roles (ingest, read, operate, admin)",
		Long: `tokens manages the bearer tokens of the /v1 API. Each token has a name (its
audit actor is "token:<name>"), a role and a tenant:

  ingest   POST /v1/events, and the consent URLs of its messages
           (POST /v1/consent/unsubscribe, POST /v1/consent/requests)
  read     rates, recipients, lists, rules, qualification, exclusion checks,
           the SMS text check, rule explain and backtest
  operate  read, plus list changes, releases, rule changes, qualification
  admin    everything

Only the SHA-256 of a secret is stored: the secret is printed once, at
creation. A revoked token stops working within the API's token cache period
(30s). A token acts for its tenant only: its events are stamped with it,
and everything it reads or changes is that tenant's (a request naming
another tenant with ?tenant= is refused, 403). The configured admin_token
stays valid as role admin for every tenant (?tenant=, default "default").`,
		Example: `  rebond tokens create --name shop-ingest --role ingest
  rebond tokens create --name acme-read --role read --tenant acme
  rebond tokens list
  rebond tokens revoke --name shop-ingest`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newTokensCreateCmd(g), newTokensListCmd(g), newTokensRevokeCmd(g))
	return cmd
}

// withStore opens the configured database for one command.
func (g *globals) withStore(ctx context.Context, fn func(*store.Store) error) error {
	cfg, _, err := g.load()
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

func newTokensCreateCmd(g *globals) *cobra.Command {
	var name, role, tenant string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a token and print its secret, once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd.Context(), func(st *store.Store) error {
				secret, tok, err := st.CreateToken(cmd.Context(), name, channels.Role(role), tenant)
				if err != nil {
					return err
				}
				fmt.Fprintln(g.stdout, secret)
				fmt.Fprintf(g.stderr, "created token %q (role %s, tenant %s). Store the secret above now: "+
					"it is shown only once and cannot be recovered (revoke and create another if lost).\n", tok.Name, tok.Role, tok.Tenant)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "token name, unique for good (letters, digits, . _ -)")
	cmd.Flags().StringVar(&role, "role", "", "one of "+strings.Join(channels.RoleNames(), ", "))
	cmd.Flags().StringVar(&tenant, "tenant", channels.DefaultTenant, "the tenant the token acts for (a-z, 0-9, '-', '_')")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func newTokensListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets), revoked ones included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd.Context(), func(st *store.Store) error {
				ts, err := st.ListTokens(cmd.Context())
				if err != nil {
					return err
				}
				printTokens(g, ts)
				return nil
			})
		},
	}
}

func printTokens(g *globals, ts []store.Token) {
	if len(ts) == 0 {
		fmt.Fprintln(g.stdout, "no tokens (the configured admin_token still works)")
		return
	}
	w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tROLE\tTENANT\tCREATED\tLAST USED\tREVOKED")
	for _, t := range ts {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Role, t.Tenant, t.CreatedAt.Format(time.RFC3339), when(t.LastUsedAt), when(t.RevokedAt))
	}
	w.Flush()
}

// when formats an optional time, "-" when unset.
func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func newTokensRevokeCmd(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke a token (running servers stop accepting it within 30s)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd.Context(), func(st *store.Store) error {
				tok, err := st.RevokeToken(cmd.Context(), name)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "revoked token %q at %s\n", tok.Name, tok.RevokedAt.Format(time.RFC3339))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the token to revoke")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}
