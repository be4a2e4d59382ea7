package sms

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	numbers "github.com/rebond/rebond/channels/phone"
)

// WebhookConfig is the configuration of one SMS webhook, the keys cmd
// reads for it (next to the provider it passes to NewWebhook). Which keys
// a provider reads:
//
//	provider  keys
//	twilio    secret (auth token), url
//	plivo     secret (auth token), url
//	vonage    secret (signature secret), signature_method, max_skew
//	kannel    token | username+password | app_key | header+header_value, dialect
//	jasmin    token | username+password | app_key | header+header_value, dialect
//	infobip   token | username+password | app_key | header+header_value
//	sinch     secret (HMAC key), max_skew; or token | username+password | header+header_value
//
// A key the provider does not read is an error, so a secret set under the
// wrong name is not silently ignored.
type WebhookConfig struct {
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

// webhookKeys are the keys each provider reads, in WebhookConfig order.
var webhookKeys = map[string][]string{
	"twilio":  {"secret", "url"},
	"plivo":   {"secret", "url"},
	"vonage":  {"secret", "signature_method", "max_skew"},
	"kannel":  {"dialect", "token", "username", "password", "app_key", "header", "header_value"},
	"jasmin":  {"dialect", "token", "username", "password", "app_key", "header", "header_value"},
	"infobip": {"token", "username", "password", "app_key", "header", "header_value"},
	"sinch":   {"secret", "max_skew", "token", "username", "password", "app_key", "header", "header_value"},
}

// WebhookProviders returns the providers NewWebhook builds, sorted.
func WebhookProviders() []string {
	out := make([]string, 0, len(webhookKeys))
	for p := range webhookKeys {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// NewWebhook builds the adapter of provider (one of WebhookProviders) from
// cfg, with the provider's constructor. Errors name the provider and the
// key that is missing, wrong, or not read by that provider.
func NewWebhook(provider string, cfg WebhookConfig) (channels.Webhook, error) {
	keys, ok := webhookKeys[provider]
	if !ok {
		return nil, fmt.Errorf("sms webhook: provider %q is not one of %s", provider, strings.Join(WebhookProviders(), ", "))
	}
	if err := cfg.onlyKeys(keys); err != nil {
		return nil, fmt.Errorf("%s webhook: %w", provider, err)
	}
	var (
		w   *Webhook
		err error
	)
	switch provider {
	case "twilio":
		w, err = NewTwilioWebhook(TwilioConfig{AuthToken: cfg.Secret, URL: cfg.URL})
	case "plivo":
		w, err = NewPlivoWebhook(PlivoConfig{AuthToken: cfg.Secret, URL: cfg.URL})
	case "vonage":
		w, err = NewVonageWebhook(VonageConfig{SignatureSecret: cfg.Secret, SignatureMethod: cfg.SignatureMethod, MaxSkew: cfg.MaxSkew})
	case "kannel":
		w, err = NewKannelWebhook(GatewayConfig{SharedSecret: cfg.SharedSecret, Dialect: cfg.Dialect})
	case "jasmin":
		w, err = NewJasminWebhook(GatewayConfig{SharedSecret: cfg.SharedSecret, Dialect: cfg.Dialect})
	case "infobip":
		w, err = NewInfobipWebhook(InfobipConfig{SharedSecret: cfg.SharedSecret})
	case "sinch":
		w, err = NewSinchWebhook(SinchConfig{Secret: cfg.Secret, MaxSkew: cfg.MaxSkew, SharedSecret: cfg.SharedSecret})
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

// Validate checks c for provider as NewWebhook does, without keeping the
// adapter; the error names the provider and the key.
func (c WebhookConfig) Validate(provider string) error {
	_, err := NewWebhook(provider, c)
	return err
}

// onlyKeys refuses a set key outside keys.
func (c WebhookConfig) onlyKeys(keys []string) error {
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
func (c WebhookConfig) Redacted() WebhookConfig {
	for _, s := range []*string{&c.Secret, &c.Token, &c.Password, &c.AppKey, &c.HeaderValue} {
		if *s != "" {
			*s = "********"
		}
	}
	return c
}
