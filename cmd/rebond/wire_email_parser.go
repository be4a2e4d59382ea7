package main

import (
	"slices"
	"strings"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/consent"
	"github.com/rebond/rebond/email"
	"github.com/rebond/rebond/email/inbound"
)

// mailParser parses spooled bounce mail with the email package: one event
// per bounced recipient, correlated and verified with the key of the
// tenant the envelope names (mailKeys). Under smtp.trust: verified, an
// event that neither the VERP token nor the signed header vouches for is
// marked unverified (channels.Event.Unverified). A mail to a mailto:
// unsubscribe address (consent.IsMailto) is an opt-out when its subject
// carries a valid unsubscribe token (consent.MailtoEvent).
func mailParser(cfg Config) (inbound.Parser, error) {
	keys := mailKeys(cfg)
	optOut := consentKeys(cfg).Of
	verify := cfg.SMTP.Trust != "any"
	return func(m inbound.Message) ([]channels.Event, string, error) {
		r, err := email.Parse(m.Data)
		if err != nil {
			return nil, "", err
		}
		if slices.ContainsFunc(m.To, consent.IsMailto) {
			// RFC 2369 mailto: unsubscribe; the token says whom, and is
			// the only proof: one that does not verify opts no one out.
			e, err := consent.MailtoEvent(r.Subject, optOut, m.ReceivedAt)
			if err != nil {
				return nil, "unsubscribe mail: " + err.Error(), nil
			}
			return []channels.Event{e}, "", nil
		}
		if r.Kind == email.KindNone {
			return nil, "not a bounce: " + r.Why, nil
		}
		t := envelopeTenant(cfg.SMTP.Tenants, m.To)
		if m.Tenant != "" { // a polled mailbox's tenant (mailboxes[].tenant)
			t = m.Tenant
		}
		key := keys[channels.Event{Tenant: t}.TenantName()]
		verp := email.VERP{Secret: key, Domain: cfg.Email.VERPDomain}
		if t != "" {
			verp.Domain = "" // a tenant's own return-path domain (smtp.tenants)
		}
		events := r.Events(email.EventOptions{VERP: verp, Signature: email.Signature{Secret: key},
			Verify: verify, EnvelopeTo: m.To, Received: m.ReceivedAt})
		if len(events) == 0 {
			return nil, "a " + string(r.Kind) + " report naming no recipient", nil
		}
		if t != "" {
			for i := range events {
				events[i].Tenant = t
			}
		}
		return events, "", nil
	}, nil
}

// mailKeys are the tenants' keys for VERP tokens and signed headers:
// email.verp_secret for the default tenant, email.tenant_secrets for the
// others. A tenant without one has its bounces verified only by joining
// a message it sent.
func mailKeys(cfg Config) map[string][]byte {
	keys := map[string][]byte{}
	if cfg.Email.VERPSecret != "" {
		keys[channels.DefaultTenant] = []byte(cfg.Email.VERPSecret)
	}
	for t, k := range cfg.Email.TenantSecrets {
		keys[t] = []byte(k)
	}
	return keys
}

// envelopeTenant is the tenant of the first envelope recipient whose
// domain smtp.tenants names ("" for the default tenant): a bounce comes
// back to the return path its sender, one tenant, chose.
func envelopeTenant(tenants map[string]string, to []string) string {
	for _, rcpt := range to {
		if t, ok := tenants[strings.ToLower(channels.Domain(rcpt))]; ok && t != channels.DefaultTenant {
			return t
		}
	}
	return ""
}
