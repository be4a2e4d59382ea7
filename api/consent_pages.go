package api

import (
	"errors"
	"html/template"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/consent"
)

// maxConsentForm bounds the body of a public consent POST: RFC 8058's
// "List-Unsubscribe=One-Click", or the pages' one-field forms.
const maxConsentForm = 16 << 10

// routeConsentPage registers a public consent page: no bearer token (the
// signed token in the path is the credential), each client address within
// its request budget (ConsentConfig.PublicRate) and, like every route that
// authenticates, its failures throttled: a refused token spends one.
func (s *Server) routeConsentPage(mux *http.ServeMux, pattern string, h handlerFunc) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := s.public.take(r); d > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
			s.consentPage(w, http.StatusTooManyRequests, pageData{Title: "Too many requests", Text: "Too many requests from your address; try again in a moment."})
			return
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
	mux.Handle(pattern, s.observe(pattern, s.recover(s.throttleFailures(next))))
	s.patterns = append(s.patterns, pattern)
}

// clientBudget bounds each client address's requests to the public
// consent pages: failureThrottle's per-client buckets, spent by every
// request instead of by failures.
type clientBudget struct{ *failureThrottle }

// take spends one request of r's client, or says how long it must wait.
func (b clientBudget) take(r *http.Request) time.Duration {
	if b.failureThrottle == nil {
		return 0
	}
	if d := b.wait(r); d > 0 {
		return d
	}
	b.fail(r)
	return 0
}

// openToken checks the token of a public consent URL. A refused one is
// answered here (403, or 410 for an expired confirmation) and spends one
// of the client's failed authentications.
func (s *Server) openToken(w http.ResponseWriter, r *http.Request, k consent.Kind) (consent.Token, bool) {
	if s.cfg.Consent.Keys == nil {
		s.consentPage(w, http.StatusNotFound, pageData{Title: "Not found", Text: "This server signs no consent links."})
		return consent.Token{}, false
	}
	t, err := consent.Open(r.PathValue("token"), k, s.cfg.Consent.Keys, s.now())
	switch {
	case errors.Is(err, consent.ErrExpired):
		s.metrics.consent.WithLabelValues(k.String(), "expired").Inc()
		s.consentPage(w, http.StatusGone, pageData{Title: "This link has expired",
			Text: "The confirmation link is too old. Ask the sender for a new one."})
		return consent.Token{}, false
	case err != nil:
		s.failures.fail(r)
		s.metrics.consent.WithLabelValues(k.String(), "refused").Inc()
		s.log.InfoContext(r.Context(), "consent link refused", "kind", k.String(), "error", err)
		s.consentPage(w, http.StatusForbidden, pageData{Title: "This link is not valid",
			Text: "The link was changed or cut short. Use the link exactly as it came in the message."})
		return consent.Token{}, false
	}
	return t, true
}

// getUnsubscribe serves GET /consent/unsubscribe/{token}: a page that
// asks to confirm, and changes nothing (mail scanners and link previews
// fetch URLs; RFC 8058 section 3).
func (s *Server) getUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	t, ok := s.openToken(w, r, consent.Unsubscribe)
	if !ok {
		return nil
	}
	s.consentPage(w, http.StatusOK, pageData{Title: "Unsubscribe", Token: t, Text: "Stop receiving " + what(t) + " at " + mask(t) + "?",
		Button: "Unsubscribe", Action: "unsubscribe"})
	return nil
}

// postUnsubscribe serves POST /consent/unsubscribe/{token}: RFC 8058's
// one-click POST (body List-Unsubscribe=One-Click, answered in plain
// text), the page's button, or its undo (action=undo, an opt-in). The
// recipient is opted out at once, with no login and no confirmation;
// the answer comes once the event is on the bus. A repeated POST is
// another event that changes nothing (lifecycle: an opt-out of a consent
// opted out already).
func (s *Server) postUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	t, ok := s.openToken(w, r, consent.Unsubscribe)
	if !ok {
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxConsentForm)
	if err := r.ParseMultipartForm(maxConsentForm); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return errorf(http.StatusBadRequest, "unreadable form: %v", err)
	}
	oneClick := r.PostFormValue("List-Unsubscribe") == "One-Click"
	switch action := r.PostFormValue("action"); {
	case action == "undo":
		if !s.publishConsent(w, r, t, channels.OptIn, channels.SourceUnsubscribe) {
			return nil
		}
		s.consentPage(w, http.StatusOK, pageData{Title: "You are subscribed again", Token: t,
			Text: "You will receive " + what(t) + " at " + mask(t) + " again.", Button: "Unsubscribe", Action: "unsubscribe"})
	case oneClick && action == "":
		if !s.publishConsent(w, r, t, channels.OptOut, channels.SourceOneClick) {
			return nil
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("Unsubscribed.\n"))
	default:
		if !s.publishConsent(w, r, t, channels.OptOut, channels.SourceUnsubscribe) {
			return nil
		}
		s.consentPage(w, http.StatusOK, pageData{Title: "You are unsubscribed", Token: t,
			Text: "You will no longer receive " + what(t) + " at " + mask(t) + ".", Button: "Undo: keep receiving them", Action: "undo"})
	}
	return nil
}

