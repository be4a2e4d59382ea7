package api

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// TestGetRatesByRoute: group_by=route and the route filter reach the
// store as asked, combined with the other groups; the rows' routes come
// out in JSON and CSV; with provider, rows of one mailbox provider stay
// apart by route.
func TestGetRatesByRoute(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{}, nil)
	f.reader.rates = []store.RateRow{
		{Channel: channels.SMS, Campaign: "c", Route: "kannel", Sent: 10, Hard: 1},
		{Channel: channels.SMS, Campaign: "c", Route: "smpp:gw1", Sent: 20, Soft: 2},
		{Channel: channels.SMS, Campaign: "c", Route: "unknown", Sent: 5},
	}
	code, body := f.authed("GET", "/v1/rates?channel=sms&group_by=route,day&route=smpp:gw1", "")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	if q := f.reader.query; !cmp.Equal(q.GroupBy, []string{"route", "day"}) || q.Route != "smpp:gw1" || q.Channel != channels.SMS {
		t.Errorf("store asked %+v, want group_by route,day and route smpp:gw1 on sms", q)
	}
	var res struct{ Rows []store.RateRow }
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, r := range res.Rows {
		routes = append(routes, r.Route)
	}
	if want := []string{"kannel", "smpp:gw1", "unknown"}; !cmp.Equal(routes, want) {
		t.Errorf("json routes %v, want %v", routes, want)
	}

	code, body = f.authed("GET", "/v1/rates?group_by=route&format=csv", "")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if code != http.StatusOK || err != nil || len(recs) != 4 {
		t.Fatalf("csv: %d %v %q", code, err, body)
	}
	col := func(name string) int { return slices.Index(recs[0], name) }
	if got := recs[2][col("route")] + " " + recs[2][col("sent")] + " " + recs[2][col("soft")]; got != "smpp:gw1 20 2" {
		t.Errorf("csv row 2: %q, want route smpp:gw1, sent 20, soft 2", got)
	}

	f.reader.rates = []store.RateRow{
		{Channel: channels.Email, Campaign: "c", Domain: "gmail.com", Route: "ses", Sent: 60, Hard: 6},
		{Channel: channels.Email, Campaign: "c", Domain: "googlemail.com", Route: "ses", Sent: 40, Hard: 4},
		{Channel: channels.Email, Campaign: "c", Domain: "gmail.com", Route: "bounce-mail", Sent: 10, Hard: 5},
	}
	code, body = f.authed("GET", "/v1/rates?group_by=provider,route", "")
	if code != http.StatusOK {
		t.Fatalf("provider,route: %d %s", code, body)
	}
	if got := f.reader.query.GroupBy; !cmp.Equal(got, []string{"domain", "route"}) {
		t.Errorf("provider,route: store asked for %v, want domain,route", got)
	}
	res.Rows = nil
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range res.Rows {
		got[r.Provider+"/"+r.Route] = r.Hard
	}
	if want := map[string]int64{"Google/ses": 10, "Google/bounce-mail": 5}; !cmp.Equal(got, want) {
		t.Errorf("provider,route: hard by provider/route %v, want %v", got, want)
	}
}
