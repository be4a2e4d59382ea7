package workers

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/providers"
	"github.com/rebond/rebond/store"
)

var alertNow = time.Date(2026, 11, 29, 12, 7, 0, 0, time.UTC)

// TestAlertLevel: the lower bound of the Wilson interval, not the rate,
// meets the threshold, and groups under the minimum volume never alert.
func TestAlertLevel(t *testing.T) {
	t.Parallel()
	hard, spam := Threshold{0.05, 0.10}, Threshold{0.001, 0.003}
	for _, tc := range []struct {
		name       string
		hits, sent int64
		t          Threshold
		want       string
	}{
		{"6% hard of 1000: the interval starts at 4.7%, below 5%", 60, 1000, hard, channels.AlertOK},
		{"7% hard of 1000: starts at 5.6%", 70, 1000, hard, channels.AlertWarning},
		{"10% hard of 1000: starts at 8.3%, not yet critical", 100, 1000, hard, channels.AlertWarning},
		{"13% hard of 1000: starts at 11.1%", 130, 1000, hard, channels.AlertCritical},
		{"15% of 20: too few to say", 3, 20, hard, channels.AlertOK},
		{"8% of 499: under the minimum volume", 40, 499, hard, channels.AlertOK},
		{"8% of 500: at the minimum volume", 40, 500, hard, channels.AlertWarning},
		{"0.2% complaints: starts at 0.05%", 2, 1000, spam, channels.AlertOK},
		{"0.3% complaints: starts at 0.102%", 3, 1000, spam, channels.AlertWarning},
		{"0.8% complaints: starts at 0.41%", 8, 1000, spam, channels.AlertCritical},
		{"critical only", 130, 1000, Threshold{Critical: 0.10}, channels.AlertCritical},
		{"warning only, far above", 900, 1000, Threshold{Warning: 0.05}, channels.AlertWarning},
		{"no threshold", 900, 1000, Threshold{}, channels.AlertOK},
		{"nothing sent", 0, 0, hard, channels.AlertOK},
	} {
		got, ci := AlertLevel(tc.hits, tc.sent, 500, tc.t)
		if got != tc.want {
			t.Errorf("%s: %s (interval %.4f–%.4f), want %s", tc.name, got, ci.Low, ci.High, tc.want)
		}
	}
}

func row(ch channels.Channel, campaign, provider string, sent, hard, complaints int64) store.RateRow {
	return store.RateRow{Channel: ch, Campaign: campaign, Provider: provider, Sent: sent, Hard: hard, Complaints: complaints}
}

func active(ch channels.Channel, campaign, provider, metric, state string) channels.AlertChange {
	return channels.AlertChange{AlertKey: channels.AlertKey{Channel: ch, Campaign: campaign, Provider: provider, Metric: metric},
		From: channels.AlertOK, To: state, Threshold: 0.05}
}

