package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestUIMount checks that Config.UI receives GET and POST under /ui/, with
// no bearer token (the dashboard has its own session), and that nothing
// is mounted without it.
func TestUIMount(t *testing.T) {
	t.Parallel()
	var got []string
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	})
	f := newFixture(t, Config{UI: ui}, nil)
	for _, req := range [][2]string{{"GET", "/ui/"}, {"GET", "/ui/campaigns"}, {"POST", "/ui/login"}} {
		if code, _ := f.do(req[0], req[1], "", ""); code != http.StatusTeapot {
			t.Errorf("%s %s: status %d, want the ui's 418", req[0], req[1], code)
		}
	}
	if len(got) != 3 {
		t.Errorf("ui saw %v", got)
	}
	req := httptest.NewRequest("GET", "/ui", nil)
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	if rec.Code/100 != 3 || rec.Header().Get("Location") != "/ui/" {
		t.Errorf("GET /ui: status %d to %q, want a redirect to /ui/", rec.Code, rec.Header().Get("Location"))
	}
	if code, _ := newFixture(t, Config{}, nil).do("GET", "/ui/", "", ""); code != http.StatusNotFound {
		t.Errorf("GET /ui/ without a ui: status %d, want 404", code)
	}
}
