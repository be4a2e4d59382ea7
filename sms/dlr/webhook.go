package dlr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	numbers "github.com/rebond/rebond/channels/phone"
	"github.com/rebond/rebond/sms"
)

// Webhook is one provider's HTTP delivery-receipt adapter, a
// channels.Webhook: the api package mounts it at /v1/webhooks/{name}.
// Build it with the provider's constructor (NewTwilio, NewVonage,
// NewKannel, NewJasmin, NewInfobip, NewPlivo, NewSinch) or with New from
// configuration. A Webhook is immutable and safe for concurrent use.
type Webhook struct {
	provider string
	format   string // the ParseReceipt format Raw replays with
	// required names the fields a receipt cannot do without, "A|B" for
	// alternatives; a parse failure names the first one missing.
	required []string
	verify   func(r *http.Request, c *callback) error
	parse    func(c *callback) ([]channels.Event, error)
	// answer and answerType are the exact success answer the provider
	// wants (answerType "": text/plain); both "": the api's default.
	// An answerType with an empty answer answers an empty body.
	answer, answerType string
	// recipientParam is true for gateways whose receipts may name no
	// number: the callback URL's "recipient" parameter then does.
	recipientParam bool
	// shared is the shared secret of a provider that does not sign (nil
	// for a signed one): it is in the URL and headers, so it can be
	// checked before the body is read (AuthenticateHeaders).
	shared *SharedSecret
	// region is the region the gateway writes national numbers in
	// (Config.Region; "" reads international forms only).
	region string
	now    func() time.Time
}

var _ channels.Webhook = (*Webhook)(nil)

// Provider returns the provider the adapter reads ("twilio", "kannel"…),
// the Provider of its events.
func (w *Webhook) Provider() string { return w.provider }

// Format returns the ParseReceipt format of the adapter's payloads: an
// event's Raw is replayed with ParseReceipts(w.Format(), raw, dialect).
func (w *Webhook) Format() string { return w.format }

// AuthenticateHeaders implements channels.HeaderAuthenticator: a shared
// secret (a token in the callback URL, Basic credentials, an App key or
// a custom header) is checked on the URL and headers; a signature needs
// the body (channels.ErrNeedBody).
func (w *Webhook) AuthenticateHeaders(r *http.Request) error {
	if w.shared == nil || r == nil || r.URL == nil {
		return channels.ErrNeedBody
	}
	if len(r.URL.RawQuery) > sms.MaxPayloadLen {
		return channels.Unauthorized("%s: query of %d bytes", w.provider, len(r.URL.RawQuery))
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return channels.Unauthorized("%s: unreadable query", w.provider)
	}
	return w.shared.check(w.provider, r, &callback{query: q})
}

// Handle implements channels.Webhook. It bounds the payload
// (sms.MaxPayloadLen for the body and for the query), authenticates the
// request as the provider's constructor describes, and decodes the query,
// the form or the JSON body with the provider's Parse function. Errors
// name the field, not the webhook (the caller, which knows the webhook's
// configured name, says which one), and wrap channels.ErrUnauthorized
// (missing or bad signature or secret, stale timestamp) or
// channels.ErrMalformed (a *channels.FieldError naming the field); Handle
// never panics.
//
// Each event gets what the callback leaves out: for Kannel and Jasmin, the
// recipient from the callback URL's "recipient" parameter when the payload
// names no number (Jasmin's DLR never does; an event without a number is
// malformed), the time of receipt when it carries no time,
// and Raw: the request as a JSON envelope (method, path, raw_query without
// the "token" parameter, content_type, form or body) that
// ParseReceipts(format, Raw, dialect) reads again. Events are normalized
// (channels.Event.Normalize): one the bus would refuse is refused here,
// while the provider can still be told. A well-formed notification that is
// not a delivery receipt (a Sinch batch report) is accepted with no events,
// so the provider does not deliver it again.
func (w *Webhook) Handle(r *http.Request, body []byte) (channels.WebhookResult, error) {
	if r == nil || r.URL == nil {
		return channels.WebhookResult{}, fmt.Errorf("%s webhook: no request", w.provider)
	}
	c, err := readCallback(r, body)
	if err != nil {
		return channels.WebhookResult{}, err
	}
	c.at = w.now().UTC()
	if err := w.verify(r, c); err != nil {
		return channels.WebhookResult{}, err
	}
	evs, err := w.parse(c)
	unusable := ""
	if errors.Is(err, ErrNoDelivery) || errors.Is(err, errNoSender) {
		// Events of the payload's usable parts (an MO batch) still count.
		unusable, err = err.Error(), nil
	}
	if errors.Is(err, sms.ErrNotReceipt) {
		return w.result(nil), nil
	}
	if err != nil {
		return channels.WebhookResult{}, w.malformed(c, err)
	}
	if err := w.complete(evs, c); err != nil {
		return channels.WebhookResult{}, err
	}
	res := w.result(evs)
	res.Unusable = unusable
	return res, nil
}