// TestEvaluateAlerts: each row and configured metric gets exactly the state
// its numbers deserve, and a change is produced only when that differs
// from the alert's current state (no hysteresis: down from critical to
// warning as soon as the bound drops).
func TestEvaluateAlerts(t *testing.T) {
	t.Parallel()
	cfg := AlertConfig{}.WithDefaults()
	type change struct{ key, from, to string }
	for _, tc := range []struct {
		name   string
		rows   []store.RateRow
		active []channels.AlertChange
		want   []change
	}{
		{name: "quiet: nothing to say", rows: []store.RateRow{row(channels.Email, "c", "", 1000, 10, 0)}},
		{name: "ok to warning", rows: []store.RateRow{row(channels.Email, "c", "", 1000, 70, 0)},
			want: []change{{"email/c//hard_rate", "ok", "warning"}}},
		{name: "ok straight to critical", rows: []store.RateRow{row(channels.Email, "c", "", 1000, 130, 0)},
			want: []change{{"email/c//hard_rate", "ok", "critical"}}},
		{name: "warning stays warning: no change", rows: []store.RateRow{row(channels.Email, "c", "", 1000, 70, 0)},
			active: []channels.AlertChange{active(channels.Email, "c", "", "hard_rate", channels.AlertWarning)}},
		{name: "warning to critical", rows: []store.RateRow{row(channels.Email, "c", "", 1000, 130, 0)},
			active: []channels.AlertChange{active(channels.Email, "c", "", "hard_rate", channels.AlertWarning)},
			want:   []change{{"email/c//hard_rate", "warning", "critical"}}},
		{name: "critical back to warning", rows: []store.RateRow{row(channels.Email, "c", "", 1000, 100, 0)},
			active: []channels.AlertChange{active(channels.Email, "c", "", "hard_rate", channels.AlertCritical)},
			want:   []change{{"email/c//hard_rate", "critical", "warning"}}},
		{name: "critical straight back to ok", rows: []store.RateRow{row(channels.Email, "c", "", 1000, 10, 0)},
			active: []channels.AlertChange{active(channels.Email, "c", "", "hard_rate", channels.AlertCritical)},
			want:   []change{{"email/c//hard_rate", "critical", "ok"}}},
		{name: "volume fell under the minimum: ok", rows: []store.RateRow{row(channels.Email, "c", "", 400, 100, 0)},
			active: []channels.AlertChange{active(channels.Email, "c", "", "hard_rate", channels.AlertWarning)},
			want:   []change{{"email/c//hard_rate", "warning", "ok"}}},
		{name: "nothing sent in the window any more: ok", rows: nil,
			active: []channels.AlertChange{active(channels.Email, "c", "Google", "complaint_rate", channels.AlertCritical)},
			want:   []change{{"email/c/Google/complaint_rate", "critical", "ok"}}},
		{name: "one provider bad, the campaign fine", rows: []store.RateRow{
			row(channels.Email, "c", "", 10000, 200, 0), row(channels.Email, "c", "Google", 1000, 150, 0), row(channels.Email, "c", "Yahoo", 9000, 50, 0)},
			want: []change{{"email/c/Google/hard_rate", "ok", "critical"}}},
		{name: "hard and complaint rates of one group, metrics in name order", rows: []store.RateRow{row(channels.Email, "c", "", 1000, 70, 8)},
			want: []change{{"email/c//complaint_rate", "ok", "critical"}, {"email/c//hard_rate", "ok", "warning"}}},
		{name: "sms: no complaint threshold", rows: []store.RateRow{row(channels.SMS, "otp", "", 1000, 0, 500)}},
		{name: "sms hard rate", rows: []store.RateRow{row(channels.SMS, "otp", "", 1000, 130, 0)},
			want: []change{{"sms/otp//hard_rate", "ok", "critical"}}},
		{name: "a metric no longer configured goes back to ok", rows: []store.RateRow{row(channels.SMS, "otp", "", 1000, 0, 0)},
			active: []channels.AlertChange{active(channels.SMS, "otp", "", "soft_rate", channels.AlertWarning)},
			want:   []change{{"sms/otp//soft_rate", "warning", "ok"}}},
	} {
		got := EvaluateAlerts(cfg, tc.rows, tc.active, alertNow)
		var gotC []change
		for _, c := range got {
			gotC = append(gotC, change{string(c.Channel) + "/" + c.Campaign + "/" + c.Provider + "/" + c.Metric, c.From, c.To})
			if !c.At.Equal(alertNow) {
				t.Errorf("%s: change at %v, want %v", tc.name, c.At, alertNow)
			}
		}
		if !slices.Equal(gotC, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, gotC, tc.want)
		}
	}
}

// TestEvaluateAlertsEvidence: a change carries the numbers it was decided
// on and the level it crossed.
func TestEvaluateAlertsEvidence(t *testing.T) {
	t.Parallel()
	cfg := AlertConfig{}.WithDefaults()
	got := EvaluateAlerts(cfg, []store.RateRow{row(channels.Email, "c", "", 1000, 130, 0), row(channels.SMS, "s", "", 1000, 70, 0)}, nil, alertNow)
	if len(got) != 2 {
		t.Fatalf("changes = %+v", got)
	}
	c := got[0]
	want := channels.Wilson(130, 1000)
	if c.Sent != 1000 || c.Hits != 130 || c.Rate != 0.13 || c.CI != want || c.Threshold != 0.10 {
		t.Errorf("critical evidence = %+v, want 130/1000, interval %v, threshold 0.10", c, want)
	}
	if got[1].Threshold != 0.05 || got[1].To != channels.AlertWarning {
		t.Errorf("warning evidence = %+v, want threshold 0.05", got[1])
	}
}

