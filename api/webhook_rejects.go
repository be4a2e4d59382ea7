package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/rebond/rebond/channels"
)

// RejectKeeper keeps a payload rebond refused, with why, for an operator
// to read (store.Store: the rejected_events table).
type RejectKeeper interface {
	InsertRejected(ctx context.Context, source, reason string, payload []byte) error
}

// Bounds on the refused webhook payloads kept: each is cut at
// maxRejectedBytes, and each webhook keeps at most rejectsPerSecond of
// them (a burst of rejectsBurst), so a sender of junk, who may not even
// have passed the signature check, cannot fill the table.
const (
	maxRejectedBytes = 64 << 10
	rejectsPerSecond = 1
	rejectsBurst     = 20
)

// keepRejected stores a webhook payload its adapter refused as malformed,
// or found unusable (channels.WebhookResult.Unusable), with the reason,
// under source "webhook:<name>": the body, or for a
// callback that has none (a GET dlr-url), its query without secrets. A
// failure to keep it is logged; the provider's answer does not change.
func (s *Server) keepRejected(r *http.Request, name string, body []byte, why error) {
	if s.cfg.Rejects == nil || !s.rejects.allow(name, "") {
		return
	}
	payload := body
	if len(payload) == 0 && r.URL != nil {
		q := r.URL.Query()
		for k := range q {
			// A gateway's dlr-url carries its shared secret in the query.
			if channels.SecretParam(k) {
				q.Del(k)
			}
		}
		payload = []byte(r.Method + " " + r.URL.Path + "?" + url.Values(q).Encode())
	}
	if len(payload) > maxRejectedBytes {
		payload = payload[:maxRejectedBytes]
	}
	reason := why.Error()
	if len(reason) > 1024 {
		reason = reason[:1024]
	}
	if err := s.cfg.Rejects.InsertRejected(context.WithoutCancel(r.Context()), "webhook:"+name, reason, payload); err != nil {
		s.log.WarnContext(r.Context(), "refused webhook payload not kept", "webhook", name, "error", err)
	}
}
