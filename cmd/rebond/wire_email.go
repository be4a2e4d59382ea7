package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"

	"github.com/rebond/rebond/cmd/internal/process"
	"github.com/rebond/rebond/email/inbound"
	"github.com/rebond/rebond/natsbus"
	"github.com/rebond/rebond/workers"
)

// busSpool stores mail the SMTP listener received on the inbound stream,
// with the message's id as Nats-Msg-Id (a re-sent message is kept once).
type busSpool struct{ bus *natsbus.Bus }

func (s busSpool) Store(ctx context.Context, m inbound.Message) error {
	data, err := inbound.Encode(m)
	if err != nil {
		return err
	}
	return s.bus.PublishNotice(ctx, inbound.Subject, m.ID, data)
}

// smtpListener builds the SMTP listener, or nil when smtp.domains is empty.
func smtpListener(cfg Config, bus *natsbus.Bus, log *slog.Logger) (*inbound.Listener, error) {
	if len(cfg.SMTP.Domains) == 0 {
		log.Info("smtp listener off: smtp.domains is empty")
		return nil, nil
	}
	var tlsCfg *tls.Config
	if cfg.SMTP.TLSCert != "" || cfg.SMTP.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(cfg.SMTP.TLSCert, cfg.SMTP.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("smtp.tls_cert / smtp.tls_key: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	// The spooled form is JSON with the mail in base64 (4/3 of its size)
	// and must fit one NATS message.
	spoolLimit := int((bus.MaxPayload() - 64<<10) * 3 / 4)
	return inbound.New(inbound.Config{Addr: cfg.SMTP.Addr, Hostname: cfg.SMTP.Hostname, Domains: cfg.SMTP.Domains,
		MaxMessageBytes: cfg.SMTP.MaxMessageBytes, MaxRecipients: cfg.SMTP.MaxRecipients, TLS: tlsCfg,
		SpoolLimit: max(spoolLimit, 64<<10), Timeout: cfg.SMTP.Timeout,
		MaxConnections:      smtpConnections(cfg.SMTP.MaxConnections, process.OpenFileLimit(), log),
		MaxConnectionsPerIP: cfg.SMTP.MaxConnectionsPerIP, MaxSession: cfg.SMTP.MaxSession, MaxCommands: cfg.SMTP.MaxCommands},
		busSpool{bus}, log.With("part", "smtp"))
}

// smtpConnections is the SMTP connection cap: smtp.max_connections, at
// most half the open-file limit, so that sessions from the internet can
// never take the descriptors the HTTP API, PostgreSQL, Redis and NATS
// connections need (a process out of descriptors accepts nothing on any
// listener).
func smtpConnections(configured, fileLimit int, log *slog.Logger) int {
	if fileLimit <= 0 || configured <= fileLimit/2 {
		return configured
	}
	log.Warn("smtp.max_connections lowered to half the open-file limit", "configured", configured, "nofile", fileLimit, "cap", fileLimit/2)
	return max(fileLimit/2, 1)
}

// inboundLoop parses spooled mail into events.
func inboundLoop(ctx context.Context, cfg Config, bus *natsbus.Bus, inbox workers.Inbox, m *workers.Metrics, log *slog.Logger) (func(context.Context) error, error) {
	consumer, err := bus.InboundConsumer(ctx, "inbound")
	if err != nil {
		return nil, err
	}
	parse, err := mailParser(cfg)
	if err != nil {
		return nil, err
	}
	h := inbound.Handler{Parse: parse, MaxKept: cfg.SMTP.MaxRejectedBytes}
	return workers.NewInbound(consumer, h, bus, inbox, "smtp", m, log.With("part", "inbound")).Run, nil
}
