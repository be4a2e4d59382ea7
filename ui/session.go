package ui

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rebond/rebond/store"
)

const (
	// cookieName is the session cookie. The __Host- prefix (RFC 6265bis
	// §4.1.3.2) would pin it to a secure origin, which plain-HTTP local
	// use cannot have, so the attributes below do that work instead.
	cookieName = "rebond_session"
	// sessionTTL is how long a login lasts.
	sessionTTL = 12 * time.Hour
	// maxCookieLen bounds what verify reads: a real value is ~80 bytes.
	maxCookieLen = 256
	// maxLoginBody bounds the login form.
	maxLoginBody = 4 << 10
	// sessionVersion starts every value, so the format can change: v1
	// values (the admin token alone) are no longer accepted.
	sessionVersion = "v2"
	// adminSubject is the subject of a session of the configured admin
	// token; a stored token's is its id.
	adminSubject = "admin"
)

// sessions signs and verifies session values
// "v2.<expiry unix>.<subject>.<mac>", where subject is "admin" for the
// configured admin token or a stored token's id, and mac is HMAC-SHA256
// (RFC 2104) over the rest with the session key. The value holds no
// secret and no role: it proves the bearer signed in with that token and
// says until when; the role and tenant of a stored token are read from
// the store on every request (Handler.who), so a revoked token's session
// ends at once. Nothing is stored server-side, so any replica verifies
// it; the price is that signing out clears the cookie but cannot revoke a
// copy of it before it expires (revoking the token does).
type sessions struct {
	key   []byte
	token [sha256.Size]byte
}

// claim is what a valid session value says: until when, and who (token
// 0: the configured admin token).
type claim struct {
	exp   time.Time
	token int64
}

func newSessions(adminToken string, key []byte) sessions {
	if len(key) == 0 {
		m := hmac.New(sha256.New, []byte(adminToken))
		m.Write([]byte("rebond ui session key v1"))
		key = m.Sum(nil)
	}
	return sessions{key: key, token: sha256.Sum256([]byte(adminToken))}
}

// tokenOK compares a submitted token with the admin token in constant
// time; hashing both first also hides the token's length.
func (s sessions) tokenOK(got string) bool {
	h := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(h[:], s.token[:]) == 1
}

func (s sessions) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// sign returns the value of a session of c.
func (s sessions) sign(c claim) string {
	subject := adminSubject
	if c.token != 0 {
		subject = strconv.FormatInt(c.token, 10)
	}
	payload := sessionVersion + "." + strconv.FormatInt(c.exp.Unix(), 10) + "." + subject
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

var errSession = errors.New("invalid session")

// verify returns the claim of a valid, unexpired session value. A value
// claiming to last longer than a session can is refused too.
func (s sessions) verify(value string, now time.Time) (claim, error) {
	if len(value) > maxCookieLen {
		return claim{}, errSession
	}
	payload, sig, ok := cutLast(value, ".")
	if !ok {
		return claim{}, errSession
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return claim{}, errSession
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 || parts[0] != sessionVersion {
		return claim{}, errSession
	}
	unix, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return claim{}, errSession
	}
	c := claim{exp: time.Unix(unix, 0)}
	if parts[2] != adminSubject {
		c.token, err = strconv.ParseInt(parts[2], 10, 64)
		if err != nil || c.token <= 0 {
			return claim{}, errSession
		}
	}
	if !c.exp.After(now) || c.exp.After(now.Add(sessionTTL+time.Minute)) {
		return claim{}, errSession
	}
	return c, nil
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// cookie builds the session cookie: HttpOnly (no script reads it),
// SameSite=Strict (no other site's page sends it; RFC 6265bis §8.8),
// Secure on TLS or when configured. maxAge < 0 deletes it.
func (h *Handler) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: cookieName, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: h.cfg.SecureCookies || r.TLS != nil}
}

// loginData is the login page's data.
type loginData struct {
	Next string
	// Refused says why the token given was refused.
	Refused string
	// Out: the person just signed out; Ended: the session's token was
	// revoked.
	Out, Ended bool
}

func (h *Handler) getLogin(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := h.who(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	q := r.URL.Query()
	h.loginPage(w, r, http.StatusOK, loginData{Next: next, Out: q.Has("out"), Ended: q.Has("ended")})
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request, status int, d loginData) {
	v := h.newView(r)
	v.Title, v.Bare, v.Data = "Sign in", true, d
	h.write(w, r, status, "login", v)
}

// postLogin checks the token and starts a session that acts as it.
func (h *Handler) postLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad login form", http.StatusBadRequest)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	c, who, refused := h.signIn(r.Context(), strings.TrimSpace(r.PostForm.Get("token")))
	if refused != nil {
		h.log.WarnContext(r.Context(), "ui: sign-in refused", "remote_addr", r.RemoteAddr, "status", refused.status, "why", refused.msg)
		h.loginPage(w, r, refused.status, loginData{Next: next, Refused: refused.msg})
		return
	}
	h.log.InfoContext(r.Context(), "ui: signed in", "actor", who.actor(), "role", who.Role, "tenant", who.Tenant)
	http.SetCookie(w, h.cookie(r, h.session.sign(c), int(sessionTTL/time.Second)))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signIn checks a token typed on the login page: the configured admin
// token, or a live stored token that may read. It returns the session's
// claim, or why the token is refused: 401 for a token rebond does not
// know (the API's failure throttle counts those), 403 for an ingest
// token, 503 when the store cannot answer.
func (h *Handler) signIn(ctx context.Context, token string) (claim, identity, *userError) {
	c := claim{exp: h.now().Add(sessionTTL)}
	if h.session.tokenOK(token) {
		return c, adminIdentity(), nil
	}
	wrong := &userError{status: http.StatusUnauthorized, msg: "That token is not the right one. Check it and try again."}
	if h.cfg.Tokens == nil || !strings.HasPrefix(token, store.TokenPrefix) {
		return claim{}, identity{}, wrong
	}
	t, err := h.cfg.Tokens.LookupToken(ctx, token)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return claim{}, identity{}, wrong
	case err != nil:
		h.log.ErrorContext(ctx, "ui: cannot look the token up", "error", err)
		return claim{}, identity{}, &userError{status: http.StatusServiceUnavailable,
			msg: "rebond cannot check tokens right now. Try again in a moment."}
	}
	who, ok := tokenIdentity(t)
	if !ok {
		return claim{}, identity{}, &userError{status: http.StatusForbidden, msg: fmt.Sprintf(
			"The token %s is an %s token: ingest tokens send events and cannot read, so they cannot sign in here. Use a token of role read, operate or admin.",
			t.Name, t.Role)}
	}
	c.token = t.ID
	return c, who, nil
}

// postLogout clears the session cookie.
func (h *Handler) postLogout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, h.cookie(r, "", -1))
	http.Redirect(w, r, Prefix+"login?out=1", http.StatusSeeOther)
}

// safeNext keeps a post-login destination only if it is a dashboard path
// on this site: an open redirect to another host would lend the login
// page to phishing.
func safeNext(next string) string {
	if len(next) > 2048 || !strings.HasPrefix(next, Prefix) || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, Prefix+"login") {
		return Prefix
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.Contains(u.Path, "//") {
		return Prefix
	}
	return next
}
