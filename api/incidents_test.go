package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// incidentsReader is a Reader that lists incidents too, and records the
// query it got.
type incidentsReader struct {
	fakeReader
	list []store.Incident
	err  error
	got  []store.IncidentQuery
}

func (f *incidentsReader) Incidents(_ context.Context, q store.IncidentQuery) ([]store.Incident, error) {
	f.got = append(f.got, q)
	return f.list, f.err
}

func incidentsFixture(t *testing.T, r *incidentsReader) *fixture {
	t.Helper()
	srv, err := New(Config{AdminToken: token}, &fakePublisher{}, r, nil, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv}
}

func TestGetIncidents(t *testing.T) {
	seen := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	in := store.Incident{ID: 7, Channel: channels.SMS, Route: "smpp:acme", Reason: "rate_limited", State: store.IncidentOpen,
		Count: 12, FirstSeen: seen, LastSeen: seen.Add(time.Hour), LastEventID: "ev1", LastRule: "sms.throttled@1", OpenedAt: seen}
	r := &incidentsReader{list: []store.Incident{in}}
	f := incidentsFixture(t, r)

	code, body := f.authed("GET", "/v1/incidents?channel=sms&state=open&limit=5", "")
	if code != http.StatusOK {
		t.Fatalf("GET /v1/incidents: %d %s", code, body)
	}
	var got struct {
		Incidents []store.Incident `json:"incidents"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Incident{in}, got.Incidents); diff != "" {
		t.Errorf("incidents (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]store.IncidentQuery{{Channel: channels.SMS, State: store.IncidentOpen, Limit: 5}}, r.got); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}

	r.list = nil
	if code, body := f.authed("GET", "/v1/incidents", ""); code != http.StatusOK || body != "{\"incidents\":[]}\n" {
		t.Errorf("no incidents: %d %q, want an empty list", code, body)
	}
	if last := r.got[len(r.got)-1]; last != (store.IncidentQuery{}) {
		t.Errorf("no parameters: query %+v, want the zero query", last)
	}
}

func TestGetIncidentsRefusesBadInput(t *testing.T) {
	r := &incidentsReader{}
	f := incidentsFixture(t, r)
	for _, q := range []string{"channel=fax", "state=closed", "limit=0", "limit=1001", "limit=x"} {
		if code, body := f.authed("GET", "/v1/incidents?"+q, ""); code != http.StatusBadRequest {
			t.Errorf("?%s: %d %s, want 400", q, code, body)
		}
	}
	if len(r.got) != 0 {
		t.Errorf("bad input reached the store: %+v", r.got)
	}
	if code, _ := f.do("GET", "/v1/incidents", "", ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	r.err = errors.New("database down")
	if code, body := f.authed("GET", "/v1/incidents", ""); code != http.StatusInternalServerError || !json.Valid([]byte(body)) {
		t.Errorf("store error: %d %s, want 500", code, body)
	}
}

func TestGetIncidentsWithoutAnIncidentReader(t *testing.T) {
	f := newFixture(t, Config{}, nil) // fakeReader lists no incidents
	if code, _ := f.authed("GET", "/v1/incidents", ""); code != http.StatusNotImplemented {
		t.Errorf("GET /v1/incidents: %d, want 501", code)
	}
}
