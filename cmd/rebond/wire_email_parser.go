package main

import (
	"strings"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/email"
	"github.com/rebond/rebond/email/inbound"
)

// mailParser parses spooled bounce mail with the email package: one event
// per bounced recipient, correlated through the VERP token of the envelope
// recipient when email.verp_secret is set.
func mailParser(cfg Config) (inbound.Parser, error) {
	verp := email.VERP{Secret: []byte(cfg.Email.VERPSecret), Domain: cfg.Email.VERPDomain}
	return func(m inbound.Message) ([]channels.Event, string, error) {
		r, err := email.Parse(m.Data)
		if err != nil {
			return nil, "", err
		}
		if r.Kind == email.KindNone {
			return nil, "not a bounce: " + r.Why, nil
		}
		events := r.Events(email.EventOptions{VERP: verp, EnvelopeTo: m.To, Received: m.ReceivedAt})
		if len(events) == 0 {
			return nil, "a " + string(r.Kind) + " report naming no recipient", nil
		}
		if t := envelopeTenant(cfg.SMTP.Tenants, m.To); t != "" {
			for i := range events {
				events[i].Tenant = t
			}
		}
		return events, "", nil
	}, nil
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
