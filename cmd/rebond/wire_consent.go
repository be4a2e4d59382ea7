package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rebond/rebond/api"
	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/consent"
)

// ConsentConfig is the consent section: the keys and URLs of one-click
// unsubscribe and double opt-in, and which exclusion checks require a
// confirmed consent (configs/rebond.yaml documents every key).
type ConsentConfig struct {
	// BaseURL is the public origin of the consent URLs (empty:
	// http://<http.addr>).
	BaseURL string `koanf:"base_url"`
	// Secret is the default tenant's consent key, TenantSecrets the
	// others'; a tenant without one derives it from its email key.
	Secret        string            `koanf:"secret"`
	TenantSecrets map[string]string `koanf:"tenant_secrets"`
	ConfirmTTL    time.Duration     `koanf:"confirm_ttl"`
	MaxConfirmTTL time.Duration     `koanf:"max_confirm_ttl"`
	// RequireConfirmed is consent.Policy's, by tenant.
	RequireConfirmed map[string]consent.Requirement `koanf:"require_confirmed"`
	PublicRateLimit  float64                        `koanf:"public_rate_limit"`
	PublicBurst      int                            `koanf:"public_burst"`
}

// validate names the consent key at fault.
func (c ConsentConfig) validate() error {
	var errs []error
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("consent.base_url: %q is not an http(s) origin", c.BaseURL))
		}
	}
	for t, secret := range c.TenantSecrets {
		if !channels.ValidTenant(t) || t == channels.DefaultTenant {
			errs = append(errs, fmt.Errorf("consent.tenant_secrets.%s: not a tenant name other than %s (consent.secret is its key)", t, channels.DefaultTenant))
		}
		if len(secret) < minTenantSecret {
			errs = append(errs, fmt.Errorf("consent.tenant_secrets.%s: at least %d bytes", t, minTenantSecret))
		}
	}
	if c.ConfirmTTL <= 0 || c.MaxConfirmTTL < c.ConfirmTTL {
		errs = append(errs, fmt.Errorf("consent.confirm_ttl, consent.max_confirm_ttl: %v and %v; want 0 < confirm_ttl <= max_confirm_ttl", c.ConfirmTTL, c.MaxConfirmTTL))
	}
	if err := (consent.Policy{RequireConfirmed: c.RequireConfirmed}).Validate(); err != nil {
		errs = append(errs, fmt.Errorf("consent.%w", err))
	}
	return errors.Join(errs...)
}

// consentKeys are the tenants' consent keys: consent.secret and
// consent.tenant_secrets; a tenant with none of its own and an email key
// (mailKeys) derives it from that (consent.DeriveKey).
func consentKeys(cfg Config) consent.Keys {
	keys := consent.Keys{}
	for t, k := range mailKeys(cfg) {
		keys[t] = consent.DeriveKey(k)
	}
	if cfg.Consent.Secret != "" {
		keys[channels.DefaultTenant] = []byte(cfg.Consent.Secret)
	}
	for t, k := range cfg.Consent.TenantSecrets {
		keys[t] = []byte(k)
	}
	return keys
}

// mailtoDomains maps each tenant to the first SMTP listener domain that
// receives its mail (smtp.domains, smtp.tenants): where its mailto:
// unsubscribe address is. None while the listener is off.
func mailtoDomains(cfg Config) map[string]string {
	out := map[string]string{}
	for _, d := range cfg.SMTP.Domains {
		t := cfg.SMTP.Tenants[d]
		if t == "" {
			t = channels.DefaultTenant
		}
		if _, ok := out[t]; !ok {
			out[t] = strings.ToLower(d)
		}
	}
	return out
}

// consentBaseURL is consent.base_url, else the API's own address.
func consentBaseURL(cfg Config) string {
	if cfg.Consent.BaseURL != "" {
		return cfg.Consent.BaseURL
	}
	return "http://" + cfg.HTTP.Addr
}

// apiConsent is the API's consent configuration.
func apiConsent(cfg Config) api.ConsentConfig {
	c := cfg.Consent
	return api.ConsentConfig{Keys: consentKeys(cfg).Of, BaseURL: consentBaseURL(cfg), MailtoDomains: mailtoDomains(cfg),
		Policy: consent.Policy{RequireConfirmed: c.RequireConfirmed}, ConfirmTTL: c.ConfirmTTL, MaxConfirmTTL: c.MaxConfirmTTL,
		PublicRate: c.PublicRateLimit, PublicBurst: c.PublicBurst}
}
