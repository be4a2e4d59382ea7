package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/rebond/rebond/channels"
)

// postWebhook serves POST /v1/webhooks/{name}: a provider's notification,
// authenticated by the adapter (signatures, shared secrets) rather than by
// the bearer token providers cannot send. Events are published before the
// answer, so a 2xx means the events are durable; any failure is a non-2xx
// and the provider delivers again (the event ids make that count once).
func (s *Server) postWebhook(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	hook, ok := s.cfg.Webhooks[name]
	if !ok {
		return errorf(http.StatusNotFound, "no webhook %q is configured", name)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		return bodyError(err)
	}
	res, err := hook.Handle(r, body)
	switch {
	case errors.Is(err, channels.ErrUnauthorized):
		s.log.WarnContext(r.Context(), "webhook refused", "webhook", name, "error", err)
		s.metrics.webhooks.WithLabelValues(name, "unauthorized").Inc()
		return errorf(http.StatusUnauthorized, "webhook %s: authentication failed", name)
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
	s.metrics.webhooks.WithLabelValues(name, "accepted").Inc()
	if res.Body == "" {
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
