package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// fakeEventLog answers every page with one event, or the store's
// ErrBadQuery for a cursor "bad", and records the last query.
type fakeEventLog struct {
	last store.ActivityQuery
}

func (f *fakeEventLog) Activity(_ context.Context, q store.ActivityQuery, now time.Time) (store.ActivityPage, error) {
	f.last = q
	if q.Cursor == "bad" {
		return store.ActivityPage{}, store.ErrBadQuery
	}
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	return store.ActivityPage{From: now.Add(-store.DefaultActivityRange), To: now, NextCursor: "next",
		Events: []store.ActivityEvent{{ID: "e1", Channel: channels.Email, Type: "failed", Recipient: "x@example.org",
			Campaign: "=cmd()", OccurredAt: at, ReceivedAt: at, Outcome: "hard", Reason: "user_unknown", Rule: "r1",
			Country: "GB", Carrier: "23410"}}}, nil
}

func (f *fakeEventLog) ActivityEvent(_ context.Context, id string) (store.ActivityDetail, error) {
	if id == "missing" {
		return store.ActivityDetail{}, store.ErrNotFound
	}
	d := store.ActivityDetail{ActivityEvent: store.ActivityEvent{ID: id, Channel: channels.SMS, Outcome: "hard", Rule: "r1"}, Evidence: "stat:UNDELIV"}
	d.Event.Raw = `{"method":"GET","raw_query":"id=1&token=s3cret-token&stat=UNDELIV"}`
	return d, nil
}

func TestEventLogRoute(t *testing.T) {
	t.Parallel()
	log := &fakeEventLog{}
	f := newFixture(t, Config{Events: log}, nil)
	code, body := f.authed("GET", "/v1/events?channel=email&campaign=spring&reason=user_unknown&outcome=hard&provider=ses&country=gb&carrier=234-10&message_id=m1&from=2026-11-01&to=2026-11-08&limit=50&cursor=c", "")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	want := store.ActivityQuery{Channel: channels.Email, Campaign: "spring", CampaignSet: true, Reason: "user_unknown", Outcome: "hard",
		Provider: "ses", Country: "GB", Carrier: "23410", MessageID: "m1", From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC), Limit: 50, Cursor: "c"}
	if log.last != want {
		t.Errorf("query %+v, want %+v", log.last, want)
	}
	var page store.ActivityPage
	if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Events) != 1 || page.NextCursor != "next" {
		t.Errorf("page %s: %v", body, err)
	}
	// An empty campaign= filters the events without one.
	if f.authed("GET", "/v1/events?campaign=", ""); !log.last.CampaignSet || log.last.Campaign != "" {
		t.Errorf("campaign= read as %+v", log.last)
	}
}

func TestEventLogBadParams(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{Events: &fakeEventLog{}}, nil)
	for _, q := range []string{"channel=fax", "from=yesterday", "to=2026-13-01", "limit=0", "limit=1001", "limit=x", "cursor=bad"} {
		if code, body := f.authed("GET", "/v1/events?"+q, ""); code != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", q, code, body)
		}
	}
	// A bad country or carrier is refused by name.
	for _, q := range []string{"country=G1", "country=GBR", "country=g", "carrier=2341", "carrier=2341x", "carrier=2341000"} {
		name, _, _ := strings.Cut(q, "=")
		if code, body := f.authed("GET", "/v1/events?"+q, ""); code != http.StatusBadRequest || !strings.Contains(body, name+": ") {
			t.Errorf("%s: %d %s, want 400 naming %s", q, code, body, name)
		}
	}
	if code, _ := newFixture(t, Config{}, nil).authed("GET", "/v1/events", ""); code != http.StatusNotImplemented {
		t.Errorf("no event log: %d, want 501", code)
	}
}

func TestEventLogCSV(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{Events: &fakeEventLog{}}, nil)
	req, _ := http.NewRequest("GET", "/v1/events?format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") || rec.Header().Get("X-Next-Cursor") != "next" {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("%v %v", rows, err)
	}
	if strings.Join(rows[0], ",") != strings.Join(eventColumns, ",") || rows[1][2] != "e1" || rows[1][5] != "'=cmd()" || rows[1][10] != "user_unknown" ||
		rows[1][13] != "GB" || rows[1][14] != "23410" {
		t.Errorf("csv %q", rows)
	}
	code, body := f.authed("GET", "/v1/events", "", "Accept", "text/csv")
	if code != http.StatusOK || !strings.HasPrefix(body, "occurred_at,") {
		t.Errorf("Accept: text/csv: %d %s", code, body)
	}
}

func TestEventDetailMasksSecrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{Events: &fakeEventLog{}}, nil)
	code, body := f.authed("GET", "/v1/events/e1", "")
	if code != http.StatusOK || strings.Contains(body, "s3cret-token") || !strings.Contains(body, `token=********`) ||
		!strings.Contains(body, `"evidence":"stat:UNDELIV"`) || !strings.Contains(body, `"rule":"r1"`) {
		t.Errorf("%d %s", code, body)
	}
	if code, body := f.authed("GET", "/v1/events/missing", ""); code != http.StatusNotFound {
		t.Errorf("missing: %d %s", code, body)
	}
}
