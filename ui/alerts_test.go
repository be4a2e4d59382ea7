package ui

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// alertingReader is the demo store with active alerts.
type alertingReader struct {
	*fakeReader
	alerts []channels.AlertChange
}

func (a alertingReader) ActiveAlerts(context.Context) ([]channels.AlertChange, error) {
	return a.alerts, nil
}

// TestOverviewAlertBanner: the overview lists active alerts above the
// charts, critical first, only those of the shown channel, and shows no
// banner when nothing is active.
func TestOverviewAlertBanner(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 29, 12, 5, 0, 0, time.UTC)
	r := alertingReader{fakeReader: newDemoReader(), alerts: []channels.AlertChange{
		{AlertKey: channels.AlertKey{Channel: channels.SMS, Campaign: "otp", Metric: "hard_rate"}, From: "ok", To: "warning", At: at,
			Sent: 1000, Hits: 70, Rate: 0.07, CI: channels.Wilson(70, 1000), Threshold: 0.05},
		{AlertKey: channels.AlertKey{Channel: channels.Email, Campaign: "spring-sale", Provider: "Google", Metric: "complaint_rate"}, From: "ok", To: "critical", At: at,
			Sent: 2000, Hits: 20, Rate: 0.01, CI: channels.Wilson(20, 2000), Threshold: 0.003},
	}}
	h := newTestHandler(t, Config{}, r)
	c := login(t, h)
	res := do(t, h, "GET", "http://example.com/ui/", nil, c)
	body := bodyOf(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("overview: %d", res.StatusCode)
	}
	banner, charts := strings.Index(body, `class="alerts"`), strings.Index(body, `class="charts"`)
	if banner < 0 || charts < 0 || banner > charts {
		t.Fatalf("no alert banner above the charts:\n%s", body)
	}
	crit, warn := strings.Index(body, "complaint rate"), strings.Index(body, "hard rate 7.00%")
	if !strings.Contains(body, "2 active rate alerts") || crit < 0 || warn < 0 || crit > warn || !strings.Contains(body, "at Google") {
		t.Errorf("banner: want both alerts, critical first, with the provider:\n%s", body[banner:charts])
	}
	body = bodyOf(t, do(t, h, "GET", "http://example.com/ui/?channel=sms", nil, c))
	if !strings.Contains(body, "1 active rate alert<") || strings.Contains(body, "at Google") {
		t.Errorf("sms only: the email alert must not show")
	}
	quiet := newTestHandler(t, Config{}, alertingReader{fakeReader: newDemoReader()})
	if body := bodyOf(t, do(t, quiet, "GET", "http://example.com/ui/", nil, login(t, quiet))); strings.Contains(body, `class="alerts"`) {
		t.Error("a banner with no active alert")
	}
}

// The store gives the Alerts page its delivery log.
var _ AlertDeliveryLog = (*store.Store)(nil)

// deliveryReader is the demo reader with active alerts and a delivery
// log per tenant, as the store scopes it by the request's tenant.
type deliveryReader struct {
	alertingReader
	log   map[string][]store.AlertDelivery // by tenant
	mu    sync.Mutex
	asked []string // tenants of the log's reads
}

func (d *deliveryReader) RecentAlertDeliveries(ctx context.Context, limit int) ([]store.AlertDelivery, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := channels.Tenant(ctx)
	d.asked = append(d.asked, t)
	return d.log[t], nil
}

