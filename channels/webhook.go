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

// HeaderAuthenticator is a Webhook that can authenticate some calls from
// their URL and headers alone (HTTP Basic credentials, a token in the
// callback URL, an API key header), so the HTTP package knows whether a
// caller is genuine before it reads a body of up to its largest size.
// Handle still checks every call in full.
type HeaderAuthenticator interface {
	// AuthenticateHeaders returns nil when r's URL and headers
	// authenticate it, an error wrapping ErrUnauthorized when they carry
	// wrong credentials or none where the body cannot carry any, and
	// ErrNeedBody when only the body can tell (a signature over it).
	AuthenticateHeaders(r *http.Request) error
}

// ErrNeedBody says a webhook call can only be authenticated with its body
// (HeaderAuthenticator).
var ErrNeedBody = errors.New("authentication needs the body")

// AuthenticateHeaders runs hook's HeaderAuthenticator, or answers
// ErrNeedBody for an adapter that has none.
func AuthenticateHeaders(hook Webhook, r *http.Request) error {
	if h, ok := hook.(HeaderAuthenticator); ok {
		return h.AuthenticateHeaders(r)
	}
	return ErrNeedBody
}

// WebhookResult is what a webhook call produced.
type WebhookResult struct {
	// Events to publish; may be empty (a notification with nothing to
	// report, an SNS subscription confirmation).
	Events []Event
	// Body and ContentType of the success answer. Both empty mean the
	// default JSON {"accepted": n}; a ContentType with an empty Body, an
	// empty answer (a Kannel sms-service sends any answer back to the
	// subscriber as an SMS). Some providers require an exact answer
	// (Jasmin: "ACK/Jasmin"; Twilio's TwiML <Response/>).
	Body        string
	ContentType string
	// Unusable, when set, says why an authenticated, well-formed payload
	// gives no event although it reports outcomes: it reports them in a
	// form that names no delivery (a Sinch "summary" report counts
	// outcomes per status, without recipients). Delivering it again
	// would not change that, so the HTTP package answers as for success,
	// and keeps the payload with this reason (rejected_events) and logs
	// it, for an operator to see and change the provider's settings.
	Unusable string
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

// AuthenticateHeaders is the adapter's (HeaderAuthenticator).
func (t tenantWebhook) AuthenticateHeaders(r *http.Request) error {
	return AuthenticateHeaders(t.hook, r)
}

// Handle runs the adapter and stamps its events.
func (t tenantWebhook) Handle(r *http.Request, body []byte) (WebhookResult, error) {
	res, err := t.hook.Handle(r, body)
	for i := range res.Events {
		res.Events[i].Tenant = t.tenant
	}
	return res, err
}
