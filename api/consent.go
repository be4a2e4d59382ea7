package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/consent"
	"github.com/rebond/rebond/store"
)

// ConsentConfig configures consent: the URLs rebond signs for senders and
// the public pages recipients reach through them.
type ConsentConfig struct {
	// Keys returns a tenant's consent key (consent.Keys.Of); nil turns
	// consent off: the URL routes answer 501 and the public pages 404.
	Keys consent.KeyOf
	// BaseURL is the public origin the URLs start with
	// (https://rebond.example.com): where recipients reach the API.
	BaseURL string
	// MailtoDomains maps a tenant to the domain of its RFC 2369 mailto:
	// unsubscribe address (one of the SMTP listener's); a tenant without
	// one gets no mailto: URI.
	MailtoDomains map[string]string
	// Policy says which exclusion checks require a confirmed consent.
	Policy consent.Policy
	// ConfirmTTL is how long a confirmation link lives when the request
	// does not say (default 72 h); MaxConfirmTTL the longest it may ask
	// (default 30 days).
	ConfirmTTL, MaxConfirmTTL time.Duration
	// PublicRate and PublicBurst bound the requests per second of each
	// client address to the public pages (default 20, burst 100;
	// negative: no bound). One-click POSTs come from mailbox providers'
	// servers, few addresses for many recipients: keep it generous.
	PublicRate  float64
	PublicBurst int
}

func (c ConsentConfig) withDefaults() ConsentConfig {
	if c.ConfirmTTL <= 0 {
		c.ConfirmTTL = 72 * time.Hour
	}
	if c.MaxConfirmTTL <= 0 {
		c.MaxConfirmTTL = 30 * 24 * time.Hour
	}
	if c.PublicRate == 0 {
		c.PublicRate, c.PublicBurst = 20, max(c.PublicBurst, 100)
	}
	return c
}

// ConsentReader reads consents: the second half of an exclusion check
// and the export (store.Store implements it).
type ConsentReader interface {
	ConsentExclusions(ctx context.Context, c store.ConsentCheck, xs []store.Exclusion) error
	Consents(ctx context.Context, q store.ConsentsQuery) (store.ConsentPage, error)
}

// linkRequest asks for a recipient's consent URL: an unsubscribe URL
// (POST /v1/consent/unsubscribe) or a confirmation (POST
// /v1/consent/requests, with TTL).
type linkRequest struct {
	Channel   channels.Channel `json:"channel"`
	Recipient string           `json:"recipient"`
	Scope     channels.Scope   `json:"scope"`
	List      string           `json:"list"`
	Campaign  string           `json:"campaign"`
	MessageID string           `json:"message_id"`
	// TTL is a confirmation's life, a Go duration ("72h").
	TTL string `json:"ttl"`
}

// unsubscribeLink is the answer for one unsubscribe URL: the URL, the
// mailto: URI and both header values to put on the message.
type unsubscribeLink struct {
	Recipient           string `json:"recipient"`
	Token               string `json:"token"`
	URL                 string `json:"url"`
	Mailto              string `json:"mailto,omitempty"`
	ListUnsubscribe     string `json:"list_unsubscribe"`
	ListUnsubscribePost string `json:"list_unsubscribe_post"`
}