// TestAlertsPage: a read token sees its tenant's active alerts and the
// notices sent to its destinations, per destination, with time, alert,
// notice, status, attempts and last error (escaped); another tenant's
// token sees its own log only; without a log the page says so.
func TestAlertsPage(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 29, 12, 5, 0, 0, time.UTC)
	later := at.Add(90 * time.Second)
	spring := channels.AlertChange{ID: 11, AlertKey: channels.AlertKey{Channel: channels.SMS, Campaign: "spring", Metric: "hard_rate"},
		From: "ok", To: "critical", At: at, Sent: 1000, Hits: 150, Rate: 0.15, CI: channels.Wilson(150, 1000), Threshold: 0.10}
	resolved := spring
	resolved.ID, resolved.From, resolved.To = 12, "critical", "ok"
	r := &deliveryReader{alertingReader: alertingReader{fakeReader: newDemoReader(), alerts: []channels.AlertChange{spring}},
		log: map[string][]store.AlertDelivery{
			"acme": {
				{ID: 4, Destination: "ops-mail", Kind: "email", Notice: "resolve", Status: "pending", Attempts: 2, CreatedAt: later,
					LastAttemptAt: &later, LastError: `smtp relay smtp.acme.example:587: AUTH PLAIN as "alerts" refused: 535 5.7.8 <bad credentials>`, Change: resolved},
				{ID: 3, Destination: "ops-hook", Kind: "webhook", Notice: "resolve", Status: "sent", Attempts: 1, CreatedAt: later,
					LastAttemptAt: &later, SentAt: &later, Change: resolved},
				{ID: 2, Destination: "ops-mail", Kind: "email", Notice: "open", Status: "failed", Attempts: 13, CreatedAt: at,
					LastAttemptAt: &at, LastError: "smtp relay smtp.acme.example:587: starttls: x509: certificate signed by unknown authority", Change: spring},
				{ID: 1, Destination: "ops-hook", Kind: "webhook", Notice: "open", Status: "sent", Attempts: 1, CreatedAt: at,
					LastAttemptAt: &at, SentAt: &at, Change: spring},
			},
			"beta": {{ID: 9, Destination: "beta-chat", Kind: "slack", Notice: "open", Status: "sent", Attempts: 1, CreatedAt: at, SentAt: &at,
				Change: channels.AlertChange{AlertKey: channels.AlertKey{Channel: channels.Email, Campaign: "news", Metric: "complaint_rate"}, From: "ok", To: "warning"}}},
		}}
	tokens := &fakeTokens{}
	acme, beta := tokens.add("acme-read", channels.RoleRead, "acme"), tokens.add("beta-read", channels.RoleRead, "beta")
	h := newTestHandler(t, Config{Tokens: tokens}, r)

	body := page(t, h, loginAs(t, h, acme), "/ui/alerts")
	wantAll(t, "alerts page", body, "<h1>Alerts</h1>", `aria-current="page">Alerts`,
		"critical</strong> SMS · spring: hard rate 15.0% of 1,000 messages",
		"ops-hook", "signed webhook", "ops-mail", "email (SMTP relay)",
		"2 sent, the last 29 Nov 2026, 12:06 UTC", "1 waiting for a retry or their first attempt · 1 failed for good",
		"hard rate critical → ok", "hard rate ok → critical", `status-pending">pending`, `status-failed">failed`, `status-sent">sent`,
		`<td class="num">13</td>`, "AUTH PLAIN as &#34;alerts&#34; refused: 535 5.7.8 &lt;bad credentials&gt;", "certificate signed by unknown authority")
	if hook, mail := strings.Index(body, ">ops-hook <"), strings.Index(body, ">ops-mail <"); hook < 0 || mail < hook {
		t.Errorf("destinations not in name order (ops-hook %d, ops-mail %d)", hook, mail)
	}
	if strings.Contains(body, "beta-chat") {
		t.Error("acme's page shows beta's destination")
	}
	body = page(t, h, loginAs(t, h, beta), "/ui/alerts")
	wantAll(t, "beta's alerts page", body, "beta-chat", "Slack-compatible webhook", "Email · news: complaint rate ok → warning")
	if strings.Contains(body, "ops-mail") {
		t.Error("beta's page shows acme's destination")
	}
	r.mu.Lock()
	if strings.Join(r.asked, " ") != "acme beta" {
		t.Errorf("the log was read for tenants %v, want acme then beta", r.asked)
	}
	r.mu.Unlock()

	// The overview's banner leads here.
	wantAll(t, "overview banner", page(t, h, loginAs(t, h, acme), "/ui/"), `<a href="/ui/alerts">Who was told, and when</a>`)

	// A reader without a log, and one with an empty log.
	bare := newTestHandler(t, Config{}, alertingReader{fakeReader: newDemoReader()})
	wantAll(t, "no log", page(t, bare, login(t, bare), "/ui/alerts"), "No rate alert is active", "The delivery log is not available")
	empty := newTestHandler(t, Config{}, &deliveryReader{alertingReader: alertingReader{fakeReader: newDemoReader()}})
	wantAll(t, "empty log", page(t, empty, login(t, empty), "/ui/alerts"), "No notice was sent yet", "alerts.destinations")
}
