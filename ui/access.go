package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// TokenStore finds the stored API tokens (`rebond tokens`; store.Store):
// by secret when someone signs in, by id on every request of a session,
// so that a revoked token's session ends at its next request and its role
// and tenant are never taken from the cookie. Both answer
// store.ErrNotFound for a token that is unknown or revoked.
type TokenStore interface {
	LookupToken(ctx context.Context, secret string) (store.Token, error)
	LiveToken(ctx context.Context, id int64) (store.Token, error)
}

// identity is who a session signed in as: the configured admin token, or
// a stored token of role read, operate or admin.
type identity struct {
	// Admin is set for the configured admin token, the installation's
	// operator: every tenant, the task queues.
	Admin bool
	// Name, Role and Tenant are the stored token's (Role admin and no
	// Name for the configured one, whose Tenant is the one shown).
	Name   string
	Role   channels.Role
	Tenant string
}

// adminIdentity is the configured admin token's.
func adminIdentity() identity { return identity{Admin: true, Role: channels.RoleAdmin} }

type identityKey struct{}

// whoOf is the identity the request's session signed in as; the zero
// identity (which may nothing) outside a session.
func whoOf(ctx context.Context) identity {
	who, _ := ctx.Value(identityKey{}).(identity)
	return who
}

// action is something the dashboard lets a person do.
type action string

const (
	// actView reads the pages: rates, campaigns, domains, carriers, reasons,
	// recipients.
	actView action = "view"
	// actRelease releases a quarantined or suspended recipient.
	actRelease action = "release"
	// actTenants switches the tenant the pages show.
	actTenants action = "tenants"
	// actQueues opens the Asynq monitor, which lists, retries and deletes
	// the tasks of every tenant.
	actQueues action = "queues"
)

// actionRoles is the role each action needs, as api/roles.go is for the
// API's routes (a release needs operate there too). An action missing
// here is refused to everyone.
var actionRoles = map[action]channels.Role{
	actView:    channels.RoleRead,
	actRelease: channels.RoleOperate,
	actTenants: channels.RoleAdmin,
	actQueues:  channels.RoleAdmin,
}

// crossTenant are the actions that reach beyond one tenant: only the
// configured admin token may do them, not a stored admin token, which
// acts for its own tenant only.
var crossTenant = map[action]bool{actTenants: true, actQueues: true}

// may reports whether the identity may do a.
func (who identity) may(a action) bool {
	need, ok := actionRoles[a]
	if !ok || (crossTenant[a] && !who.Admin) {
		return false
	}
	return who.Role.Includes(need)
}

// May is may for the templates, which name actions by their strings.
func (who identity) May(a string) bool { return who.may(action(a)) }

// actor is the audit actor of the changes the session makes: the API's
// for a stored token ("token:<name>"), so that a token's changes read
// alike wherever it made them, and ui:admin for the configured token.
func (who identity) actor() string {
	if who.Admin {
		return "ui:admin"
	}
	return "token:" + who.Name
}

// tokenIdentity is the identity of a stored token, or false for a token
// that may not use the dashboard at all (ingest: it cannot read).
func tokenIdentity(t store.Token) (identity, bool) {
	who := identity{Name: t.Name, Role: t.Role, Tenant: t.Tenant}
	return who, who.may(actView)
}

// errEnded is a session whose token was revoked since it signed in.
var errEnded = fmt.Errorf("%w: its token is revoked", errSession)

// who returns the identity of the request's session: errSession when it
// has no valid session (errEnded when its token was revoked), another
// error when the token cannot be checked now.
func (h *Handler) who(r *http.Request) (identity, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return identity{}, errSession
	}
	cl, err := h.session.verify(c.Value, h.now())
	if err != nil {
		return identity{}, err
	}
	if cl.token == 0 {
		return adminIdentity(), nil
	}
	if h.cfg.Tokens == nil {
		return identity{}, errSession
	}
	t, err := h.cfg.Tokens.LiveToken(r.Context(), cl.token)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return identity{}, errEnded
	case err != nil:
		return identity{}, fmt.Errorf("check the session's token %d: %w", cl.token, err)
	}
	who, ok := tokenIdentity(t)
	if !ok {
		return identity{}, errEnded
	}
	return who, nil
}

