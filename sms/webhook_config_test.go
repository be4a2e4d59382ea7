package sms_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/sms"
)

func TestNewWebhook(t *testing.T) {
	t.Parallel()
	shared := sms.SharedSecret{Token: gatewayToken}
	tests := []struct {
		name, provider string
		cfg            sms.WebhookConfig
		wantErr        string // "" = builds
	}{
		{"twilio", "twilio", sms.WebhookConfig{Secret: twilioToken, URL: twilioURL}, ""},
		{"plivo without url", "plivo", sms.WebhookConfig{Secret: plivoToken}, ""},
		{"vonage", "vonage", sms.WebhookConfig{Secret: vonageSecret, SignatureMethod: "sha512", MaxSkew: time.Minute}, ""},
		{"kannel", "kannel", sms.WebhookConfig{SharedSecret: shared, Dialect: "map"}, ""},
		{"jasmin", "jasmin", sms.WebhookConfig{SharedSecret: shared}, ""},
		{"infobip app key", "infobip", sms.WebhookConfig{SharedSecret: sms.SharedSecret{AppKey: infobipKey}}, ""},
		{"sinch hmac", "sinch", sms.WebhookConfig{Secret: sinchSecret}, ""},
		{"sinch basic", "sinch", sms.WebhookConfig{SharedSecret: sms.SharedSecret{Username: "u", Password: gatewayToken}}, ""},
		{"unknown provider", "nexmo", sms.WebhookConfig{Secret: "x"}, `provider "nexmo" is not one of infobip, jasmin, kannel, plivo, sinch, twilio, vonage`},
		{"twilio without secret", "twilio", sms.WebhookConfig{}, "twilio webhook: secret (the auth token): required"},
		{"twilio with a relative url", "twilio", sms.WebhookConfig{Secret: twilioToken, URL: "/v1/webhooks/twilio"}, "url: not an absolute"},
		{"twilio given a token", "twilio", sms.WebhookConfig{Secret: twilioToken, SharedSecret: shared}, "twilio webhook: token: not read by this provider"},
		{"vonage unknown method", "vonage", sms.WebhookConfig{Secret: vonageSecret, SignatureMethod: "sha3"}, `signature_method: "sha3"`},
		{"vonage negative skew", "vonage", sms.WebhookConfig{Secret: vonageSecret, MaxSkew: -time.Second}, "max_skew: negative"},
		{"kannel without a secret", "kannel", sms.WebhookConfig{Dialect: "map"}, "one is required"},
		{"kannel short token", "kannel", sms.WebhookConfig{SharedSecret: sms.SharedSecret{Token: "secret"}}, "token: shorter than 16 bytes"},
		{"kannel given a url", "kannel", sms.WebhookConfig{SharedSecret: shared, URL: twilioURL}, "url: not read"},
		{"jasmin user without password", "jasmin", sms.WebhookConfig{SharedSecret: sms.SharedSecret{Token: gatewayToken, Username: "u"}}, "password: required with username"},
		{"infobip header without value", "infobip", sms.WebhookConfig{SharedSecret: sms.SharedSecret{Token: gatewayToken, Header: "X-Secret"}}, "header and header_value"},
		{"infobip bad header name", "infobip", sms.WebhookConfig{SharedSecret: sms.SharedSecret{Header: "X Secret", HeaderValue: gatewayToken}}, `header: "X Secret"`},
		{"sinch with both", "sinch", sms.WebhookConfig{Secret: sinchSecret, SharedSecret: shared}, "set one"},
		{"sinch with neither", "sinch", sms.WebhookConfig{}, "one is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hook, err := sms.NewWebhook(tt.provider, tt.cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("NewWebhook: %v", err)
			case tt.wantErr == "" && hook.(*sms.Webhook).Provider() != tt.provider:
				t.Errorf("provider %s, want %s", hook.(*sms.Webhook).Provider(), tt.provider)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("NewWebhook: %v, want an error containing %q", err, tt.wantErr)
			case tt.wantErr != "" && hook != nil:
				t.Errorf("NewWebhook returned %v with its error", hook)
			}
		})
	}
}

func TestWebhookConfigRedacted(t *testing.T) {
	t.Parallel()
	cfg := sms.WebhookConfig{Secret: "s", URL: twilioURL, Dialect: "map",
		SharedSecret: sms.SharedSecret{Token: "t", Username: "u", Password: "p", AppKey: "k", Header: "X-H", HeaderValue: "v"}}
	want := sms.WebhookConfig{Secret: "********", URL: twilioURL, Dialect: "map",
		SharedSecret: sms.SharedSecret{Token: "********", Username: "u", Password: "********", AppKey: "********", Header: "X-H", HeaderValue: "********"}}
	if diff := cmp.Diff(want, cfg.Redacted()); diff != "" {
		t.Errorf("Redacted (-want +got):\n%s", diff)
	}
	if cfg.Secret != "s" {
		t.Error("Redacted changed its receiver")
	}
}
