package ui

import (
	"net/http"
	"net/url"
	"strings"
)

// sameOrigin refuses a POST that another site's page could have sent
// (cross-site request forgery). Current browsers say where a request comes
// from in Sec-Fetch-Site (W3C Fetch Metadata, a header no page can set);
// they also send Origin with every POST
// (Fetch standard, "append a request Origin header"; RFC 6454 §7); older
// ones send at least a Referer, which the pages' Referrer-Policy
// same-origin keeps for our own forms. A POST with neither, or from
// another host, is refused: SameSite=Strict already keeps the session
// cookie off cross-site requests, and this also covers the login form,
// which has no session yet (login CSRF).
func (h *Handler) sameOrigin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !fromSameHost(r) {
			h.log.WarnContext(r.Context(), "ui: cross-origin POST refused", "path", r.URL.Path,
				"origin", r.Header.Get("Origin"), "referer", r.Header.Get("Referer"))
			http.Error(w, "This form must be sent from the rebond dashboard itself (cross-site request refused).", http.StatusForbidden)
			return
		}
		next(w, r)
	}
}

// fromSameHost reports whether the request's Sec-Fetch-Site says
// same-origin or, without it, whether its Origin, or failing that its
// Referer, names the host the request was sent to. "null" (a sandboxed or
// privacy-sensitive context) is not same-origin.
func fromSameHost(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin":
		return true
	case "same-site", "cross-site":
		return false
	}
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" || src == "null" {
		return false
	}
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}
