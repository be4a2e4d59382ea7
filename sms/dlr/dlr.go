package dlr

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	numbers "github.com/rebond/rebond/channels/phone"
)

// Provider names, as events carry them in channels.Event.Provider (and
// SMSReceipt.Dialect) and as the configuration's "provider" key takes
// them.
const (
	ProviderTwilio  = "twilio"
	ProviderPlivo   = "plivo"
	ProviderVonage  = "vonage"
	ProviderKannel  = "kannel"
	ProviderJasmin  = "jasmin"
	ProviderInfobip = "infobip"
	ProviderSinch   = "sinch"
)

// Config is the configuration of one SMS webhook, the keys cmd reads for
// it (next to the provider it passes to New). Which keys a provider reads
// is in the package doc; a key the provider does not read is an error, so
// a secret set under the wrong name is not silently ignored.
type Config struct {
	// Secret is the provider's signing key: Twilio's or Plivo's auth
	// token, Vonage's signature secret, Sinch's callback HMAC secret.
	Secret string `koanf:"secret"`
	// URL is the public URL Twilio or Plivo calls (see TwilioConfig.URL).
	URL string `koanf:"url"`
	// SignatureMethod is Vonage's sig method (see VonageConfig).
	SignatureMethod string `koanf:"signature_method"`
	// MaxSkew is the timestamp window of Vonage and Sinch signatures.
	MaxSkew time.Duration `koanf:"max_skew"`
	// Dialect is the err: table behind a Kannel or Jasmin gateway.
	Dialect string `koanf:"dialect"`
	// Region (ISO 3166-1 alpha-2) is the region the gateway writes
	// national numbers in (phone.E164); every provider reads it.
	Region string `koanf:"region"`
	// SharedSecret authenticates providers that do not sign.
	SharedSecret `koanf:",squash"`
}

// providerKeys are the keys each provider reads, in Config order.
var providerKeys = map[string][]string{
	ProviderTwilio:  {"secret", "url"},
	ProviderPlivo:   {"secret", "url"},
	ProviderVonage:  {"secret", "signature_method", "max_skew"},
	ProviderKannel:  {"dialect", "token", "username", "password", "app_key", "header", "header_value"},
	ProviderJasmin:  {"dialect", "token", "username", "password", "app_key", "header", "header_value"},
	ProviderInfobip: {"token", "username", "password", "app_key", "header", "header_value"},
	ProviderSinch:   {"secret", "max_skew", "token", "username", "password", "app_key", "header", "header_value"},
}

// Providers returns the providers New builds, sorted.
func Providers() []string {
	out := make([]string, 0, len(providerKeys))
	for p := range providerKeys {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// New builds the adapter of provider (one of Providers) from cfg, with the
// provider's constructor, for cmd to mount at /v1/webhooks/{name}. Errors
// name the provider and the key that is missing, wrong, or not read by
// that provider.
func New(provider string, cfg Config) (channels.Webhook, error) {
	w, err := newAdapter(provider, cfg)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// newAdapter is New's adapter, for NewInbound to derive its own from.
func newAdapter(provider string, cfg Config) (*Webhook, error) {
	keys, ok := providerKeys[provider]
	if !ok {
		return nil, fmt.Errorf("sms webhook: provider %q is not one of %s", provider, strings.Join(Providers(), ", "))
	}
	if err := cfg.onlyKeys(keys); err != nil {
		return nil, fmt.Errorf("%s webhook: %w", provider, err)
	}
	var (
		w   *Webhook
		err error
	)
	switch provider {
	case ProviderTwilio:
		w, err = NewTwilio(TwilioConfig{AuthToken: cfg.Secret, URL: cfg.URL})
	case ProviderPlivo:
		w, err = NewPlivo(PlivoConfig{AuthToken: cfg.Secret, URL: cfg.URL})
	case ProviderVonage:
		w, err = NewVonage(VonageConfig{SignatureSecret: cfg.Secret, SignatureMethod: cfg.SignatureMethod, MaxSkew: cfg.MaxSkew})
	case ProviderKannel:
		w, err = NewKannel(GatewayConfig{SharedSecret: cfg.SharedSecret, Dialect: cfg.Dialect})
	case ProviderJasmin:
		w, err = NewJasmin(GatewayConfig{SharedSecret: cfg.SharedSecret, Dialect: cfg.Dialect})
	case ProviderInfobip:
		w, err = NewInfobip(InfobipConfig{SharedSecret: cfg.SharedSecret})
	case ProviderSinch:
		w, err = NewSinch(SinchConfig{Secret: cfg.Secret, MaxSkew: cfg.MaxSkew, SharedSecret: cfg.SharedSecret})
	}
	if err != nil {
		return nil, err
	}
	if !numbers.ValidRegion(cfg.Region) {
		return nil, fmt.Errorf("%s webhook: region: %q is not an ISO 3166-1 alpha-2 region", provider, cfg.Region)
	}
	w.region = cfg.Region
	return w, nil
}

// Validate checks c for provider as New does, without keeping the
// adapter; the error names the provider and the key.
func (c Config) Validate(provider string) error {
	_, err := New(provider, c)
	return err
}

// onlyKeys refuses a set key outside keys.
func (c Config) onlyKeys(keys []string) error {
	set := map[string]bool{
		"secret": c.Secret != "", "url": c.URL != "", "signature_method": c.SignatureMethod != "",
		"max_skew": c.MaxSkew != 0, "dialect": c.Dialect != "", "token": c.Token != "",
		"username": c.Username != "", "password": c.Password != "", "app_key": c.AppKey != "",
		"header": c.Header != "", "header_value": c.HeaderValue != "",
	}
	for _, k := range keys {
		delete(set, k)
	}
	var extra []string
	for k, isSet := range set {
		if isSet {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	return fmt.Errorf("%s: not read by this provider (it reads %s)", strings.Join(extra, ", "), strings.Join(keys, ", "))
}

// Redacted returns c with every secret replaced by "********", for
// printing the effective configuration.
func (c Config) Redacted() Config {
	for _, s := range []*string{&c.Secret, &c.Token, &c.Password, &c.AppKey, &c.HeaderValue} {
		if *s != "" {
			*s = "********"
		}
	}
	return c
}

// GatewayConfig configures the Kannel and Jasmin adapters: the gateway is
// the operator's own, calls back on a URL the sender wrote, and signs
// nothing.
type GatewayConfig struct {
	// SharedSecret is how the gateway proves itself: in practice Token,
	// written into the dlr-url ("…/v1/webhooks/kannel?token=…"), or Basic
	// credentials in it (keys "token", "username", "password", "app_key",
	// "header", "header_value").
	SharedSecret `koanf:",squash"`
	// Dialect is the err: code table of the SMSC connection behind the
	// gateway ("map", "twilio-smpp", "8x8", "w2wts"; see
	// channels.SMSReceipt), for the receipt text the gateway passes on
	// (key "dialect"; empty: none).
	Dialect string `koanf:"dialect"`
}

// Validate names the first key that is wrong.
func (c GatewayConfig) Validate() error { return c.SharedSecret.Validate() }
