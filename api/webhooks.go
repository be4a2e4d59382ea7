package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/rebond/rebond/channels"
)

// routeWebhook registers a webhook route, its failed authentications
// throttled like the bearer token's: a provider's notifications, or with
// inbound its mobile-originated messages (Config.InboundWebhooks).
func (s *Server) routeWebhook(mux *http.ServeMux, pattern string, inbound bool) {
	h := s.throttleFailures(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.postWebhook(w, r, inbound); err != nil {
			s.fail(w, r, err)
		}
	}))
	mux.Handle(pattern, s.observe(pattern, s.recover(h)))
	s.patterns = append(s.patterns, pattern)
}

// readWebhookBody reads a webhook call's body, authenticating it first
// when its URL and headers can (channels.HeaderAuthenticator): a caller
// with wrong credentials is refused before its body is read, and a
// genuine one may send up to MaxBodyBytes. A body only its own content
// can authenticate (a signature over it) takes one of the
// WebhookUnverifiedReads slots (503 when none is free) and at most
// WebhookUnverifiedBytes, so unauthenticated callers hold little memory
// however many they are.
func (s *Server) readWebhookBody(w http.ResponseWriter, r *http.Request, name string, hook channels.Webhook) (body []byte, release func(), err error) {
	limit, release := s.cfg.MaxBodyBytes, func() {}
	switch err := channels.AuthenticateHeaders(hook, r); {
	case err == nil:
	case errors.Is(err, channels.ErrNeedBody):
		select {
		case s.unverified <- struct{}{}:
			release = func() { <-s.unverified }
		default:
			s.metrics.webhooks.WithLabelValues(name, "busy").Inc()
			w.Header().Set("Retry-After", "1")
			return nil, nil, errorf(http.StatusServiceUnavailable, "webhook %s: too many unauthenticated calls at once; deliver again later", name)
		}
		limit = s.cfg.WebhookUnverifiedBytes
	default:
		return nil, nil, s.webhookRefused(r, name, err)
	}
	body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		release()
		return nil, nil, bodyError(err)
	}
	return body, release, nil
}

// webhookRefused logs and counts a failed authentication and answers 401.
func (s *Server) webhookRefused(r *http.Request, name string, err error) error {
	s.log.WarnContext(r.Context(), "webhook refused", "webhook", name, "error", err)
	s.metrics.webhooks.WithLabelValues(name, "unauthorized").Inc()
	return errorf(http.StatusUnauthorized, "webhook %s: authentication failed", name)
}

// postWebhook serves POST /v1/webhooks/{name}: a provider's notification,
// authenticated by the adapter (signatures, shared secrets) rather than by
// the bearer token providers cannot send; and, inbound, POST
// /v1/webhooks/{name}/inbound: the same provider's mobile-originated
// messages, named "<name>/inbound" in logs, metrics and rejected_events.
// Events are published before the answer, so a 2xx means the events are
// durable; any failure is a non-2xx and the provider delivers again (the
// event ids make that count once).
func (s *Server) postWebhook(w http.ResponseWriter, r *http.Request, inbound bool) error {
	name, hooks := r.PathValue("name"), s.cfg.Webhooks
	if inbound {
		name, hooks = name+"/inbound", s.cfg.InboundWebhooks
	}
	hook, ok := hooks[r.PathValue("name")]
	if !ok {
		return errorf(http.StatusNotFound, "no webhook %q is configured", name)
	}
	body, release, err := s.readWebhookBody(w, r, name, hook)
	if err != nil {
		return err
	}
	// The slot of an unauthenticated body is held while the body is.
	defer release()
	res, err := hook.Handle(r, body)
	switch {
	case errors.Is(err, channels.ErrUnauthorized):
		return s.webhookRefused(r, name, err)
	case errors.Is(err, channels.ErrMalformed):
		s.log.InfoContext(r.Context(), "webhook payload refused", "webhook", name, "error", err)
		s.metrics.webhooks.WithLabelValues(name, "malformed").Inc()
		s.keepRejected(r, name, body, err)
		return errorf(http.StatusBadRequest, "webhook %s: %v", name, err)
	case err != nil:
		s.metrics.webhooks.WithLabelValues(name, "error").Inc()
		return fmt.Errorf("webhook %s: %w", name, err)
	}
	// A payload may name one fact twice (a provider batch repeating an
	// event): it is stored once, and the answer counts what is stored.
	res.Events = distinctEvents(res.Events)
	if len(res.Events) > 0 {
		if err := s.pub.Publish(r.Context(), res.Events); err != nil {
			s.log.WarnContext(r.Context(), "publish failed; webhook refused", "webhook", name, "events", len(res.Events), "error", err)
			return errorf(http.StatusServiceUnavailable, "event bus unavailable; deliver again later")
		}
	}
	s.count(res.Events, 0)
	if res.Unusable != "" {
		s.log.WarnContext(r.Context(), "webhook payload gives no event: it names no delivery", "webhook", name, "reason", res.Unusable)
		s.metrics.webhooks.WithLabelValues(name, "unusable").Inc()
		s.keepRejected(r, name, body, errors.New(res.Unusable))
	} else {
		s.metrics.webhooks.WithLabelValues(name, "accepted").Inc()
	}
	if res.Body == "" && res.ContentType == "" {
		writeJSON(w, http.StatusOK, map[string]int{"accepted": len(res.Events)})
		return nil
	}
	ct := res.ContentType
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, res.Body)
	return nil
}

// distinctEvents drops the events whose key an earlier one of evs has,
// keeping the order.
func distinctEvents(evs []channels.Event) []channels.Event {
	if len(evs) < 2 {
		return evs
	}
	seen := make(map[string]bool, len(evs))
	out := evs[:0:0]
	for _, e := range evs {
		if k := e.Key(); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}
