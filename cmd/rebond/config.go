package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/channels/phone"
	"github.com/rebond/rebond/configs"
	"github.com/rebond/rebond/sms"
	"github.com/rebond/rebond/sms/smpp"
	"github.com/rebond/rebond/store"
	"github.com/rebond/rebond/workers"
)

// Config is rebond's whole configuration: configs/rebond.yaml documents
// every key. Only cmd reads it; each package gets its own part.
type Config struct {
	DataDir    string `koanf:"data_dir"`
	AdminToken string `koanf:"admin_token"`
	Log        struct {
		Level  string `koanf:"level"`
		Format string `koanf:"format"`
	} `koanf:"log"`
	Database store.Config `koanf:"database"`
	Redis    struct {
		URL string `koanf:"url"`
	} `koanf:"redis"`
	NATS struct {
		URL          string `koanf:"url"`
		EmbeddedAddr string `koanf:"embedded_addr"`
		// EmbeddedPassword is the embedded server's password (empty: the
		// one in data_dir/nats-password, generated on first start).
		EmbeddedPassword string        `koanf:"embedded_password"`
		Replicas         int           `koanf:"replicas"`
		MaxAge           time.Duration `koanf:"max_age"`
		Duplicates       time.Duration `koanf:"duplicates"`
		MaxBytes         int64         `koanf:"max_bytes"`
		UsageAlert       float64       `koanf:"usage_alert"`
	} `koanf:"nats"`
	HTTP struct {
		Addr           string  `koanf:"addr"`
		MaxBodyBytes   int64   `koanf:"max_body_bytes"`
		MaxBatch       int     `koanf:"max_batch"`
		RatesMinVolume int64   `koanf:"rates_min_volume"`
		RateLimit      float64 `koanf:"rate_limit"`
		RateBurst      int     `koanf:"rate_burst"`
		// AuthFailuresPerMinute and AuthFailureBurst throttle failed
		// authentications per client (api.Config.AuthFailureRate).
		AuthFailuresPerMinute float64 `koanf:"auth_failures_per_minute"`
		AuthFailureBurst      int     `koanf:"auth_failure_burst"`
		// WebhookUnverifiedBodyBytes and WebhookUnverifiedReads bound the
		// webhook bodies read before they are authenticated.
		WebhookUnverifiedBodyBytes int64 `koanf:"webhook_unverified_body_bytes"`
		WebhookUnverifiedReads     int   `koanf:"webhook_unverified_reads"`
		SecureCookies              bool  `koanf:"secure_cookies"`
	} `koanf:"http"`
	SMTP struct {
		Addr            string   `koanf:"addr"`
		Hostname        string   `koanf:"hostname"`
		Domains         []string `koanf:"domains"`
		MaxMessageBytes int64    `koanf:"max_message_bytes"`
		MaxRecipients   int      `koanf:"max_recipients"`
		TLSCert         string   `koanf:"tls_cert"`
		TLSKey          string   `koanf:"tls_key"`
		// Tenants maps a domain of Domains to the tenant whose bounces
		// it receives (unmapped domains: the default tenant).
		Tenants map[string]string `koanf:"tenants"`
		// Trust is "verified" (only a verified bounce changes a
		// recipient; see email.EventOptions.Verify) or "any".
		Trust string `koanf:"trust"`
		// MaxRejectedBytes bounds what is kept of a mail that is no
		// bounce (rejected_events).
		MaxRejectedBytes int `koanf:"max_rejected_bytes"`
		// Connection limits (inbound.Config).
		MaxConnections      int           `koanf:"max_connections"`
		MaxConnectionsPerIP int           `koanf:"max_connections_per_ip"`
		MaxSession          time.Duration `koanf:"max_session"`
		MaxCommands         int           `koanf:"max_commands"`
		Timeout             time.Duration `koanf:"timeout"`
	} `koanf:"smtp"`
	Tenancy struct {
		// ShareUserUnknown lets each tenant's exclusion checks see the
		// other tenants' user_unknown quarantines (off by default).
		ShareUserUnknown bool `koanf:"share_user_unknown"`
	} `koanf:"tenancy"`
	Email struct {
		VERPSecret string `koanf:"verp_secret"`
		VERPDomain string `koanf:"verp_domain"`
		// TenantSecrets maps a tenant other than the default one to the
		// key of its VERP tokens and signed headers (VERPSecret is the
		// default tenant's).
		TenantSecrets map[string]string `koanf:"tenant_secrets"`
	} `koanf:"email"`
	SMS struct {
		MaxSegments int  `koanf:"max_segments"`
		RequireGSM  bool `koanf:"require_gsm"`
		// DefaultRegion and Regions (per tenant) are the regions SMS
		// numbers without "+" are read in (phone.Regions).
		DefaultRegion string            `koanf:"default_region"`
		Regions       map[string]string `koanf:"regions"`
		// Keywords are the SMS keywords of mobile-originated messages
		// besides the built-in ones (sms.KeywordConfig).
		Keywords sms.KeywordConfig `koanf:"keywords"`
	} `koanf:"sms"`
	SMPP smpp.Config `koanf:"smpp"`
	// Mailboxes are the IMAP bounce mailboxes the mailbox role polls.
	Mailboxes []MailboxConfig `koanf:"mailboxes"`
	// Webhooks maps a mount name to its provider settings; see webhooks.go.
	Webhooks map[string]map[string]any `koanf:"webhooks"`
	Workers  workers.Config            `koanf:"workers"`
	Policy   lifecycle.Policy          `koanf:"policy"`
	// Backtest bounds rule backtests (rulebook.Config).
	Backtest struct {
		MaxEvents int           `koanf:"max_events"`
		MaxRange  time.Duration `koanf:"max_range"`
		Timeout   time.Duration `koanf:"timeout"`
	} `koanf:"backtest"`
	// ProvidersFile replaces the built-in mailbox-provider table.
	ProvidersFile string `koanf:"providers_file"`
	// Alerts sets the rate alerts of the scheduler role.
	Alerts workers.AlertConfig `koanf:"alerts"`
	// Consent configures one-click unsubscribe and double opt-in
	// (wire_consent.go).
	Consent ConsentConfig `koanf:"consent"`
}

