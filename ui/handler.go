// Package ui is rebond's web dashboard for campaign teams, served under
// /ui/ by the api server: soft and hard rates per channel over time, the
// campaigns and their trends, the worst recipient domains and SMS
// carriers, the reasons behind failures, and the answer to "why is this
// recipient excluded?".
//
// Pages are rendered on the server with html/template; charts are SVG
// drawn by package ui/chart; the stylesheet and the little script are
// embedded. Nothing is fetched from elsewhere, so the dashboard works
// offline and under a strict Content-Security-Policy.
//
// Access needs a token once, on the login page: the configured admin
// token, or a stored API token of role read, operate or admin. The
// browser then holds a session cookie that carries only an HMAC-signed
// expiry and the token's id (see session.go); every request acts as that
// token, with its role and tenant read again from the store (access.go).
// Every POST checks that it comes from the dashboard's own origin (see
// csrf.go).
package ui

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/consent"
	"github.com/rebond/rebond/channels/phone"
	"github.com/rebond/rebond/store"
)

// Prefix is the path the dashboard is served under; the api server mounts
// the Handler there.
const Prefix = "/ui/"

// Config configures the dashboard.
type Config struct {
	// AdminToken is the configured admin token: it signs in for every
	// tenant and the task queues; required.
	AdminToken string
	// Tokens finds the stored API tokens, which sign in for their tenant
	// and role (read, operate, admin; an ingest token cannot read); nil
	// accepts the admin token alone.
	Tokens TokenStore
	// SessionKey signs session cookies. Empty: a key derived from the
	// admin token, so that every API replica accepts the same sessions
	// and changing the token ends them all.
	SessionKey []byte
	// SecureCookies marks the session cookie Secure on every response
	// (set it behind a proxy that terminates TLS); it is Secure anyway on
	// requests that arrive over TLS.
	SecureCookies bool
	// MinVolume greys rows with fewer sent messages and is the default
	// minimum of the worst-domains list (default 100).
	MinVolume int64
	// Queues, when set, is the Asynq queue monitor (asynqmon) mounted at
	// Prefix+"queues/" behind the same session, for the configured admin
	// token only (the queues hold every tenant's tasks); it may change
	// tasks (retry, delete), so every non-GET request also passes the
	// same-origin check.
	Queues http.Handler
	// Numbers are the default regions a searched or released SMS number
	// is read in (per tenant), as the API reads them.
	Numbers phone.Regions
	// Consent is the tenants' policy of confirmed consent, which the
	// recipient page's answer applies as the API's exclusion check does.
	Consent consent.Policy
}

// address normalizes a recipient typed or posted for ch as the state
// machine keys it: an SMS number read with the tenant's region first.
func (h *Handler) address(r *http.Request, ch channels.Channel, given string) (string, error) {
	if ch == channels.SMS {
		n, err := phone.E164(given, h.cfg.Numbers.For(channels.Tenant(r.Context())))
		if err != nil {
			return "", err
		}
		given = n
	}
	return channels.NormalizeRecipient(ch, given)
}

// Validate names the offending field.
func (c Config) Validate() error {
	if c.AdminToken == "" {
		return errors.New("ui: admin token required")
	}
	if c.SessionKey != nil && len(c.SessionKey) < 32 {
		return errors.New("ui: session key shorter than 32 bytes")
	}
	if c.MinVolume < 0 {
		return errors.New("ui: min volume must not be negative")
	}
	return nil
}

// Reader is what the dashboard reads from the store.
type Reader interface {
	Rates(ctx context.Context, q store.RatesQuery) ([]store.RateRow, error)
	Recipient(ctx context.Context, ch channels.Channel, address string) (store.RecipientView, error)
	Exclusions(ctx context.Context, ch channels.Channel, recipients []string, now time.Time) ([]store.Exclusion, error)
	Reasons(ctx context.Context, q store.ReasonsQuery) ([]store.ReasonCount, error)
	RecipientEvents(ctx context.Context, ch channels.Channel, address string, limit int) ([]store.EventVerdict, error)
}

// ConsentReader completes exclusion answers with consents (the source and
// scope of an opt-out, confirmed consent; store.Store.ConsentExclusions).
// When the Reader given to New also implements it, the recipient page
// answers as POST /v1/exclusions does; otherwise from states alone.
type ConsentReader interface {
	ConsentExclusions(ctx context.Context, c store.ConsentCheck, xs []store.Exclusion) error
}

// TenantLister names the tenants rebond knows (store.Store.KnownTenants).
// When the Reader given to New also implements it, the header's tenant
// field suggests them to the configured admin token (a stored token sees
// its own tenant only, and no other's name); otherwise the field takes a
// typed name only.
type TenantLister interface {
	KnownTenants(ctx context.Context) ([]string, error)
}

