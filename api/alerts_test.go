package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/providers"
	"github.com/rebond/rebond/store"
)

// TestGetRatesByProvider: group_by=provider asks the store for domains and
// sums them per mailbox provider, with the rates and intervals of the
// sums; domain stays only when asked for too; CSV carries the provider.
func TestGetRatesByProvider(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{}, nil)
	f.reader.rates = []store.RateRow{
		{Channel: channels.Email, Campaign: "c", Domain: "gmail.com", Sent: 600, Hard: 60},
		{Channel: channels.Email, Campaign: "c", Domain: "googlemail.com", Sent: 400, Hard: 40, Soft: 10},
		{Channel: channels.Email, Campaign: "c", Domain: "hotmail.fr", Sent: 50, Hard: 1},
		{Channel: channels.Email, Campaign: "c", Domain: "example.org", Sent: 200},
		{Channel: channels.SMS, Campaign: "c", Sent: 30, Hard: 3},
	}
	code, body := f.authed("GET", "/v1/rates?group_by=provider&min_volume=100", "")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	if got := f.reader.query.GroupBy; !cmp.Equal(got, []string{"domain"}) {
		t.Errorf("store asked for %v, want domain", got)
	}
	var res struct{ Rows []store.RateRow }
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	type r struct {
		Channel           channels.Channel
		Provider, Domain  string
		Sent, Soft, Hard  int64
		HardRate          float64
		HardLow, HardHigh float64
		LowVolume         bool
	}
	var got []r
	for _, x := range res.Rows {
		got = append(got, r{x.Channel, x.Provider, x.Domain, x.Sent, x.Soft, x.Hard, x.HardRate, x.HardRateCI.Low, x.HardRateCI.High, x.LowVolume})
	}
	w := func(k, n int64) channels.Interval { return channels.Wilson(k, n) }
	want := []r{
		{channels.Email, "Google", "", 1000, 10, 100, 0.1, w(100, 1000).Low, w(100, 1000).High, false},
		{channels.Email, "Microsoft", "", 50, 0, 1, 0.02, w(1, 50).Low, w(1, 50).High, true},
		{channels.Email, "other", "", 200, 0, 0, 0, 0, w(0, 200).High, false},
		{channels.SMS, "", "", 30, 0, 3, 0.1, w(3, 30).Low, w(3, 30).High, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}

	code, body = f.authed("GET", "/v1/rates?group_by=provider,domain&channel=email", "")
	if code != http.StatusOK || !strings.Contains(body, `"domain":"gmail.com"`) || !strings.Contains(body, `"provider":"Google"`) {
		t.Errorf("provider and domain: %d %s", code, body)
	}
	if got := f.reader.query.GroupBy; !cmp.Equal(got, []string{"domain"}) {
		t.Errorf("provider,domain: store asked for %v, want domain once", got)
	}
	code, body = f.authed("GET", "/v1/rates?group_by=provider,day&format=csv", "")
	if code != http.StatusOK || !strings.Contains(body, ",Google,,,,0,") ||
		!strings.HasSuffix(strings.SplitN(body, "\n", 2)[0], ",provider,reason,reason_group,route,unsubscribed,unsubscribe_rate,unsubscribe_rate_low,unsubscribe_rate_high,country,carrier") {
		t.Errorf("csv: %d %s", code, body)
	}
	if got := f.reader.query.GroupBy; !cmp.Equal(got, []string{"domain", "day"}) {
		t.Errorf("provider,day: store asked for %v", got)
	}
}

