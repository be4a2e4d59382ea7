package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
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
		var limit int
		if limit, err = listLimit(v.Get("limit"), maxAlertChanges); err != nil {
			return err
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

// AlertDeliveryReader reads the log of alert notices sent to the
// configured destinations. The server's Reader serves GET
// /v1/alerts/deliveries when it implements it too (the store does).
type AlertDeliveryReader interface {
	RecentAlertDeliveries(ctx context.Context, limit int) ([]store.AlertDelivery, error)
}

// getAlertDeliveries answers GET /v1/alerts/deliveries: the last ?limit=
// deliveries of the caller's tenant (default 100, at most 1000), newest
// first, each with its status, attempts and last error.
func (s *Server) getAlertDeliveries(w http.ResponseWriter, r *http.Request) error {
	dr, ok := s.reader.(AlertDeliveryReader)
	if !ok {
		return errorf(http.StatusNotImplemented, "alert deliveries are not configured")
	}
	limit, err := listLimit(r.URL.Query().Get("limit"), 100)
	if err != nil {
		return err
	}
	list, err := dr.RecentAlertDeliveries(r.Context(), limit)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.AlertDelivery{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": list})
	return nil
}

// listLimit reads ?limit= of the alert listings: a count in
// 1..maxAlertChanges, def when absent.
func listLimit(l string, def int) (int, error) {
	if l == "" {
		return def, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > maxAlertChanges {
		return 0, errorf(http.StatusBadRequest, "limit: %q is not a count in 1..%d", l, maxAlertChanges)
	}
	return n, nil
}
