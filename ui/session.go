package ui

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// cookieName is the session cookie. The __Host- prefix (RFC 6265bis
	// §4.1.3.2) would pin it to a secure origin, which plain-HTTP local
	// use cannot have, so the attributes below do that work instead.
	cookieName = "rebond_session"
	// sessionTTL is how long a login lasts.
	sessionTTL = 12 * time.Hour
	// maxCookieLen bounds what verify reads: a real value is ~60 bytes.
	maxCookieLen = 256
	// maxLoginBody bounds the login form.
	maxLoginBody = 4 << 10
	// sessionVersion starts every value, so the format can change.
	sessionVersion = "v1"
)

// sessions signs and verifies session values "v1.<expiry unix>.<mac>",
// where mac is HMAC-SHA256 (RFC 2104) over "v1.<expiry>" with the session
// key. The value holds no secret: it proves the bearer logged in with the
// admin token and says until when. Nothing is stored server-side, so any
// replica verifies it; the price is that logging out clears the cookie
// but cannot revoke a copy of it before it expires.
type sessions struct {
	key   []byte
	token [sha256.Size]byte
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

// sign returns the value of a session that ends at exp.
func (s sessions) sign(exp time.Time) string {
	payload := sessionVersion + "." + strconv.FormatInt(exp.Unix(), 10)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

var errSession = errors.New("invalid session")

// verify returns the expiry of a valid, unexpired session value. A value
// claiming to last longer than a session can is refused too.
func (s sessions) verify(value string, now time.Time) (time.Time, error) {
	if len(value) > maxCookieLen {
		return time.Time{}, errSession
	}
	payload, sig, ok := cutLast(value, ".")
	if !ok {
		return time.Time{}, errSession
	}
	version, expText, ok := strings.Cut(payload, ".")
	if !ok || version != sessionVersion {
		return time.Time{}, errSession
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return time.Time{}, errSession
	}
	unix, err := strconv.ParseInt(expText, 10, 64)
	if err != nil {
		return time.Time{}, errSession
	}
	exp := time.Unix(unix, 0)
	if !exp.After(now) || exp.After(now.Add(sessionTTL+time.Minute)) {
		return time.Time{}, errSession
	}
	return exp, nil
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

// loggedIn reports whether the request carries a valid session.
func (h *Handler) loggedIn(r *http.Request) bool {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return false
	}
	_, err = h.session.verify(c.Value, h.now())
	return err == nil
}

// authenticated sends a request without a valid session to the login
// page, remembering where it was going.
func (h *Handler) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.loggedIn(r) {
			target := Prefix + "login"
			if r.Method == http.MethodGet && r.URL.Path != Prefix {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loginData is the login page's data.
type loginData struct {
	Next     string
	Failed   bool
	LoggedIn bool
	Out      bool
}

func (h *Handler) getLogin(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if h.loggedIn(r) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	v := h.newView(r)
	v.Title, v.Bare = "Sign in", true
	v.Data = loginData{Next: next, Out: r.URL.Query().Has("out")}
	h.write(w, r, http.StatusOK, "login", v)
}

// postLogin checks the token and starts a session.
func (h *Handler) postLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad login form", http.StatusBadRequest)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if !h.session.tokenOK(strings.TrimSpace(r.PostForm.Get("token"))) {
		h.log.WarnContext(r.Context(), "ui: login refused: wrong token", "remote_addr", r.RemoteAddr)
		v := h.newView(r)
		v.Title, v.Bare = "Sign in", true
		v.Data = loginData{Next: next, Failed: true}
		h.write(w, r, http.StatusUnauthorized, "login", v)
		return
	}
	exp := h.now().Add(sessionTTL)
	http.SetCookie(w, h.cookie(r, h.session.sign(exp), int(sessionTTL/time.Second)))
	http.Redirect(w, r, next, http.StatusSeeOther)
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
