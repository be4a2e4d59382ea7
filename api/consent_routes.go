package api

import (
	"net/http"

	"github.com/rebond/rebond/channels/consent"
)

// routeConsent registers the consent routes: the senders' (signed URLs,
// the export), which take a bearer token, and the recipients' public
// pages under consent.UnsubscribePath and consent.ConfirmPath, whose
// credential is the signed token of their URL.
func (s *Server) routeConsent(mux *http.ServeMux) {
	s.route(mux, "POST /v1/consent/unsubscribe", s.postUnsubscribeLinks, true)
	s.route(mux, "POST /v1/consent/requests", s.postConsentRequest, true)
	s.route(mux, "GET /v1/consents", s.getConsents, true)
	s.routeConsentPage(mux, "GET "+consent.UnsubscribePath+"{token}", s.getUnsubscribe)
	s.routeConsentPage(mux, "POST "+consent.UnsubscribePath+"{token}", s.postUnsubscribe)
	s.routeConsentPage(mux, "GET "+consent.ConfirmPath+"{token}", s.getConfirm)
	s.routeConsentPage(mux, "POST "+consent.ConfirmPath+"{token}", s.postConfirm)
}