// result is the success answer.
func (w *Webhook) result(evs []channels.Event) channels.WebhookResult {
	res := channels.WebhookResult{Events: evs}
	if w.answer != "" || w.answerType != "" {
		res.Body, res.ContentType = w.answer, w.answerType
		if res.ContentType == "" {
			res.ContentType = "text/plain; charset=utf-8"
		}
	}
	return res
}

// malformed turns a parse error into an ErrMalformed one that names the
// field: the first required field the callback lacks, else the part of the
// request that held the payload.
func (w *Webhook) malformed(c *callback, err error) error {
	if errors.Is(err, channels.ErrMalformed) {
		return err
	}
	if f := c.missing(w.required); f != "" {
		return &channels.FieldError{Field: f, Msg: "required (" + err.Error() + ")"}
	}
	return &channels.FieldError{Field: c.payloadField(), Msg: err.Error()}
}

// complete fills what the callback leaves out and normalizes the events.
func (w *Webhook) complete(evs []channels.Event, c *callback) error {
	rcpt := ""
	if w.recipientParam {
		rcpt = phone(c.params.Get("recipient"))
	}
	raw := ""
	for i := range evs {
		e := &evs[i]
		if e.Recipient == "" {
			e.Recipient = rcpt
		}
		if e.Recipient == "" {
			msg := "the callback names no number"
			if w.recipientParam {
				msg += "; add recipient=<number> to the callback URL"
			}
			return &channels.FieldError{Field: "recipient", Msg: msg}
		}
		if n, err := numbers.E164(e.Recipient, w.region); err == nil {
			e.Recipient = n // else Normalize says why it is no number
		}
		if e.OccurredAt.IsZero() {
			e.OccurredAt = c.at
		}
		if e.Raw == "" {
			if raw == "" {
				raw = c.record(nil)
			}
			e.Raw = raw
		}
		if err := e.Normalize(); err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
	}
	return nil
}

// callback is one request as an adapter reads it.
type callback struct {
	method, path string
	mediaType    string // Content-Type without parameters, lower case
	rawQuery     string
	query        url.Values
	form         url.Values // the form body; nil when the body is no form
	params       url.Values // query, then form fields (a form field wins)
	body         []byte
	json         bool // the body is JSON
	at           time.Time
}