// authenticated lets through a request whose session may do need, acting
// as the session's token: its identity and tenant in the context. Without
// a valid session it goes to the login page, remembering where it was
// going; a session whose token was revoked loses its cookie on the way.
// A session that may not do need gets 403 with the reason.
func (h *Handler) authenticated(need action, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, err := h.who(r)
		switch {
		case errors.Is(err, errSession):
			h.toLogin(w, r, errors.Is(err, errEnded))
			return
		case err != nil:
			h.log.ErrorContext(r.Context(), "ui: cannot check the session", "error", err)
			h.fail(w, r, h.newView(r), &userError{status: http.StatusServiceUnavailable,
				msg: "The dashboard cannot check your token now. Try again in a moment."})
			return
		}
		ctx := context.WithValue(r.Context(), identityKey{}, who)
		tenant, err := h.tenant(w, r, who)
		if err == nil && !who.may(need) {
			err = &userError{status: http.StatusForbidden, msg: refusal(who, need)}
		}
		if err != nil {
			r = r.WithContext(channels.WithTenant(ctx, who.Tenant))
			h.fail(w, r, h.newView(r), err)
			return
		}
		next.ServeHTTP(w, r.WithContext(channels.WithTenant(ctx, tenant)))
	})
}

// toLogin sends the request to the login page, with where it was going
// (GET only) and, when its token was revoked, a word about it.
func (h *Handler) toLogin(w http.ResponseWriter, r *http.Request, ended bool) {
	q := url.Values{}
	if r.Method == http.MethodGet && r.URL.Path != Prefix {
		q.Set("next", r.URL.RequestURI())
	}
	if ended {
		http.SetCookie(w, h.cookie(r, "", -1))
		q.Set("ended", "1")
	}
	target := Prefix + "login"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// tenant is the tenant the request acts for. A stored token acts for its
// own tenant only: naming another with ?tenant= is refused (403), as the
// API refuses it. The configured admin token acts for any: the one
// ?tenant= named last (remembered in a cookie, so the pages' links keep
// it), the default tenant otherwise.
func (h *Handler) tenant(w http.ResponseWriter, r *http.Request, who identity) (string, error) {
	asked := r.URL.Query().Get("tenant")
	if asked != "" && !channels.ValidTenant(asked) {
		return "", badRequest("tenant: not a tenant name (1 to 63 of a-z, 0-9, '-', '_')")
	}
	if !who.may(actTenants) {
		if asked != "" && asked != who.Tenant {
			return "", &userError{status: http.StatusForbidden, msg: fmt.Sprintf(
				"You signed in with the token %s of tenant %s: it shows that tenant only, not %s.", who.Name, who.Tenant, asked)}
		}
		return who.Tenant, nil
	}
	if asked != "" {
		http.SetCookie(w, &http.Cookie{Name: tenantCookie, Value: asked, Path: Prefix, HttpOnly: true,
			Secure: h.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode})
		return asked, nil
	}
	if c, err := r.Cookie(tenantCookie); err == nil && channels.ValidTenant(c.Value) {
		return c.Value, nil
	}
	return channels.DefaultTenant, nil
}

// refusal says why who may not do a, and what would.
func refusal(who identity, a action) string {
	if crossTenant[a] {
		return fmt.Sprintf("Your %s token acts for tenant %s only; to %s you need the server's configured admin token.",
			who.Role, who.Tenant, actionNames[a])
	}
	return fmt.Sprintf("Your %s token may not %s: that needs a token of role %s.", who.Role, actionNames[a], actionRoles[a])
}

// actionNames are the actions as the access page and refusals name them.
var actionNames = map[action]string{
	actView:    "read the pages: rates, campaigns, domains, carriers, reasons, recipients",
	actRelease: "release a quarantined or suspended recipient",
	actTenants: "show another tenant's data",
	actQueues:  "open the task queues, which hold every tenant's tasks",
}
