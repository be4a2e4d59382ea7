package channels

import (
	"errors"
	"fmt"
	"net/http"
)

// Webhook turns one provider's HTTP notifications (ESP event webhooks, SMS
// delivery-receipt callbacks) into events. Adapters live in the channel
// packages (email/esp/..., sms/...); the HTTP package mounts them at
// POST /v1/webhooks/{name} and cmd wires them from configuration, so an
// adapter never imports the HTTP package and adapters never import each
// other.
//
// The HTTP package reads the body (bounded) before calling Handle, publishes
// the returned events and only then answers with the result's body: a
// provider that gets no 2xx delivers again, and the events' ids (derived
// from the provider's own event ids) make the second delivery count once.
type Webhook interface {
	// Handle authenticates the request (signature, shared secret) and
	// decodes body. Errors: ErrUnauthorized (wrapped) for a failed
	// authentication, ErrMalformed (wrapped, e.g. a *FieldError) for a
	// payload it cannot read; anything else is a server error.
	Handle(r *http.Request, body []byte) (WebhookResult, error)
}

// WebhookResult is what a webhook call produced.
type WebhookResult struct {
	// Events to publish; may be empty (a notification with nothing to
	// report, an SNS subscription confirmation).
	Events []Event
	// Body and ContentType of the success answer. Empty Body means the
	// default JSON {"accepted": n}. Some providers require an exact answer
	// (Jasmin: "ACK/Jasmin").
	Body        string
	ContentType string
}

// ErrUnauthorized marks a webhook call whose signature or secret did not
// verify. The HTTP package answers 401 and logs why, without echoing the
// reason to the caller.
var ErrUnauthorized = errors.New("unauthorized")

// Unauthorized wraps ErrUnauthorized with the reason, for the log.
func Unauthorized(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnauthorized, fmt.Sprintf(format, args...))
}

// ForTenant returns hook with every event it produces stamped with
// tenant (nothing changes for the default tenant or an empty name). A
// webhook is authenticated by its provider's signature, not by a token,
// so its configuration says whose notifications it receives.
func ForTenant(hook Webhook, tenant string) Webhook {
	if tenant == "" || tenant == DefaultTenant {
		return hook
	}
	return tenantWebhook{hook: hook, tenant: tenant}
}

type tenantWebhook struct {
	hook   Webhook
	tenant string
}

// Handle runs the adapter and stamps its events.
func (t tenantWebhook) Handle(r *http.Request, body []byte) (WebhookResult, error) {
	res, err := t.hook.Handle(r, body)
	for i := range res.Events {
		res.Events[i].Tenant = t.tenant
	}
	return res, err
}
