package ui

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
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
