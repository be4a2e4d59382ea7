package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rebond/rebond/api"
	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/email/mailbox"
)

// MailboxConfig is one entry of mailboxes: a bounce mailbox the mailbox
// role polls over IMAP (email/mailbox.Config).
type MailboxConfig struct {
	Name     string `koanf:"name"`
	Tenant   string `koanf:"tenant"`
	Addr     string `koanf:"addr"`
	TLS      string `koanf:"tls"`
	Username string `koanf:"username"`
	// Password is the provider's: rebond imposes no length on it (it does
	// refuse the example's placeholder). PasswordFile, when set, is read
	// instead (a mounted secret), its trailing newline dropped.
	Password     string        `koanf:"password"`
	PasswordFile string        `koanf:"password_file"`
	Folder       string        `koanf:"folder"`
	Processed    string        `koanf:"processed"`
	Unparsed     string        `koanf:"unparsed"`
	Delete       bool          `koanf:"delete"`
	PollInterval time.Duration `koanf:"poll_interval"`
	Batch        int           `koanf:"batch"`
	Timeout      time.Duration `koanf:"timeout"`
}

// mailbox turns the entry into the poller's configuration, reading
// PasswordFile.
func (m MailboxConfig) mailbox(spoolLimit int) (mailbox.Config, error) {
	pw := m.Password
	if m.PasswordFile != "" {
		b, err := os.ReadFile(m.PasswordFile)
		if err != nil {
			return mailbox.Config{}, fmt.Errorf("mailboxes %s: password_file: %w", m.Name, err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
	}
	tenant := m.Tenant
	if tenant == channels.DefaultTenant {
		tenant = "" // as smtp.tenants: the default tenant is empty on the wire
	}
	return mailbox.Config{Name: m.Name, Tenant: tenant, Addr: m.Addr, TLS: m.TLS, Username: m.Username,
		Password: pw, Folder: m.Folder, Processed: m.Processed, Unparsed: m.Unparsed, Delete: m.Delete,
		PollInterval: m.PollInterval, Batch: m.Batch, Timeout: m.Timeout, SpoolLimit: spoolLimit}, nil
}

// validateMailboxes names the entry and key at fault.
func (c Config) validateMailboxes() error {
	var errs []error
	seen := map[string]bool{}
	for i, m := range c.Mailboxes {
		at := fmt.Sprintf("mailboxes[%d]", i)
		if m.Tenant != "" && !channels.ValidTenant(m.Tenant) {
			errs = append(errs, fmt.Errorf("%s.tenant: %q is not a tenant name", at, m.Tenant))
		}
		if seen[m.Name] {
			errs = append(errs, fmt.Errorf("%s.name: %q is used twice", at, m.Name))
		}
		seen[m.Name] = true
		if strings.HasPrefix(m.Password, placeholderPrefix) {
			errs = append(errs, fmt.Errorf("%s.password: the placeholder of configs/rebond.yaml's example; set the mailbox's own", at))
		}
		cfg := mailbox.Config{Name: m.Name, Addr: m.Addr, TLS: m.TLS, Username: m.Username, Password: m.Password,
			Folder: m.Folder, Processed: m.Processed, Unparsed: m.Unparsed, PollInterval: m.PollInterval, Batch: m.Batch, Timeout: m.Timeout}
		if m.PasswordFile != "" && cfg.Password == "" {
			cfg.Password = "(read from password_file)"
		}
		if err := cfg.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s.%w", at, err))
		}
	}
	return errors.Join(errs...)
}

// buildMailboxes makes the pollers of mailboxes for the mailbox role.
func (sv *services) buildMailboxes() error {
	if len(sv.cfg.Mailboxes) == 0 {
		sv.log.Info("mailbox role idle: mailboxes is empty")
		return nil
	}
	m, err := mailbox.NewMetrics(sv.reg)
	if err != nil {
		return err
	}
	// The spooled form is JSON with the mail in base64, in one NATS message
	// (as smtpListener's SpoolLimit).
	spoolLimit := max(int((sv.bus.MaxPayload()-64<<10)*3/4), 64<<10)
	for _, mc := range sv.cfg.Mailboxes {
		cfg, err := mc.mailbox(spoolLimit)
		if err != nil {
			return err
		}
		p, err := mailbox.New(cfg, busSpool{sv.bus}, m, sv.log.With("part", "mailbox"))
		if err != nil {
			return err
		}
		sv.mailboxes = append(sv.mailboxes, p)
	}
	return nil
}

// mailboxParts polls the configured mailboxes, one part each.
func (sv *services) mailboxParts(context.Context, serveOptions) ([]part, error) {
	parts := make([]part, 0, len(sv.mailboxes))
	for _, p := range sv.mailboxes {
		parts = append(parts, part{"mailbox " + p.Name(), p.Run})
	}
	return parts, nil
}

// mailboxPingers are the mailboxes /readyz lists (mailbox:<name>): only
// in a process without the api role, so that a provider's IMAP outage
// never takes the API out of its load balancer; there the health is in
// rebond_mailbox_up and the log.
func (sv *services) mailboxPingers(roles []string) map[string]api.Pinger {
	out := map[string]api.Pinger{}
	if slices.Contains(roles, "api") {
		return out
	}
	for _, p := range sv.mailboxes {
		out["mailbox:"+p.Name()] = p
	}
	return out
}
