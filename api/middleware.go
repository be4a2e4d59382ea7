package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/rebond/rebond/channels"
)

// authenticate requires "Authorization: Bearer <token>" whose role
// includes the one routeRoles names for pattern: the configured admin
// token (role admin) or a stored token (TokenLookup, cached for
// Config.TokenCacheTTL). No valid token is 401, a token of another role
// 403, and a route with no role in routeRoles 500 for every caller. The
// handler finds the caller's audit actor with actor(r), and acts for the
// tenant that requestTenant resolves (channels.Tenant of the request's
// context): a stored token for its own tenant only, so every route is
// scoped without the handler doing anything.
func (s *Server) authenticate(pattern string, next http.Handler) http.Handler {
	if s.tokens == nil {
		s.tokens = newTokenCache(s.cfg.TokenCacheTTL)
	}
	need, ok := routeRoles[pattern]
	if !ok {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusInternalServerError, "no role for route "+pattern)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok, err := s.identify(r)
		switch {
		case err != nil:
			s.log.ErrorContext(r.Context(), "token lookup failed", "route", pattern, "error", err)
			writeError(w, http.StatusServiceUnavailable, "cannot check the token now; try again")
		case !ok:
			w.Header().Set("WWW-Authenticate", `Bearer realm="rebond"`)
			writeError(w, http.StatusUnauthorized, "missing or invalid bearer token")
		case !p.role.Includes(need):
			writeError(w, http.StatusForbidden, fmt.Sprintf("a %s token may not call %s (it needs %s)", p.role, pattern, need))
		case !s.limits.allow(p.actor, pattern):
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusTooManyRequests, s.overLimit(pattern))
		default:
			tenant, status, msg := requestTenant(p, r)
			if status != 0 {
				writeError(w, status, msg)
				return
			}
			ctx := channels.WithTenant(context.WithValue(r.Context(), principalKey{}, p), tenant)
			next.ServeHTTP(w, r.WithContext(ctx))
		}
	})
}

// requestTenant is the tenant a request acts for: the one ?tenant= names,
// else the token's, else the default. A stored token naming another
// tenant than its own is refused (403): tokens are scoped to one tenant.
func requestTenant(p principal, r *http.Request) (string, int, string) {
	asked := r.URL.Query().Get("tenant")
	if asked != "" && !channels.ValidTenant(asked) {
		return "", http.StatusBadRequest, fmt.Sprintf("tenant: %q is not a tenant name (1 to 63 of a-z, 0-9, '-', '_')", asked)
	}
	switch {
	case p.tenant != "" && asked != "" && asked != p.tenant:
		return "", http.StatusForbidden, fmt.Sprintf("this token belongs to tenant %s; it may not act for tenant %s", p.tenant, asked)
	case p.tenant != "":
		return p.tenant, 0, ""
	case asked != "":
		return asked, 0, ""
	}
	return channels.DefaultTenant, 0, ""
}

// recover turns a panic into a 500 and a log line, so one bad request
// never takes the process down.
func (s *Server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeError(w, http.StatusInternalServerError, "internal error; see the server log")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// observe records the request in the metrics and logs it: Debug normally,
// Warn on 5xx.
func (s *Server) observe(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		d := time.Since(start)
		s.metrics.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		s.metrics.duration.WithLabelValues(route).Observe(d.Seconds())
		level := s.log.DebugContext
		if sw.status >= 500 {
			level = s.log.WarnContext
		}
		level(r.Context(), "http request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration_ms", d.Milliseconds())
	})
}
