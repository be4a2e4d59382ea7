package main

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// minSecretBytes is the shortest secret rebond accepts in its
// configuration: 16 bytes (128 bits when random) is out of reach of an
// online guess, even unthrottled, and below what every provider issues
// (Twilio and Plivo auth tokens are 32 and 40 characters, Mailgun signing
// keys 32 hex digits and more).
const minSecretBytes = 16

// placeholderPrefix starts the example secrets of configs/rebond.yaml: they
// are long enough to pass minSecretBytes and public, so an example
// uncommented without being edited is refused rather than run with them.
const placeholderPrefix = "replace-with-"

// shortSecrets names every configured secret shorter than minSecretBytes:
// the admin token, the VERP key, the consent key, the embedded NATS
// password, the alert webhooks' signing secrets, and every webhook key that authenticates
// a caller (secret, token, password, app_key, header_value, signing_key).
// Not checked, by decision: SMPP passwords (SMPP 3.4 section 5.2.1 caps
// them at 8 octets, so the SMSC sets them), SendGrid's public_key (public),
// user names, the passwords inside database, Redis and NATS URLs and of
// alert SMTP relays (those services enforce their own).
func (c Config) shortSecrets() error {
	var errs []error
	check := func(key, v string) {
		if strings.HasPrefix(v, placeholderPrefix) {
			errs = append(errs, fmt.Errorf("%s: %q is the placeholder of configs/rebond.yaml's example, known to anyone who reads it; set the provider's own secret", key, v))
			return
		}
		if v != "" && len(v) < minSecretBytes {
			errs = append(errs, fmt.Errorf("%s: %d bytes; a secret needs at least %d (e.g. openssl rand -hex 24)", key, len(v), minSecretBytes))
		}
	}
	check("admin_token", c.AdminToken)
	check("email.verp_secret", c.Email.VERPSecret)
	check("consent.secret", c.Consent.Secret)
	check("nats.embedded_password", c.NATS.EmbeddedPassword)
	for i, d := range c.Alerts.Destinations {
		check(fmt.Sprintf("alerts.destinations[%d] (%s).secret", i, d.Name), d.Secret)
	}
	names := make([]string, 0, len(c.Webhooks))
	for name := range c.Webhooks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		keys := make([]string, 0, len(c.Webhooks[name]))
		for k := range c.Webhooks[name] {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if v, ok := c.Webhooks[name][k].(string); ok && webhookSecretKey(k) {
				check("webhooks."+name+"."+k, v)
			}
		}
	}
	return errors.Join(errs...)
}

// webhookSecretKey says whether a webhook key holds a secret that
// authenticates the provider's calls.
func webhookSecretKey(k string) bool {
	switch k {
	case "secret", "token", "password", "app_key", "header_value", "signing_key":
		return true
	}
	return false
}

// validateServe checks what serve needs beyond Validate, for the roles it
// runs; `rebond config` runs it for every role, so it refuses what serve
// would.
func (c Config) validateServe(roles []string) error {
	if !slices.Contains(roles, "api") {
		return nil
	}
	if c.AdminToken == "" {
		return errors.New("admin_token: required to serve the API (set REBOND_ADMIN_TOKEN)")
	}
	if _, err := buildWebhooks(c.Webhooks); err != nil {
		return err
	}
	return nil
}