// tenantCookie remembers the tenant the dashboard shows (?tenant=).
const tenantCookie = "rebond_tenant"

// Handler serves the dashboard; it is an http.Handler for Prefix.
type Handler struct {
	cfg      Config
	reader   Reader
	releaser Releaser
	consents ConsentReader
	tenants  TenantLister
	events   EventLog
	log      *slog.Logger
	session  sessions
	pages    map[string]*template.Template
	mux      *http.ServeMux
	now      func() time.Time
}

// New builds the dashboard: it parses the templates once and fails if
// one is broken. A reader that also implements Releaser (store.Store
// does) enables the release button of the recipient page, one that
// implements TenantLister the header's list of tenants.
func New(cfg Config, reader Reader, log *slog.Logger) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MinVolume == 0 {
		cfg.MinVolume = 100
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, reader: reader, log: log, pages: pages, now: time.Now,
		session: newSessions(cfg.AdminToken, cfg.SessionKey)}
	h.releaser, _ = reader.(Releaser)
	h.tenants, _ = reader.(TenantLister)
	h.consents, _ = reader.(ConsentReader)
	h.events, _ = reader.(EventLog)
	if err := h.routes(); err != nil {
		return nil, err
	}
	return h, nil
}

// pageFunc prepares one page: it fills the view (title, data) and returns
// the name of the page's template, or an error the handler reports.
type pageFunc func(r *http.Request, v *view) (string, error)

func (h *Handler) routes() error {
	static, err := staticHandler()
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+Prefix+"static/", static)
	mux.HandleFunc("GET "+Prefix+"login", h.getLogin)
	mux.HandleFunc("POST "+Prefix+"login", h.sameOrigin(h.postLogin))
	mux.HandleFunc("POST "+Prefix+"logout", h.sameOrigin(h.postLogout))
	mux.Handle("POST "+Prefix+"recipient/release", h.authenticated(actRelease, h.sameOrigin(h.postRelease)))
	for path, fn := range map[string]pageFunc{
		"{$}":       h.overview,
		"campaigns": h.campaigns,
		"campaign":  h.campaign,
		"domains":   h.domains,
		"carriers":  h.carriers,
		"reasons":   h.reasons,
		"recipient": h.recipient,
		"activity":  h.activity,
		"alerts":    h.alerts,
		"access":    h.access,
	} {
		mux.Handle("GET "+Prefix+path, h.authenticated(actView, h.render(fn)))
	}
	if h.cfg.Queues != nil {
		q := h.cfg.Queues
		mux.Handle(Prefix+"queues/", h.authenticated(actQueues, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				q.ServeHTTP(w, r)
				return
			}
			h.sameOrigin(q.ServeHTTP)(w, r)
		})))
	}
	mux.Handle(Prefix, h.authenticated(actView, h.render(h.notFound)))
	h.mux = mux
	return nil
}

// ServeHTTP serves every path under Prefix with the security headers of
// the dashboard.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// Everything the pages use is same-origin; inline SVG is markup, not
	// a resource, and carries no style attributes.
	csp := "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	if strings.HasPrefix(r.URL.Path, Prefix+"queues/") {
		// asynqmon's prebuilt single-page app inlines its bootstrap script
		// and styles and talks to its own API: same origin only.
		csp = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
	}
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	h.mux.ServeHTTP(w, r)
}

// render runs a page function and writes its template, or an error page.
func (h *Handler) render(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := h.newView(r)
		name, err := fn(r, v)
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		h.write(w, r, http.StatusOK, name, v)
	})
}

// write executes a page template into w with status.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	t, ok := h.pages[name]
	if !ok {
		h.log.ErrorContext(r.Context(), "ui: no such page template", "template", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, "layout", v); err != nil {
		h.log.ErrorContext(r.Context(), "ui: render page", "template", name, "error", err)
	}
}

// userError is a problem with the request that the page explains.
type userError struct {
	status int
	msg    string
}

func (e *userError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &userError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// fail answers err with the error page: the user's mistake explained, or
// a generic 500 whose details go to the log only.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	var ue *userError
	status, msg := http.StatusInternalServerError, "The dashboard could not read its data. The details are in the server log; try again in a moment."
	if errors.As(err, &ue) {
		status, msg = ue.status, ue.msg
	} else {
		h.log.ErrorContext(r.Context(), "ui: page failed", "path", r.URL.Path, "error", err)
	}
	v.Title, v.Error = "Something went wrong", msg
	if status == http.StatusForbidden {
		v.Title = "Not with this token"
	}
	h.write(w, r, status, "error", v)
}

func (h *Handler) notFound(r *http.Request, v *view) (string, error) {
	return "", &userError{status: http.StatusNotFound, msg: "There is no page at " + r.URL.Path + "."}
}
