package smpp

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"regexp"
	"time"

	"github.com/rebond/rebond/channels"
	numbers "github.com/rebond/rebond/channels/phone"
	"github.com/rebond/rebond/sms"
)

// Config lists the SMSCs rebond binds to. The zero value binds to none.
type Config struct {
	Gateways []Gateway `koanf:"gateways"`
	// Keywords reads the mobile-originated messages of every gateway
	// (STOP, START…; cmd builds it from sms.keywords); nil: the built-in
	// keywords alone.
	Keywords *sms.Keywords `koanf:"-"`
}

// BindMode is how an ESME binds (SMPP 3.4 section 4.1): a receiver only
// gets deliver_sm and data_sm; a transceiver may also submit, and some
// SMSCs send receipts only to the transceiver bind that submitted.
type BindMode string

// The bind modes rebond offers; it never binds as a transmitter, which
// cannot receive receipts.
const (
	Receiver    BindMode = "receiver"
	Transceiver BindMode = "transceiver"
)

// Gateway is one SMSC and how to bind to it. Every zero duration or count
// takes the default WithDefaults names.
type Gateway struct {
	// Name identifies the gateway in the provider of its events
	// ("smpp:<name>"), in logs and in metric labels: lowercase letters,
	// digits, '-' and '_', at most 32.
	Name string `koanf:"name"`
	// Tenant owns the receipts of this account (empty: the default
	// tenant): an SMPP account is one sender's.
	Tenant string `koanf:"tenant"`
	// Addr is the SMSC's host:port.
	Addr string `koanf:"addr"`
	// TLS dials with TLS (SMPP over TLS, usually port 3550), verifying the
	// SMSC's certificate unless TLSInsecureSkipVerify is set.
	TLS                   bool `koanf:"tls"`
	TLSInsecureSkipVerify bool `koanf:"tls_insecure_skip_verify"`
	// TLSConfig, when set, is used as it is (cloned) and implies TLS; for
	// callers that need client certificates or private roots.
	TLSConfig *tls.Config `koanf:"-"`
	// SystemID, Password and SystemType are the bind's credentials (SMPP
	// 3.4 section 4.1.1: at most 15, 8 and 12 characters).
	SystemID   string `koanf:"system_id"`
	Password   string `koanf:"password"`
	SystemType string `koanf:"system_type"`
	// BindMode is receiver (default) or transceiver.
	BindMode BindMode `koanf:"bind_mode"`
	// Binds is how many connections to keep bound at once (default 1);
	// SMSCs spread receipts over every bind of an account.
	Binds int `koanf:"binds"`
	// Dialect names the err: code table of this SMSC's receipts ("map",
	// "twilio-smpp", "8x8", "w2wts"; see channels.SMSReceipt). Empty: the
	// err: values match only rules that name no dialect.
	Dialect string `koanf:"dialect"`
	// Region (ISO 3166-1 alpha-2, e.g. "GB") is the region whose national
	// forms and international call prefix this SMSC's source_addr may use
	// (phone.E164): "07700 900123" is then +447700900123. Empty: numbers
	// are read in international form only, and a receipt whose number is
	// national is refused. The key is the one SMS webhooks use for the
	// same thing (webhooks.<name>.region).
	Region string `koanf:"region"`
	// EnquireLink is the interval of rebond's enquire_link (SMPP 3.4
	// section 4.11; default 30s).
	EnquireLink time.Duration `koanf:"enquire_link"`
	// ResponseTimeout bounds the wait for a bind_resp, enquire_link_resp or
	// unbind_resp, a dial, a write and one publish of a receipt (default 10s).
	ResponseTimeout time.Duration `koanf:"response_timeout"`
	// ReconnectMin and ReconnectMax bound the backoff between two binds
	// (default 1s and 1m): it doubles after each failure, with jitter.
	ReconnectMin time.Duration `koanf:"reconnect_min"`
	ReconnectMax time.Duration `koanf:"reconnect_max"`
	// WindowSize is how many deliver_sm and data_sm of one bind are
	// processed at once (default 10); past it rebond stops reading the
	// connection until one is answered.
	WindowSize int `koanf:"window_size"`
}

// Defaults of a Gateway.
const (
	DefaultEnquireLink     = 30 * time.Second
	DefaultResponseTimeout = 10 * time.Second
	DefaultReconnectMin    = time.Second
	DefaultReconnectMax    = time.Minute
	DefaultWindowSize      = 10
)

// Bounds a Validate enforces.
const (
	MaxBinds      = 64
	MaxWindowSize = 1000
)

// WithDefaults returns c with every zero field of every gateway set to its
// default.
func (c Config) WithDefaults() Config {
	gws := make([]Gateway, len(c.Gateways))
	for i, g := range c.Gateways {
		gws[i] = g.WithDefaults()
	}
	c.Gateways = gws
	return c
}

