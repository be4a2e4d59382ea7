package dlr_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rebond/rebond/sms/dlr"
)

func TestNew(t *testing.T) {
	t.Parallel()
	shared := dlr.SharedSecret{Token: gatewayToken}
	tests := []struct {
		name, provider string
		cfg            dlr.Config
		wantErr        string // "" = builds
	}{
		{"twilio", "twilio", dlr.Config{Secret: twilioToken, URL: twilioURL}, ""},
		{"plivo without url", "plivo", dlr.Config{Secret: plivoToken}, ""},
		{"vonage", "vonage", dlr.Config{Secret: vonageSecret, SignatureMethod: "sha512", MaxSkew: time.Minute}, ""},
		{"kannel", "kannel", dlr.Config{SharedSecret: shared, Dialect: "map"}, ""},
		{"jasmin", "jasmin", dlr.Config{SharedSecret: shared}, ""},
		{"infobip app key", "infobip", dlr.Config{SharedSecret: dlr.SharedSecret{AppKey: infobipKey}}, ""},
		{"sinch hmac", "sinch", dlr.Config{Secret: sinchSecret}, ""},
		{"sinch basic", "sinch", dlr.Config{SharedSecret: dlr.SharedSecret{Username: "u", Password: gatewayToken}}, ""},
		{"unknown provider", "nexmo", dlr.Config{Secret: "x"}, `provider "nexmo" is not one of infobip, jasmin, kannel, plivo, sinch, twilio, vonage`},
		{"twilio without secret", "twilio", dlr.Config{}, "twilio webhook: secret (the auth token): required"},
		{"twilio with a relative url", "twilio", dlr.Config{Secret: twilioToken, URL: "/v1/webhooks/twilio"}, "url: not an absolute"},
		{"twilio given a token", "twilio", dlr.Config{Secret: twilioToken, SharedSecret: shared}, "twilio webhook: token: not read by this provider"},
		{"vonage unknown method", "vonage", dlr.Config{Secret: vonageSecret, SignatureMethod: "sha3"}, `signature_method: "sha3"`},
		{"vonage negative skew", "vonage", dlr.Config{Secret: vonageSecret, MaxSkew: -time.Second}, "max_skew: negative"},
		{"kannel without a secret", "kannel", dlr.Config{Dialect: "map"}, "one is required"},
		{"kannel short token", "kannel", dlr.Config{SharedSecret: dlr.SharedSecret{Token: "secret"}}, "token: shorter than 16 bytes"},
		{"kannel given a url", "kannel", dlr.Config{SharedSecret: shared, URL: twilioURL}, "url: not read"},
		{"jasmin user without password", "jasmin", dlr.Config{SharedSecret: dlr.SharedSecret{Token: gatewayToken, Username: "u"}}, "password: required with username"},
		{"infobip header without value", "infobip", dlr.Config{SharedSecret: dlr.SharedSecret{Token: gatewayToken, Header: "X-Secret"}}, "header and header_value"},
		{"infobip bad header name", "infobip", dlr.Config{SharedSecret: dlr.SharedSecret{Header: "X Secret", HeaderValue: gatewayToken}}, `header: "X Secret"`},
		{"sinch with both", "sinch", dlr.Config{Secret: sinchSecret, SharedSecret: shared}, "set one"},
		{"sinch with neither", "sinch", dlr.Config{}, "one is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hook, err := dlr.New(tt.provider, tt.cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr == "" && hook.(*dlr.Webhook).Provider() != tt.provider:
				t.Errorf("provider %s, want %s", hook.(*dlr.Webhook).Provider(), tt.provider)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("New: %v, want an error containing %q", err, tt.wantErr)
			case tt.wantErr != "" && hook != nil:
				t.Errorf("New returned %v with its error", hook)
			}
		})
	}
}

func TestConfigRedacted(t *testing.T) {
	t.Parallel()
	cfg := dlr.Config{Secret: "s", URL: twilioURL, Dialect: "map",
		SharedSecret: dlr.SharedSecret{Token: "t", Username: "u", Password: "p", AppKey: "k", Header: "X-H", HeaderValue: "v"}}
	want := dlr.Config{Secret: "********", URL: twilioURL, Dialect: "map",
		SharedSecret: dlr.SharedSecret{Token: "********", Username: "u", Password: "********", AppKey: "********", Header: "X-H", HeaderValue: "********"}}
	if diff := cmp.Diff(want, cfg.Redacted()); diff != "" {
		t.Errorf("Redacted (-want +got):\n%s", diff)
	}
	if cfg.Secret != "s" {
		t.Error("Redacted changed its receiver")
	}
}
