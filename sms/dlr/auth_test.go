package dlr

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/rebond/rebond/channels"
)

// TestAuthenticateHeaders: a shared secret is checked on the URL and
// headers, before any body is read; a signature needs the body.
func TestAuthenticateHeaders(t *testing.T) {
	t.Parallel()
	const token = "0123456789abcdef0123"
	kannel, err := NewKannel(GatewayConfig{SharedSecret: SharedSecret{Token: token}})
	if err != nil {
		t.Fatal(err)
	}
	basic, err := NewInfobip(InfobipConfig{SharedSecret: SharedSecret{Username: "u", Password: token}})
	if err != nil {
		t.Fatal(err)
	}
	twilio, err := NewTwilio(TwilioConfig{AuthToken: token, URL: "https://r.example/v1/webhooks/tw"})
	if err != nil {
		t.Fatal(err)
	}
	withBasic := httptest.NewRequest("POST", "/v1/webhooks/ib", nil)
	withBasic.SetBasicAuth("u", token)
	wrongBasic := httptest.NewRequest("POST", "/v1/webhooks/ib", nil)
	wrongBasic.SetBasicAuth("u", "guess-guess-guess-guess")
	tests := []struct {
		name string
		hook *Webhook
		path string
		want error
	}{
		{"kannel token", kannel, "/v1/webhooks/kannel?token=" + token + "&type=1", nil},
		{"kannel wrong token", kannel, "/v1/webhooks/kannel?token=guess&type=1", channels.ErrUnauthorized},
		{"kannel no token", kannel, "/v1/webhooks/kannel?type=1", channels.ErrUnauthorized},
		{"twilio signs its body", twilio, "/v1/webhooks/tw", channels.ErrNeedBody},
	}
	for _, tc := range tests {
		err := tc.hook.AuthenticateHeaders(httptest.NewRequest("POST", tc.path, nil))
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := basic.AuthenticateHeaders(withBasic); err != nil {
		t.Errorf("basic: %v", err)
	}
	if err := basic.AuthenticateHeaders(wrongBasic); !errors.Is(err, channels.ErrUnauthorized) {
		t.Errorf("wrong basic: %v", err)
	}
	// Through the tenant wrapper too.
	if err := channels.AuthenticateHeaders(channels.ForTenant(kannel, "acme"), httptest.NewRequest("POST", "/v1/webhooks/kannel?type=1", nil)); !errors.Is(err, channels.ErrUnauthorized) {
		t.Errorf("tenant wrapper: %v", err)
	}
}