// TestAlertRows: domain rows become one row per campaign and, for email,
// one per campaign and provider, with the sums' intervals.
func TestAlertRows(t *testing.T) {
	t.Parallel()
	tbl, err := providers.Default()
	if err != nil {
		t.Fatal(err)
	}
	in := []store.RateRow{
		{Channel: channels.Email, Campaign: "c", Domain: "gmail.com", Sent: 600, Hard: 60},
		{Channel: channels.Email, Campaign: "c", Domain: "googlemail.com", Sent: 400, Hard: 40},
		{Channel: channels.Email, Campaign: "c", Domain: "example.org", Sent: 1000},
		{Channel: channels.SMS, Campaign: "c", Domain: "20801", Sent: 50, Hard: 1},
	}
	got := AlertRows(in, tbl, 500)
	type r struct {
		ch                 channels.Channel
		campaign, provider string
		sent, hard         int64
	}
	var gotR []r
	for _, g := range got {
		gotR = append(gotR, r{g.Channel, g.Campaign, g.Provider, g.Sent, g.Hard})
		if g.Domain != "" || g.HardRateCI != channels.Wilson(g.Hard, g.Sent) {
			t.Errorf("row %+v: domain kept or interval not recomputed", g)
		}
	}
	want := []r{{channels.Email, "c", "", 2000, 100}, {channels.SMS, "c", "", 50, 1},
		{channels.Email, "c", "Google", 1000, 100}, {channels.Email, "c", "other", 1000, 0}}
	if !slices.Equal(gotR, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", gotR, want)
	}
}

// fakeAlertStore keeps alert changes the way the store does: the latest
// change per key is the state, and a change from a stale state is skipped.
type fakeAlertStore struct {
	rows    []store.RateRow
	queries []store.RatesQuery
	changes []channels.AlertChange
}

func (f *fakeAlertStore) Rates(_ context.Context, q store.RatesQuery) ([]store.RateRow, error) {
	f.queries = append(f.queries, q)
	return f.rows, nil
}

func (f *fakeAlertStore) state(k channels.AlertKey) string {
	s := channels.AlertOK
	for _, c := range f.changes {
		if c.AlertKey == k {
			s = c.To
		}
	}
	return s
}

// AlertTenants: the fake holds the default tenant's rates only.
func (f *fakeAlertStore) AlertTenants(context.Context, time.Time) ([]string, error) {
	return []string{"default"}, nil
}