// TestGetRatesCustomProviders: the configured table replaces the shipped
// one.
func TestGetRatesCustomProviders(t *testing.T) {
	t.Parallel()
	tbl, err := providers.Parse([]byte("providers:\n- {name: Acme, domains: [example.org]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, Config{Providers: tbl}, nil)
	f.reader.rates = []store.RateRow{{Channel: channels.Email, Campaign: "c", Domain: "example.org", Sent: 1},
		{Channel: channels.Email, Campaign: "c", Domain: "gmail.com", Sent: 1}}
	code, body := f.authed("GET", "/v1/rates?group_by=provider", "")
	if code != http.StatusOK || !strings.Contains(body, `"provider":"Acme"`) || !strings.Contains(body, `"provider":"other"`) {
		t.Errorf("%d %s", code, body)
	}
}

// alertsReader is a Reader that lists alerts too.
type alertsReader struct {
	fakeReader
	active, recent []channels.AlertChange
	limits         []int
}

func (a *alertsReader) ActiveAlerts(context.Context) ([]channels.AlertChange, error) {
	return a.active, nil
}

func (a *alertsReader) RecentAlerts(_ context.Context, limit int) ([]channels.AlertChange, error) {
	a.limits = append(a.limits, limit)
	return a.recent, nil
}

// TestGetAlerts: active alerts by default, the history with state=all and
// a bounded limit, 400 on anything else, 501 when the reader has none.
func TestGetAlerts(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	crit := channels.AlertChange{ID: 3, AlertKey: channels.AlertKey{Channel: channels.Email, Campaign: "spring", Provider: "Google", Metric: "hard_rate"},
		From: "warning", To: "critical", At: at, Sent: 1000, Hits: 150, Rate: 0.15, CI: channels.Wilson(150, 1000), Threshold: 0.1}
	r := &alertsReader{active: []channels.AlertChange{crit}, recent: []channels.AlertChange{crit, {ID: 2}}}
	srv, err := New(Config{AdminToken: token}, &fakePublisher{}, r, nil, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{srv: srv}
	for _, path := range []string{"/v1/alerts", "/v1/alerts?state=active"} {
		code, body := f.authed("GET", path, "")
		var got struct{ Alerts []channels.AlertChange }
		if err := json.Unmarshal([]byte(body), &got); code != http.StatusOK || err != nil {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		if diff := cmp.Diff([]channels.AlertChange{crit}, got.Alerts); diff != "" {
			t.Errorf("%s (-want +got):\n%s", path, diff)
		}
	}
	if code, body := f.authed("GET", "/v1/alerts?state=all&limit=2", ""); code != http.StatusOK || !strings.Contains(body, `"id":2`) {
		t.Errorf("state=all: %d %s", code, body)
	}
	f.authed("GET", "/v1/alerts?state=all", "")
	if !cmp.Equal(r.limits, []int{2, maxAlertChanges}) {
		t.Errorf("limits = %v", r.limits)
	}
	for _, qs := range []string{"state=open", "state=all&limit=0", "state=all&limit=1001", "state=all&limit=x"} {
		if code, body := f.authed("GET", "/v1/alerts?"+qs, ""); code != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s", qs, code, body)
		}
	}
	r.active = nil
	if code, body := f.authed("GET", "/v1/alerts", ""); code != http.StatusOK || body != "{\"alerts\":[]}\n" {
		t.Errorf("none active: %d %q", code, body)
	}
	plain := newFixture(t, Config{}, nil)
	if code, _ := plain.authed("GET", "/v1/alerts", ""); code != http.StatusNotImplemented {
		t.Errorf("reader without alerts: %d, want 501", code)
	}
}

// deliveriesReader is a Reader that lists alert deliveries too.
type deliveriesReader struct {
	fakeReader
	list   []store.AlertDelivery
	limits []int
}

func (d *deliveriesReader) RecentAlertDeliveries(_ context.Context, limit int) ([]store.AlertDelivery, error) {
	d.limits = append(d.limits, limit)
	return d.list, nil
}

// TestGetAlertDeliveries: the log with a bounded limit (default 100), 400
// on a bad one, an empty list as [], 501 when the reader has none.
func TestGetAlertDeliveries(t *testing.T) {
	t.Parallel()
	sent := time.Date(2026, 11, 29, 12, 0, 3, 0, time.UTC)
	d := store.AlertDelivery{ID: 5, Tenant: channels.DefaultTenant, Destination: "ops", Kind: "webhook", Notice: "open", Status: "sent",
		Attempts: 2, LastError: "status 502", CreatedAt: sent.Add(-time.Minute), SentAt: &sent,
		Change: channels.AlertChange{ID: 3, AlertKey: channels.AlertKey{Channel: channels.SMS, Campaign: "spring", Metric: "hard_rate"}, From: "ok", To: "critical"}}
	r := &deliveriesReader{list: []store.AlertDelivery{d}}
	srv, err := New(Config{AdminToken: token}, &fakePublisher{}, r, nil, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{srv: srv}
	code, body := f.authed("GET", "/v1/alerts/deliveries?limit=7", "")
	var got struct{ Deliveries []store.AlertDelivery }
	if err := json.Unmarshal([]byte(body), &got); code != http.StatusOK || err != nil {
		t.Fatalf("%d %s", code, body)
	}
	if diff := cmp.Diff([]store.AlertDelivery{d}, got.Deliveries); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	r.list = nil
	if code, body := f.authed("GET", "/v1/alerts/deliveries", ""); code != http.StatusOK || body != "{\"deliveries\":[]}\n" {
		t.Errorf("none: %d %q", code, body)
	}
	if !cmp.Equal(r.limits, []int{7, 100}) {
		t.Errorf("limits = %v", r.limits)
	}
	for _, qs := range []string{"limit=0", "limit=1001", "limit=x"} {
		if code, body := f.authed("GET", "/v1/alerts/deliveries?"+qs, ""); code != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s", qs, code, body)
		}
	}
	plain := newFixture(t, Config{}, nil)
	if code, _ := plain.authed("GET", "/v1/alerts/deliveries", ""); code != http.StatusNotImplemented {
		t.Errorf("reader without deliveries: %d, want 501", code)
	}
}