// confirmationLink is the answer for a double opt-in request.
type confirmationLink struct {
	Recipient string    `json:"recipient"`
	Token     string    `json:"token"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// consentKey returns the request tenant's consent key, or the error that
// says why there is none.
func (s *Server) consentKey(ctx context.Context) ([]byte, error) {
	if s.cfg.Consent.Keys == nil {
		return nil, errorf(http.StatusNotImplemented, "consent is not configured")
	}
	key := s.cfg.Consent.Keys(channels.Tenant(ctx))
	if len(key) == 0 {
		return nil, errorf(http.StatusConflict, "tenant %s has no consent key: set consent.tenant_secrets (or its email key, from which one is derived)", channels.Tenant(ctx))
	}
	return key, nil
}

// token checks a link request and returns its unsigned token.
func (s *Server) token(ctx context.Context, k consent.Kind, req linkRequest) (consent.Token, error) {
	if !req.Channel.Valid() {
		return consent.Token{}, errorf(http.StatusBadRequest, "channel: %q is not one of email, sms", req.Channel)
	}
	rcpt, err := s.recipient(ctx, req.Channel, req.Recipient)
	if err != nil {
		return consent.Token{}, errorf(http.StatusBadRequest, "recipient: %v", err)
	}
	if req.Scope == "" {
		req.Scope = channels.ScopeAll
		if req.List != "" {
			req.Scope = channels.ScopeList
		}
	}
	t := consent.Token{Kind: k, Tenant: channels.Tenant(ctx), Channel: req.Channel, Recipient: rcpt, Scope: req.Scope,
		List: req.List, Campaign: req.Campaign, MessageID: req.MessageID}
	// The events a token makes must be ones the bus takes: checked now,
	// not when a recipient follows the link.
	if err := t.Validate(); err != nil {
		return consent.Token{}, errorf(http.StatusBadRequest, "%s", eventErrorText(err))
	}
	return t, nil
}

// postUnsubscribeLinks serves POST /v1/consent/unsubscribe: for one
// request object, or an array of them, the signed unsubscribe URL of
// each and the List-Unsubscribe and List-Unsubscribe-Post values (RFC
// 2369, RFC 8058) to put on the message. It signs; it stores nothing.
func (s *Server) postUnsubscribeLinks(w http.ResponseWriter, r *http.Request) error {
	return signLinks(s, w, r, func(req linkRequest, key []byte) (unsubscribeLink, error) {
		if req.TTL != "" {
			return unsubscribeLink{}, errorf(http.StatusBadRequest, "ttl: an unsubscribe URL does not expire")
		}
		t, err := s.token(r.Context(), consent.Unsubscribe, req)
		if err != nil {
			return unsubscribeLink{}, err
		}
		tok := t.Sign(key)
		link := consent.URL(s.cfg.Consent.BaseURL, consent.Unsubscribe, tok)
		mailto := ""
		if t.Channel == channels.Email {
			mailto = consent.Mailto(s.cfg.Consent.MailtoDomains[t.Tenant], tok)
		}
		lu, lup := consent.Headers(link, mailto)
		return unsubscribeLink{Recipient: t.Recipient, Token: tok, URL: link, Mailto: mailto, ListUnsubscribe: lu, ListUnsubscribePost: lup}, nil
	})
}

// postConsentRequest serves POST /v1/consent/requests: a signed,
// expiring confirmation token and URL for a double opt-in, which the
// sender sends to the recipient. Following it and confirming records a
// confirmed consent (time, client IP and user agent).
func (s *Server) postConsentRequest(w http.ResponseWriter, r *http.Request) error {
	c := s.cfg.Consent
	return signLinks(s, w, r, func(req linkRequest, key []byte) (confirmationLink, error) {
		ttl := c.ConfirmTTL
		if req.TTL != "" {
			var err error
			if ttl, err = time.ParseDuration(req.TTL); err != nil || ttl <= 0 || ttl > c.MaxConfirmTTL {
				return confirmationLink{}, errorf(http.StatusBadRequest, "ttl: %q is not a duration between 0 and %v", req.TTL, c.MaxConfirmTTL)
			}
		}
		if req.MessageID != "" || req.Campaign != "" {
			return confirmationLink{}, errorf(http.StatusBadRequest, "message_id, campaign: a confirmation names no send")
		}
		t, err := s.token(r.Context(), consent.Confirm, req)
		if err != nil {
			return confirmationLink{}, err
		}
		t.Expires = s.now().Add(ttl).Truncate(time.Second)
		tok := t.Sign(key)
		return confirmationLink{Recipient: t.Recipient, Token: tok, URL: consent.URL(c.BaseURL, consent.Confirm, tok), ExpiresAt: t.Expires.UTC()}, nil
	})
}

// signLinks answers a route that signs consent URLs: with the request
// tenant's key, sign answers each request of the body (an object, or an
// array of them), and the answer is that one answer, or {"results": [...]}
// in order. An error names the element it is about.
func signLinks[T any](s *Server, w http.ResponseWriter, r *http.Request, sign func(req linkRequest, key []byte) (T, error)) error {
	key, err := s.consentKey(r.Context())
	if err != nil {
		return err
	}
	reqs, many, err := s.linkRequests(w, r)
	if err != nil {
		return err
	}
	out := make([]T, len(reqs))
	for i, req := range reqs {
		if out[i], err = sign(req, key); err != nil {
			return indexed(err, i, many)
		}
	}
	if many {
		writeJSON(w, http.StatusOK, map[string]any{"results": out})
	} else {
		writeJSON(w, http.StatusOK, out[0])
	}
	return nil
}

// linkRequests reads one request object or an array of them (at most
// MaxBatch), and says which.
func (s *Server) linkRequests(w http.ResponseWriter, r *http.Request) ([]linkRequest, bool, error) {
	var raw json.RawMessage
	if err := s.decodeJSON(w, r, &raw); err != nil {
		return nil, false, err
	}
	many := bytes.HasPrefix(bytes.TrimSpace(raw), []byte("["))
	var reqs []linkRequest
	dec := func(v any) error {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		return d.Decode(v)
	}
	var err error
	if many {
		err = dec(&reqs)
	} else {
		reqs = make([]linkRequest, 1)
		err = dec(&reqs[0])
	}
	switch {
	case err != nil:
		return nil, false, bodyError(err)
	case len(reqs) == 0:
		return nil, false, errorf(http.StatusBadRequest, "no request")
	case len(reqs) > s.cfg.MaxBatch:
		return nil, false, errorf(http.StatusRequestEntityTooLarge, "%d requests in one call; at most %d", len(reqs), s.cfg.MaxBatch)
	}
	return reqs, many, nil
}

// indexed names the element of an array request an error is about.
func indexed(err error, i int, many bool) error {
	he, ok := err.(*httpError)
	if !many || !ok {
		return err
	}
	return errorf(he.status, "[%d] %s", i, he.msg)
}

// getConsents serves GET /v1/consents?channel=&state=&after=&limit=: one
// page of the tenant's consent states (opt-outs by scope and source,
// confirmations with their client), as JSON with the next page's cursor,
// or CSV (Accept: text/csv or format=csv) with the cursor in the
// Rebond-Next-Cursor header.
func (s *Server) getConsents(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Consents == nil {
		return errorf(http.StatusNotImplemented, "consent is not configured")
	}
	q := r.URL.Query()
	cq := store.ConsentsQuery{Channel: channels.Channel(q.Get("channel")), State: q.Get("state")}
	if !cq.Channel.Valid() {
		return errorf(http.StatusBadRequest, "channel: %q is not one of email, sms", cq.Channel)
	}
	if cq.State != "" && cq.State != "opted_out" && cq.State != "confirmed" {
		return errorf(http.StatusBadRequest, "state: %q is not one of opted_out, confirmed", cq.State)
	}
	if v := q.Get("limit"); v != "" {
		if _, err := fmt.Sscan(v, &cq.Limit); err != nil || cq.Limit < 1 || cq.Limit > 10000 {
			return errorf(http.StatusBadRequest, "limit: %q is not a number from 1 to 10000", v)
		}
	}
	if v := q.Get("after"); v != "" {
		c, err := decodeCursor(v)
		if err != nil {
			return errorf(http.StatusBadRequest, "after: not a cursor this route gave")
		}
		cq.After = c
	}
	page, err := s.cfg.Consents.Consents(r.Context(), cq)
	if err != nil {
		return err
	}
	next := ""
	if !page.Done {
		next = encodeCursor(page.Next)
	}
	if wantsCSV(r) {
		if next != "" {
			w.Header().Set("Rebond-Next-Cursor", next)
		}
		return writeConsentsCSV(w, page.Consents)
	}
	writeJSON(w, http.StatusOK, map[string]any{"consents": page.Consents, "next": next})
	return nil
}