// LoadConfig reads the embedded defaults, then the file at path (if any),
// then REBOND_* environment variables, and validates the result.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	c, _, err := loadConfig(path, getenv)
	if err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// loadConfig is LoadConfig without the validation, and with where every
// key came from: `rebond config` prints what it can of a configuration
// serve would refuse, and says where each value was set.
func loadConfig(path string, getenv func(string) string) (Config, configSources, error) {
	src := configSources{file: path, env: map[string]string{}}
	k := koanf.New(".")
	def, err := configs.Files.ReadFile("rebond.yaml")
	if err != nil {
		return Config{}, src, fmt.Errorf("read embedded defaults: %w", err)
	}
	if err := k.Load(rawbytes.Provider(def), yaml.Parser()); err != nil {
		return Config{}, src, fmt.Errorf("embedded defaults: %w", err)
	}
	maps := mapKeys(k)
	if path != "" {
		f := koanf.New(".")
		if err := f.Load(file.Provider(path), yaml.Parser()); err != nil {
			return Config{}, src, fmt.Errorf("config file %s: %w", path, err)
		}
		if err := k.Merge(f); err != nil {
			return Config{}, src, fmt.Errorf("config file %s: %w", path, err)
		}
		src.fileTree = f.Raw()
	}
	if err := applyEnv(k, maps, getenv, &src); err != nil {
		return Config{}, src, err
	}
	src.tree = k.Raw()
	var c Config
	err = k.UnmarshalWithConf("", &c, koanf.UnmarshalConf{DecoderConfig: &mapstructure.DecoderConfig{
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.StringToSliceHookFunc(",")),
		Result:           &c,
		WeaklyTypedInput: true,
		ErrorUnused:      true,
	}})
	if err != nil {
		return Config{}, src, fmt.Errorf("config: %w", err)
	}
	c.Workers.RedisURL = c.Redis.URL
	c.Workers = c.Workers.WithDefaults()
	c.Alerts = c.Alerts.WithDefaults()
	return c, src, nil
}