func (f *fakeAlertStore) ActiveAlerts(context.Context) ([]channels.AlertChange, error) {
	var out []channels.AlertChange
	for i, c := range f.changes {
		if f.state(c.AlertKey) != channels.AlertOK && !slices.ContainsFunc(f.changes[i+1:], func(l channels.AlertChange) bool { return l.AlertKey == c.AlertKey }) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeAlertStore) RecordAlerts(_ context.Context, cs []channels.AlertChange) ([]channels.AlertChange, error) {
	var out []channels.AlertChange
	for _, c := range cs {
		if f.state(c.AlertKey) == c.From {
			c.ID = int64(len(f.changes) + 1)
			f.changes = append(f.changes, c)
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeAlertStore) UnpublishedAlerts(_ context.Context, limit int) ([]channels.AlertChange, error) {
	var out []channels.AlertChange
	for _, c := range f.changes {
		if c.PublishedAt == nil && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeAlertStore) MarkAlertsPublished(_ context.Context, ids []int64, at time.Time) error {
	for _, id := range ids {
		f.changes[id-1].PublishedAt = &at
	}
	return nil
}

type notice struct{ subject, id string }

type fakeNotifier struct {
	sent []notice
	data [][]byte
	fail bool
}

func (n *fakeNotifier) PublishNotice(_ context.Context, subject, id string, data []byte) error {
	if n.fail {
		return errors.New("nats down")
	}
	n.sent = append(n.sent, notice{subject, id})
	n.data = append(n.data, data)
	return nil
}

// TestAlerterCheck runs the job over ticks: it asks for the window by
// domain, records a change once however often it runs, publishes each
// change on rebond.alerts under an id-derived message id, publishes what
// NATS refused at the next tick, and resolves the alert when rates recover.
func TestAlerterCheck(t *testing.T) {
	t.Parallel()
	st := &fakeAlertStore{rows: []store.RateRow{
		{Channel: channels.Email, Campaign: "spring", Domain: "gmail.com", Sent: 1000, Hard: 150},
		{Channel: channels.Email, Campaign: "spring", Domain: "example.org", Sent: 9000, Hard: 10},
	}}
	n := &fakeNotifier{fail: true}
	a := NewAlerter(AlertConfig{}.WithDefaults(), mustDefaultProviders(t), st, n, slog.New(slog.DiscardHandler))
	a.now = func() time.Time { return alertNow }
	ctx := context.Background()

	if err := a.Check(ctx); err == nil {
		t.Fatal("a failed publish must be reported")
	}
	if q := st.queries[0]; !q.From.Equal(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)) || !slices.Equal(q.GroupBy, []string{"campaign", "domain"}) || q.Channel != "" {
		t.Errorf("rates query = %+v, want the 24h window from the hour, by campaign and domain", q)
	}
	if len(st.changes) != 1 || st.changes[0].Provider != "Google" || st.changes[0].To != channels.AlertCritical {
		t.Fatalf("changes = %+v, want Google hard rate critical", st.changes)
	}
	n.fail = false
	for range 2 { // a second tick on the same numbers changes nothing
		if err := a.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(st.changes) != 1 || !slices.Equal(n.sent, []notice{{AlertSubject, "alert:1"}}) {
		t.Fatalf("after recovery of NATS: changes %d, notices %v; want one change published once", len(st.changes), n.sent)
	}
	var got channels.AlertChange
	if err := json.Unmarshal(n.data[0], &got); err != nil || got.Provider != "Google" || got.Metric != "hard_rate" ||
		got.From != channels.AlertOK || got.To != channels.AlertCritical || got.Sent != 1000 || got.Hits != 150 {
		t.Errorf("published JSON = %s (%v)", n.data[0], err)
	}

	st.rows[0].Hard = 5
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if len(n.sent) != 2 || n.sent[1].id != "alert:2" || st.changes[1].From != channels.AlertCritical || st.changes[1].To != channels.AlertOK {
		t.Errorf("recovery: notices %v, changes %+v", n.sent, st.changes)
	}
	if act, _ := st.ActiveAlerts(ctx); len(act) != 0 {
		t.Errorf("active after recovery = %+v", act)
	}
}

func mustDefaultProviders(t testing.TB) *providers.Table {
	t.Helper()
	tbl, err := providers.Default()
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// TestAlertConfigValidate names the field at fault.
func TestAlertConfigValidate(t *testing.T) {
	t.Parallel()
	if err := (AlertConfig{}).WithDefaults().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range []struct {
		name string
		cfg  AlertConfig
	}{
		{"unknown metric", AlertConfig{Channels: map[channels.Channel]map[string]Threshold{channels.Email: {"open_rate": {0.1, 0.2}}}}},
		{"unknown channel", AlertConfig{Channels: map[channels.Channel]map[string]Threshold{"fax": {"hard_rate": {0.1, 0.2}}}}},
		{"warning above critical", AlertConfig{Channels: map[channels.Channel]map[string]Threshold{channels.Email: {"hard_rate": {0.2, 0.1}}}}},
		{"percent, not fraction", AlertConfig{Channels: map[channels.Channel]map[string]Threshold{channels.Email: {"hard_rate": {5, 10}}}}},
		{"window under an hour", AlertConfig{Window: time.Minute}},
	} {
		if err := tc.cfg.WithDefaults().Validate(); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}