// readCallback bounds and decodes the request's query and body. A body is
// JSON when its Content-Type says so, or when it says nothing and the body
// starts like JSON; otherwise it is read as a form.
func readCallback(r *http.Request, body []byte) (*callback, error) {
	if len(body) > sms.MaxPayloadLen {
		return nil, &channels.FieldError{Field: "body", Msg: fmt.Sprintf("%d bytes, limit %d", len(body), sms.MaxPayloadLen)}
	}
	if len(r.URL.RawQuery) > sms.MaxPayloadLen {
		return nil, &channels.FieldError{Field: "query", Msg: fmt.Sprintf("%d bytes, limit %d", len(r.URL.RawQuery), sms.MaxPayloadLen)}
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &channels.FieldError{Field: "query", Msg: err.Error()}
	}
	c := &callback{method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, query: q, body: body, params: url.Values{}}
	c.mediaType, _, _ = mime.ParseMediaType(r.Header.Get("Content-Type"))
	for k, v := range q {
		c.params[k] = v
	}
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
	case c.mediaType == "application/json" || strings.HasSuffix(c.mediaType, "+json") ||
		(c.mediaType != "application/x-www-form-urlencoded" && len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')):
		if !json.Valid(body) {
			return nil, &channels.FieldError{Field: "body", Msg: "not valid JSON"}
		}
		c.json = true
	default:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &channels.FieldError{Field: "body", Msg: "not a form: " + err.Error()}
		}
		c.form = form
		for k, v := range form {
			c.params[k] = v
		}
	}
	return c, nil
}

// payloadField names the part of the request the payload came in.
func (c *callback) payloadField() string {
	if len(bytes.TrimSpace(c.body)) > 0 {
		return "body"
	}
	return "query"
}

// missing returns the first of the required fields (alternatives joined
// by "|", reported by the first name) that the callback lacks or leaves
// empty, looking at the JSON body's top-level members or at the
// parameters.
func (c *callback) missing(required []string) string {
	var obj map[string]json.RawMessage
	if c.json && json.Unmarshal(c.body, &obj) != nil {
		return ""
	}
	for _, field := range required {
		names := strings.Split(field, "|")
		found := false
		for _, n := range names {
			if c.json {
				v := bytes.TrimSpace(obj[n])
				found = found || (len(v) > 0 && !bytes.Equal(v, []byte("null")) && !bytes.Equal(v, []byte(`""`)))
			} else {
				found = found || strings.TrimSpace(c.params.Get(n)) != ""
			}
		}
		if !found {
			return names[0]
		}
	}
	return ""
}

// callbackRecord is the envelope of the corpus (see envelope) as Raw
// keeps a callback: only what the request had.
type callbackRecord struct {
	Method      string            `json:"method,omitempty"`
	Path        string            `json:"path,omitempty"`
	RawQuery    string            `json:"raw_query,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Form        map[string]string `json:"form,omitempty"`
	Body        json.RawMessage   `json:"body,omitempty"`
}

// record renders the callback as the envelope ParseReceipts reads, with
// body in place of the request's own when it is not nil (one result of a
// batch). The shared secret ("token") is left out.
func (c *callback) record(body json.RawMessage) string {
	rec := callbackRecord{Method: c.method, Path: c.path, RawQuery: withoutParam(c.rawQuery, "token"), ContentType: c.mediaType}
	switch {
	case body != nil:
		rec.Body = body
	case c.json:
		rec.Body = c.body
	case c.form != nil:
		rec.Form = make(map[string]string, len(c.form))
		for k := range c.form {
			if k != "token" {
				rec.Form[k] = c.form.Get(k)
			}
		}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		// Only an invalid JSON body fails, and readCallback refused
		// those; keep the rest of the request anyway.
		rec.Body = nil
		b, _ = json.Marshal(rec)
	}
	return string(b)
}

// withoutParam drops the parameter name from a raw query, leaving every
// other byte as it was.
func withoutParam(rawQuery, name string) string {
	if rawQuery == "" {
		return ""
	}
	parts := strings.Split(rawQuery, "&")
	kept := parts[:0]
	for _, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); err == nil && uk == name {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "&")
}

// newWebhook assembles an adapter.
func newWebhook(provider, format string, required []string, verify func(*http.Request, *callback) error, parse func(*callback) ([]channels.Event, error)) *Webhook {
	return &Webhook{provider: provider, format: format, required: required, verify: verify, parse: parse, now: time.Now}
}

// single adapts a one-event parser.
func single(e channels.Event, err error) ([]channels.Event, error) {
	if err != nil {
		return nil, err
	}
	return []channels.Event{e}, nil
}