// minTenantSecret is the shortest tenant key accepted: an HMAC key
// shorter than 128 bits can be searched.
const minTenantSecret = 16

// checkServe is every check serve makes of its configuration before it
// dials anything: Validate, validateServe for every role (admin token,
// webhooks), the SMPP gateways, the providers
// file and the Redis URL. `rebond config` runs it, so a configuration
// serve would refuse is refused there too.
func checkServe(c Config) error {
	errs := []error{c.Validate(), c.validateServe(allRoles)}
	if len(c.SMPP.Gateways) > 0 {
		errs = append(errs, c.SMPP.Validate())
	}
	if _, err := providerTable(c); err != nil {
		errs = append(errs, err)
	}
	if _, err := workers.ParseRedisURL(c.Redis.URL); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Validate checks what serve needs, naming the key at fault.
func (c Config) Validate() error {
	var errs []error
	if err := c.Database.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Workers.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Policy.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Alerts.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.NATS.UsageAlert <= 0 || c.NATS.UsageAlert > 1 {
		errs = append(errs, fmt.Errorf("nats.usage_alert: %g is not a fraction in (0, 1]", c.NATS.UsageAlert))
	}
	if err := c.shortSecrets(); err != nil {
		errs = append(errs, err)
	}
	if c.NATS.URL == "" && c.DataDir == "" {
		errs = append(errs, errors.New("data_dir: required when nats.url is empty (the embedded NATS server stores its data there)"))
	}
	for domain, t := range c.SMTP.Tenants {
		if !channels.ValidTenant(t) {
			errs = append(errs, fmt.Errorf("smtp.tenants.%s: %q is not a tenant name (1 to 63 of a-z, 0-9, '-', '_')", domain, t))
		}
	}
	switch c.SMTP.Trust {
	case "verified", "any":
	default:
		errs = append(errs, fmt.Errorf("smtp.trust: %q is not one of verified, any", c.SMTP.Trust))
	}
	for t, secret := range c.Email.TenantSecrets {
		if !channels.ValidTenant(t) || t == channels.DefaultTenant {
			errs = append(errs, fmt.Errorf("email.tenant_secrets.%s: not a tenant name other than %s (email.verp_secret is its key)", t, channels.DefaultTenant))
		}
		if len(secret) < minTenantSecret {
			errs = append(errs, fmt.Errorf("email.tenant_secrets.%s: at least %d bytes", t, minTenantSecret))
		}
	}
	if err := c.Consent.validate(); err != nil {
		return err
	}
	if err := c.validateMailboxes(); err != nil {
		errs = append(errs, err)
	}
	if err := c.numberRegions().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("sms.%w", err))
	}
	if err := c.SMS.Keywords.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("sms.keywords.%w", err))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level: %q is not one of debug, info, warn, error", c.Log.Level))
	}
	return errors.Join(errs...)
}

// keywords reads the SMS keywords of mobile-originated messages
// (sms.keywords, with the built-in ones).
func (c Config) keywords() (*sms.Keywords, error) {
	kw, err := sms.NewKeywords(c.SMS.Keywords)
	if err != nil {
		return nil, fmt.Errorf("sms.keywords.%w", err)
	}
	return kw, nil
}

// numberRegions are the regions SMS numbers are read in (sms.default_region,
// sms.regions).
func (c Config) numberRegions() phone.Regions {
	return phone.Regions{Default: c.SMS.DefaultRegion, Tenants: c.SMS.Regions}
}
