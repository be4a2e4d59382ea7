package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// IncidentReader lists sender incidents. The server's Reader serves GET
// /v1/incidents when it implements it too (the store does); otherwise the
// route answers 501.
type IncidentReader interface {
	Incidents(ctx context.Context, q store.IncidentQuery) ([]store.Incident, error)
}

// getIncidents lists sender incidents, the most recently seen first:
// ?channel= (email, sms), ?state= (open, resolved), ?limit= (1 to
// store.MaxIncidents, the default).
func (s *Server) getIncidents(w http.ResponseWriter, r *http.Request) error {
	ir, ok := s.reader.(IncidentReader)
	if !ok {
		return errorf(http.StatusNotImplemented, "incidents are not configured")
	}
	q, err := incidentQuery(r)
	if err != nil {
		return err
	}
	list, err := ir.Incidents(r.Context(), q)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Incident{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": list})
	return nil
}

// incidentQuery reads and checks the listing's query parameters.
func incidentQuery(r *http.Request) (store.IncidentQuery, error) {
	v := r.URL.Query()
	q := store.IncidentQuery{Channel: channels.Channel(v.Get("channel")), State: v.Get("state")}
	if q.Channel != "" && !q.Channel.Valid() {
		return q, errorf(http.StatusBadRequest, "channel: %q is not one of email, sms", q.Channel)
	}
	if q.State != "" && q.State != store.IncidentOpen && q.State != store.IncidentResolved {
		return q, errorf(http.StatusBadRequest, "state: %q is not one of open, resolved", q.State)
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxIncidents {
			return q, errorf(http.StatusBadRequest, "limit: %q is not a number from 1 to %d", l, store.MaxIncidents)
		}
		q.Limit = n
	}
	return q, nil
}
