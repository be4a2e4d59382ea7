package esp

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
)

// Provider names, as events carry them in channels.Event.Provider and as
// Config.Provider takes them.
const (
	ProviderSES       = "ses"
	ProviderSendGrid  = "sendgrid"
	ProviderMailgun   = "mailgun"
	ProviderPostmark  = "postmark"
	ProviderSparkPost = "sparkpost"
)

// Config is one webhook's configuration as cmd reads it (see the package
// doc for the keys). Each provider reads its own keys; New refuses keys the
// provider does not use, so a secret set under the wrong name is noticed.
type Config struct {
	// Provider is the provider's name; empty means the webhook's name.
	Provider string `koanf:"provider"`
	// TopicARNs lists the SNS topics an SES webhook accepts.
	TopicARNs []string `koanf:"topic_arns"`
	// PublicKey is SendGrid's signed event webhook verification key.
	PublicKey string `koanf:"public_key"`
	// SigningKey is Mailgun's HTTP webhook signing key.
	SigningKey string `koanf:"signing_key"`
	// Username and Password are the HTTP basic auth credentials a Postmark
	// or SparkPost webhook URL carries.
	Username string `koanf:"username"`
	Password string `koanf:"password"`
	// Token is SparkPost's webhook auth token.
	Token string `koanf:"token"`
	// MaxAge bounds the age of signature timestamps (SendGrid, Mailgun);
	// zero means DefaultMaxAge.
	MaxAge time.Duration `koanf:"max_age"`
}

// keysOf lists the keys of cfg that are set, by koanf name.
func (c Config) keysOf() []string {
	set := map[string]bool{
		"topic_arns": len(c.TopicARNs) > 0, "public_key": c.PublicKey != "",
		"signing_key": c.SigningKey != "", "username": c.Username != "",
		"password": c.Password != "", "token": c.Token != "", "max_age": c.MaxAge != 0,
	}
	var keys []string
	for k, on := range set {
		if on {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// providerKeys lists the keys each provider reads.
var providerKeys = map[string][]string{
	ProviderSES:       {"topic_arns"},
	ProviderSendGrid:  {"public_key", "max_age"},
	ProviderMailgun:   {"signing_key", "max_age"},
	ProviderPostmark:  {"username", "password"},
	ProviderSparkPost: {"token", "username", "password"},
}

// New builds the webhook adapter named name from cfg, for cmd to mount at
// POST /v1/webhooks/{name}. The provider is cfg.Provider, or name when it
// is empty. Errors name the webhook and the offending key.
func New(name string, cfg Config) (channels.Webhook, error) {
	p := strings.ToLower(strings.TrimSpace(firstOf(cfg.Provider, name)))
	allowed, ok := providerKeys[p]
	if !ok {
		return nil, fmt.Errorf("webhook %s: provider %q is not one of ses, sendgrid, mailgun, postmark, sparkpost", name, p)
	}
	for _, k := range cfg.keysOf() {
		if !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("webhook %s: key %s is not used by provider %s", name, k, p)
		}
	}
	var (
		h   channels.Webhook
		err error
	)
	switch p {
	case ProviderSES:
		h, err = NewSES(SESConfig{TopicARNs: cfg.TopicARNs})
	case ProviderSendGrid:
		h, err = NewSendGrid(SendGridConfig{PublicKey: cfg.PublicKey, MaxAge: cfg.MaxAge})
	case ProviderMailgun:
		h, err = NewMailgun(MailgunConfig{SigningKey: cfg.SigningKey, MaxAge: cfg.MaxAge})
	case ProviderPostmark:
		h, err = NewPostmark(PostmarkConfig{Username: cfg.Username, Password: cfg.Password})
	case ProviderSparkPost:
		h, err = NewSparkPost(SparkPostConfig{Token: cfg.Token, Username: cfg.Username, Password: cfg.Password})
	}
	if err != nil {
		return nil, fmt.Errorf("webhook %s: %w", name, err)
	}
	return h, nil
}

// nowFunc returns f, or time.Now when f is nil.
func nowFunc(f func() time.Time) func() time.Time {
	if f == nil {
		return time.Now
	}
	return f
}

// maxAgeOr returns d, or DefaultMaxAge when d is not positive.
func maxAgeOr(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultMaxAge
	}
	return d
}
