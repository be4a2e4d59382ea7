package main

import (
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
		return events, "", nil
	}, nil
}
