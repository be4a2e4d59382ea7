package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/rebond/rebond/channels"
)

// AlertReader reads the rate alerts the scheduler keeps. The server's
// Reader serves GET /v1/alerts when it implements it too (the store does);
// otherwise the route answers 501.
type AlertReader interface {
	ActiveAlerts(ctx context.Context) ([]channels.AlertChange, error)
	RecentAlerts(ctx context.Context, limit int) ([]channels.AlertChange, error)
}

// maxAlertChanges bounds ?state=all.
const maxAlertChanges = 1000

// getAlerts answers GET /v1/alerts: ?state=active (the default) lists the
// alerts not ok, each as its latest state change; ?state=all lists the
// last ?limit= state changes (default and at most 1000), newest first.
func (s *Server) getAlerts(w http.ResponseWriter, r *http.Request) error {
	ar, ok := s.reader.(AlertReader)
	if !ok {
		return errorf(http.StatusNotImplemented, "alerts are not configured")
	}
	v := r.URL.Query()
	var list []channels.AlertChange
	var err error
	switch v.Get("state") {
	case "", "active":
		list, err = ar.ActiveAlerts(r.Context())
	case "all":
		limit := maxAlertChanges
		if l := v.Get("limit"); l != "" {
			if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > maxAlertChanges {
				return errorf(http.StatusBadRequest, "limit: %q is not a count in 1..%d", l, maxAlertChanges)
			}
		}
		list, err = ar.RecentAlerts(r.Context(), limit)
	default:
		return errorf(http.StatusBadRequest, "state: %q is not one of active, all", v.Get("state"))
	}
	if err != nil {
		return err
	}
	if list == nil {
		list = []channels.AlertChange{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": list})
	return nil
}