// getConfirm serves GET /consent/confirm/{token}: the double opt-in page,
// whose button confirms; the GET itself changes nothing.
func (s *Server) getConfirm(w http.ResponseWriter, r *http.Request) error {
	t, ok := s.openToken(w, r, consent.Confirm)
	if !ok {
		return nil
	}
	s.consentPage(w, http.StatusOK, pageData{Title: "Confirm your subscription", Token: t,
		Text: "Confirm that you want to receive " + what(t) + " at " + mask(t) + ".", Button: "Confirm", Action: "confirm"})
	return nil
}

// postConfirm serves POST /consent/confirm/{token}: a confirmed consent
// (an opt-in, source confirm) with the time, the client's address and its
// user agent.
func (s *Server) postConfirm(w http.ResponseWriter, r *http.Request) error {
	t, ok := s.openToken(w, r, consent.Confirm)
	if !ok {
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxConsentForm)
	if !s.publishConsent(w, r, t, channels.OptIn, channels.SourceConfirm) {
		return nil
	}
	s.consentPage(w, http.StatusOK, pageData{Title: "Thank you", Text: "Your subscription to " + what(t) + " at " + mask(t) + " is confirmed."})
	return nil
}

// publishConsent publishes the consent event of t's holder and reports
// whether the bus took it; when it did not, the answer is written (503:
// nothing happened, try again).
func (s *Server) publishConsent(w http.ResponseWriter, r *http.Request, t consent.Token, typ channels.Type, src string) bool {
	e := t.Event(typ, src, s.now(), clientIP(r), userAgent(r))
	if err := e.Normalize(); err != nil {
		// The token was checked when it was issued: only an event the
		// issuing server accepted then and this one does not gets here.
		s.log.WarnContext(r.Context(), "consent event refused", "error", err)
		s.consentPage(w, http.StatusBadRequest, pageData{Title: "This link cannot be used", Text: "Ask the sender for a new one."})
		return false
	}
	if err := s.pub.Publish(r.Context(), []channels.Event{e}); err != nil {
		s.log.WarnContext(r.Context(), "publish failed; consent refused", "type", typ, "source", src, "error", err)
		w.Header().Set("Retry-After", "10")
		s.consentPage(w, http.StatusServiceUnavailable, pageData{Title: "Please try again", Text: "Nothing was changed; try again in a minute."})
		return false
	}
	s.metrics.consent.WithLabelValues(string(typ), src).Inc()
	s.count([]channels.Event{e}, 0)
	return true
}

// clientIP is the request's peer address, kept with a consent for the
// audit (X-Forwarded-For is not trusted: any client can set it).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}

// userAgent is the request's User-Agent as an event can carry it: valid
// UTF-8 without control characters, at most channels.MaxIDLen bytes.
func userAgent(r *http.Request) string {
	ua := strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return -1
		}
		return c
	}, strings.ToValidUTF8(r.UserAgent(), ""))
	for len(ua) > channels.MaxIDLen {
		_, n := utf8.DecodeLastRuneInString(ua)
		ua = ua[:len(ua)-n]
	}
	return ua
}

// what names what a token's consent covers, for its page.
func what(t consent.Token) string {
	switch t.Scope {
	case channels.ScopeList:
		return "the list “" + t.List + "”"
	case channels.ScopeCampaign:
		return "the campaign “" + t.Campaign + "”"
	}
	if t.Channel == channels.SMS {
		return "text messages from this sender"
	}
	return "messages from this sender"
}

// mask shows a recipient enough for its owner to recognize it, and little
// to anyone who sees the page over a shoulder: a…@example.com, +44…123.
func mask(t consent.Token) string {
	r := t.Recipient
	if at := strings.LastIndexByte(r, '@'); at > 0 {
		first, _ := utf8.DecodeRuneInString(r)
		return string(first) + "…" + r[at:]
	}
	if len(r) > 6 {
		return r[:3] + "…" + r[len(r)-3:]
	}
	return r
}

// pageData is what a consent page shows: a title, a sentence, and a form
// with one button posting action to the page's own URL.
type pageData struct {
	Title, Text    string
	Token          consent.Token
	Button, Action string
}

var consentTemplate = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d2329}
h1{font-size:1.4rem}button{font:inherit;padding:.5rem 1.2rem;border:1px solid #1d5fbf;border-radius:4px;background:#1d5fbf;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #f2b100;outline-offset:2px}</style></head>
<body><main><h1>{{.Title}}</h1><p>{{.Text}}</p>
{{- if .Button}}<form method="post"><input type="hidden" name="action" value="{{.Action}}"><button type="submit">{{.Button}}</button></form>{{end}}
</main></body></html>
`))

// consentPage writes a consent page. The URL holds the token: no
// referrer leaves with it, no cache keeps it, nothing frames it.
func (s *Server) consentPage(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	if err := consentTemplate.Execute(w, d); err != nil {
		s.log.Warn("consent page", "error", err)
	}
}