// WithDefaults returns g with every zero field set to its default.
func (g Gateway) WithDefaults() Gateway {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&g.EnquireLink, DefaultEnquireLink)
	def(&g.ResponseTimeout, DefaultResponseTimeout)
	def(&g.ReconnectMin, DefaultReconnectMin)
	def(&g.ReconnectMax, DefaultReconnectMax)
	if g.BindMode == "" {
		g.BindMode = Receiver
	}
	if g.Binds == 0 {
		g.Binds = 1
	}
	if g.WindowSize == 0 {
		g.WindowSize = DefaultWindowSize
	}
	return g
}

// Validate checks every gateway; the error names the offending field
// (smpp.gateways[i].field) after defaults are applied.
func (c Config) Validate() error {
	seen := map[string]bool{}
	for i, g := range c.WithDefaults().Gateways {
		if err := g.validate(); err != nil {
			return fmt.Errorf("smpp.gateways[%d].%w", i, err)
		}
		if seen[g.Name] {
			return fmt.Errorf("smpp.gateways[%d].name: %q is used twice", i, g.Name)
		}
		seen[g.Name] = true
	}
	return nil
}

var gatewayName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// validate checks one gateway with its defaults filled; the error starts
// with the field name.
func (g Gateway) validate() error {
	if !gatewayName.MatchString(g.Name) {
		return fmt.Errorf("name: %q is not 1 to 32 of a-z 0-9 - _", g.Name)
	}
	if g.Tenant != "" && !channels.ValidTenant(g.Tenant) {
		return fmt.Errorf("tenant: %q is not a tenant name (1 to 63 of a-z 0-9 - _)", g.Tenant)
	}
	if _, port, err := net.SplitHostPort(g.Addr); err != nil || port == "" {
		return fmt.Errorf("addr: %q is not host:port", g.Addr)
	}
	if err := g.validateCredentials(); err != nil {
		return err
	}
	if g.BindMode != Receiver && g.BindMode != Transceiver {
		return fmt.Errorf("bind_mode: %q is not receiver or transceiver", g.BindMode)
	}
	if g.TLSInsecureSkipVerify && !g.TLS && g.TLSConfig == nil {
		return errors.New("tls_insecure_skip_verify: set without tls")
	}
	if !numbers.ValidRegion(g.Region) {
		return fmt.Errorf("region: %q is not an ISO 3166-1 alpha-2 region", g.Region)
	}
	if g.Binds < 1 || g.Binds > MaxBinds {
		return fmt.Errorf("binds: %d is out of 1..%d", g.Binds, MaxBinds)
	}
	if g.WindowSize < 1 || g.WindowSize > MaxWindowSize {
		return fmt.Errorf("window_size: %d is out of 1..%d", g.WindowSize, MaxWindowSize)
	}
	return g.validateTimes()
}

// validateCredentials applies the C-Octet String sizes of SMPP 3.4 section
// 4.1.1 (the sizes there count the terminating NULL).
func (g Gateway) validateCredentials() error {
	for _, f := range []struct {
		name, v string
		max     int
	}{{"system_id", g.SystemID, 15}, {"password", g.Password, 8}, {"system_type", g.SystemType, 12}} {
		if len(f.v) > f.max {
			return fmt.Errorf("%s: %d characters, SMPP 3.4 allows %d", f.name, len(f.v), f.max)
		}
		for _, c := range []byte(f.v) {
			if c < 0x20 || c > 0x7e {
				return fmt.Errorf("%s: only printable ASCII is allowed", f.name)
			}
		}
	}
	if g.SystemID == "" {
		return errors.New("system_id: required")
	}
	return nil
}

func (g Gateway) validateTimes() error {
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"enquire_link", g.EnquireLink}, {"response_timeout", g.ResponseTimeout},
		{"reconnect_min", g.ReconnectMin}, {"reconnect_max", g.ReconnectMax}} {
		if f.v < 0 {
			return fmt.Errorf("%s: %s is negative", f.name, f.v)
		}
	}
	if g.ReconnectMax < g.ReconnectMin {
		return fmt.Errorf("reconnect_max: %s is below reconnect_min %s", g.ReconnectMax, g.ReconnectMin)
	}
	return nil
}

// tlsConfig returns the TLS configuration to dial with, nil for plain TCP.
func (g Gateway) tlsConfig() *tls.Config {
	switch {
	case g.TLSConfig != nil:
		return g.TLSConfig.Clone()
	case !g.TLS:
		return nil
	}
	host, _, _ := net.SplitHostPort(g.Addr)
	return &tls.Config{
		ServerName:         host,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: g.TLSInsecureSkipVerify, //nolint:gosec // the operator's explicit choice, off by default
	}
}
