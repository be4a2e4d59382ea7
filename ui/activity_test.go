package ui

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// The store gives the Activity page its log.
var _ EventLog = (*store.Store)(nil)

// activityReader is the demo reader with an event log of two events.
type activityReader struct {
	*fakeReader
	queries []store.ActivityQuery
}

func (a *activityReader) Activity(_ context.Context, q store.ActivityQuery, now time.Time) (store.ActivityPage, error) {
	a.queries = append(a.queries, q)
	if q.Cursor == "bad" {
		return store.ActivityPage{}, store.ErrBadQuery
	}
	at := demoNow.Add(-time.Hour)
	p := store.ActivityPage{From: now.Add(-store.DefaultActivityRange), To: now, Events: []store.ActivityEvent{
		{ID: "ev-1", Channel: channels.Email, Type: "failed", Recipient: "ann@example.com", Campaign: "spring-sale", OccurredAt: at,
			ReceivedAt: at, Provider: "ses", Outcome: "hard", Reason: "user_unknown", Rule: "email.user_unknown@1"},
		{ID: "ev-2", Channel: channels.SMS, Type: "failed", Recipient: "+33612345678", OccurredAt: at.Add(-time.Minute), ReceivedAt: at,
			Country: "FR", Carrier: "20801"},
	}}
	if q.Cursor == "" {
		p.NextCursor = "page2"
	}
	return p, nil
}

func (a *activityReader) ActivityEvent(_ context.Context, id string) (store.ActivityDetail, error) {
	if id != "ev-1" {
		return store.ActivityDetail{}, store.ErrNotFound
	}
	d := store.ActivityDetail{ActivityEvent: store.ActivityEvent{ID: id, Channel: channels.SMS, Type: "failed", Recipient: "+33612345678",
		Outcome: "hard", Reason: "user_unknown", Rule: "sms.undeliv@1", OccurredAt: demoNow, ReceivedAt: demoNow},
		Evidence: "stat=UNDELIV err=001"}
	d.Event.Raw = `{"method":"GET","path":"/v1/webhooks/kannel","raw_query":"id=9&password=hunter2&stat=UNDELIV"}`
	d.Event.SMS = &channels.SMSReceipt{Stat: "UNDELIV", Err: "001"}
	return d, nil
}

// activityHandler is a signed-in dashboard over activityReader.
func activityHandler(t *testing.T) (*activityReader, *Handler, *http.Cookie) {
	t.Helper()
	r := &activityReader{fakeReader: newDemoReader()}
	h := newTestHandler(t, Config{}, r)
	return r, h, login(t, h)
}

func TestActivityPage(t *testing.T) {
	t.Parallel()
	r, h, c := activityHandler(t)
	body := page(t, h, c, "/ui/activity?campaign=spring-sale&reason=user_unknown&from=2026-11-15&to=2026-11-22")
	wantAll(t, "activity", body, "<h1>Activity</h1>", "ann@example.com", "user_unknown", "not applied yet", `aria-current="page">Activity`,
		`value="spring-sale"`, `rel="next"`, html.EscapeString("/ui/activity?campaign=spring-sale&cursor=page2"),
		html.EscapeString("/ui/activity?campaign=spring-sale&from=2026-11-15&id=ev-1"))
	q := r.queries[0]
	if !q.CampaignSet || q.Campaign != "spring-sale" || q.Reason != "user_unknown" || !q.From.Equal(time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("query %+v", q)
	}
	// A 90-day range from another page keeps its last 31 days, and says so.
	body = page(t, h, c, "/ui/activity?from=2026-08-24&to=2026-11-22")
	wantAll(t, "long range", body, "at most 31 days")
	if q := r.queries[len(r.queries)-1]; q.To.Sub(q.From) != store.MaxActivityRange || q.CampaignSet {
		t.Errorf("long range query %+v", q)
	}
	// The detail: verdict, rule, evidence, raw source without its secret.
	body = page(t, h, c, "/ui/activity?campaign=spring-sale&id=ev-1")
	wantAll(t, "event", body, "sms.undeliv@1", "stat=UNDELIV err=001", "user_unknown", "password=********", "Raw source",
		html.EscapeString("/ui/activity?campaign=spring-sale"))
	if strings.Contains(body, "hunter2") {
		t.Error("the event page shows the webhook's password")
	}
	for path, status := range map[string]int{"/ui/activity?id=nope": http.StatusNotFound, "/ui/activity?cursor=bad": http.StatusBadRequest,
		"/ui/activity?channel=fax": http.StatusBadRequest, "/ui/activity?from=yesterday": http.StatusBadRequest} {
		if res := do(t, h, "GET", path, nil, c); res.StatusCode != status {
			t.Errorf("GET %s: %d, want %d", path, res.StatusCode, status)
		}
	}
}

// TestActivityNetworkFilters: the country and carrier fields reach the
// query normalized, stay in the form, the next page's link and the
// event links as typed, and a malformed one is refused by name.
func TestActivityNetworkFilters(t *testing.T) {
	t.Parallel()
	r, h, c := activityHandler(t)
	body := page(t, h, c, "/ui/activity?channel=sms&country=fr&carrier=208-01")
	wantAll(t, "activity", body, `name="country"`, `name="carrier"`, `value="fr"`, `value="208-01"`, "FR <code>20801</code>",
		html.EscapeString("/ui/activity?carrier=208-01&channel=sms&country=fr&cursor=page2"),
		html.EscapeString("/ui/activity?carrier=208-01&channel=sms&country=fr&id=ev-1"))
	if q := r.queries[0]; q.Country != "FR" || q.Carrier != "20801" || q.Channel != channels.SMS {
		t.Errorf("query %+v", q)
	}
	for _, bad := range []string{"country=FRA", "country=f1", "carrier=2080", "carrier=20801x"} {
		res := do(t, h, "GET", "/ui/activity?"+bad, nil, c)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("GET ?%s: %d, want 400", bad, res.StatusCode)
		}
	}
}

func TestReasonsLinkToActivity(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, Config{}, &activityReader{fakeReader: newDemoReader()})
	c := login(t, h)
	reasons := page(t, h, c, "/ui/reasons?range=7")
	if !strings.Contains(reasons, `href="/ui/activity?channel=email&amp;from=2026-11-16&amp;outcome=`) {
		t.Errorf("reasons page has no link into the activity log:\n%s", reasons)
	}
	campaign := page(t, h, c, "/ui/campaign?channel=email&name=spring-sale&range=7")
	wantAll(t, "campaign", campaign, `campaign=spring-sale&amp;channel=email&amp;from=2026-11-16&amp;outcome=`, "This campaign's events")
}

func TestActivityUnavailable(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, Config{}, newDemoReader())
	wantAll(t, "activity", page(t, h, login(t, h), "/ui/activity"), "not available")
}
