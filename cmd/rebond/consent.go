package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/consent"
	"github.com/rebond/rebond/channels/phone"
)

// newConsentCmd signs consent URLs offline, with the configured keys, as
// POST /v1/consent/unsubscribe and /v1/consent/requests do: a sender's
// script needs no running server.
func newConsentCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "consent",
		Short: "Sign one-click unsubscribe headers and double opt-in links",
		Long: `consent signs the URLs recipients use to unsubscribe (RFC 8058 one-click,
RFC 2369 mailto:) and to confirm a double opt-in, with the tenant's consent
key (consent.secret, consent.tenant_secrets, or derived from the email key),
as the API does. Nothing is stored: a URL acts when a recipient follows it.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newConsentHeadersCmd(g), newConsentConfirmCmd(g))
	return cmd
}

type consentFlags struct {
	channel, recipient, scope, list, campaign, messageID string
	json                                                 bool
}

func (f *consentFlags) bind(cmd *cobra.Command, send bool) {
	cmd.Flags().StringVar(&f.channel, "channel", "email", "email or sms")
	cmd.Flags().StringVar(&f.recipient, "recipient", "", "the address or number (required)")
	cmd.Flags().StringVar(&f.list, "list", "", "the list (scope list)")
	cmd.Flags().BoolVar(&f.json, "json", false, "print JSON, as the API answers")
	if send {
		cmd.Flags().StringVar(&f.scope, "scope", "", "all, list or campaign (default: list with --list, else all)")
		cmd.Flags().StringVar(&f.campaign, "campaign", "", "the campaign the message belongs to")
		cmd.Flags().StringVar(&f.messageID, "message-id", "", "the message the headers go on: its opt-out counts in its campaign's unsubscribe rate")
	}
	_ = cmd.MarkFlagRequired("recipient")
}

// token is the unsigned token the flags ask for, checked, with its key.
func (f consentFlags) token(g *globals, cfg Config, k consent.Kind) (consent.Token, []byte, error) {
	ch := channels.Channel(f.channel)
	if !ch.Valid() {
		return consent.Token{}, nil, fmt.Errorf("--channel: %q is not one of email, sms", f.channel)
	}
	rcpt := f.recipient
	if ch == channels.SMS {
		n, err := phone.E164(rcpt, cfg.numberRegions().For(g.tenant))
		if err != nil {
			return consent.Token{}, nil, fmt.Errorf("--recipient: %w", err)
		}
		rcpt = n
	}
	rcpt, err := channels.NormalizeRecipient(ch, rcpt)
	if err != nil {
		return consent.Token{}, nil, fmt.Errorf("--recipient: %w", err)
	}
	scope := channels.Scope(f.scope)
	if scope == "" && f.list != "" {
		scope = channels.ScopeList
	}
	t := consent.Token{Kind: k, Tenant: g.tenant, Channel: ch, Recipient: rcpt, Scope: scope, List: f.list,
		Campaign: f.campaign, MessageID: f.messageID}
	if err := t.Validate(); err != nil {
		return consent.Token{}, nil, err
	}
	key := consentKeys(cfg).Of(g.tenant)
	if len(key) == 0 {
		return consent.Token{}, nil, fmt.Errorf("tenant %s has no consent key: set consent.secret or consent.tenant_secrets (or its email key)", g.tenant)
	}
	return t, key, nil
}

func newConsentHeadersCmd(g *globals) *cobra.Command {
	var f consentFlags
	cmd := &cobra.Command{
		Use:   "headers",
		Short: "Print a message's List-Unsubscribe and List-Unsubscribe-Post headers",
		Long: `headers prints the two header fields a message needs for one-click
unsubscribe (RFC 8058): List-Unsubscribe with the signed HTTPS URL (and the
mailto: URI at the tenant's SMTP listener domain, RFC 2369), and
List-Unsubscribe-Post. Sign both with DKIM: mailbox providers show the
unsubscribe button only then.`,
		Example: `  rebond consent headers --recipient ann@example.com --campaign spring --message-id msg-42
  rebond consent headers --recipient ann@example.com --list news --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := g.load()
			if err != nil {
				return err
			}
			t, key, err := f.token(g, cfg, consent.Unsubscribe)
			if err != nil {
				return err
			}
			tok := t.Sign(key)
			link := consent.URL(consentBaseURL(cfg), consent.Unsubscribe, tok)
			mailto := ""
			if t.Channel == channels.Email {
				mailto = consent.Mailto(mailtoDomains(cfg)[t.Tenant], tok)
			}
			lu, lup := consent.Headers(link, mailto)
			if f.json {
				return g.printJSON(map[string]string{"recipient": t.Recipient, "token": tok, "url": link, "mailto": mailto,
					"list_unsubscribe": lu, "list_unsubscribe_post": lup})
			}
			fmt.Fprintf(g.stdout, "List-Unsubscribe: %s\nList-Unsubscribe-Post: %s\n", lu, lup)
			return nil
		},
	}
	f.bind(cmd, true)
	return cmd
}

func newConsentConfirmCmd(g *globals) *cobra.Command {
	var f consentFlags
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "confirm-url",
		Short: "Print a signed, expiring double opt-in link",
		Long: `confirm-url prints the link a recipient follows to confirm a double opt-in:
its page's button records a confirmed consent with the time, the client's
address and its user agent (what consent.require_confirmed asks for).`,
		Example: `  rebond consent confirm-url --recipient ann@example.com --list news --ttl 24h`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := g.load()
			if err != nil {
				return err
			}
			if ttl <= 0 || ttl > cfg.Consent.MaxConfirmTTL {
				return fmt.Errorf("--ttl: %v is not between 0 and consent.max_confirm_ttl (%v)", ttl, cfg.Consent.MaxConfirmTTL)
			}
			t, key, err := f.token(g, cfg, consent.Confirm)
			if err != nil {
				return err
			}
			t.Expires = time.Now().Add(ttl).Truncate(time.Second)
			tok := t.Sign(key)
			link := consent.URL(consentBaseURL(cfg), consent.Confirm, tok)
			if f.json {
				return g.printJSON(map[string]any{"recipient": t.Recipient, "token": tok, "url": link, "expires_at": t.Expires.UTC()})
			}
			fmt.Fprintf(g.stdout, "%s\n(expires %s)\n", link, t.Expires.UTC().Format(time.RFC3339))
			return nil
		},
	}
	f.bind(cmd, false)
	cmd.Flags().DurationVar(&ttl, "ttl", 72*time.Hour, "how long the link lives")
	return cmd
}
