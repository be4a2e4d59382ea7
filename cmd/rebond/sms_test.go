package main

import (
	"fmt"
	"testing"
	"time"
)

func smsEv(typ, msg, rcpt, campaign string, at time.Time, stat string) map[string]any {
	e := map[string]any{"channel": "sms", "type": typ, "message_id": msg, "recipient": rcpt,
		"campaign": campaign, "occurred_at": at.Format(time.RFC3339Nano), "provider": "smpp:test"}
	if stat != "" {
		e["sms"] = map[string]any{"stat": stat, "err": "001", "dialect": "map"}
	}
	return e
}

// TestSMSCorrelationAndSilence: a receipt that arrives before its sent
// event is joined when the sent event comes; a late pending receipt never
// overwrites a delivery; a message silent past its validity period becomes
// a soft "expired" failure exactly once; a fresh silent message stays
// pending.
func TestSMSCorrelationAndSilence(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 13, nil)
	in := start(t, cfg)
	now := time.Now().UTC().Truncate(time.Millisecond)
	const camp = "sms-camp"
	events := []map[string]any{
		// A: the receipt first, then the sent event carrying the SMSC id.
		smsEv("failed", "smsc-a", "+44 7700 900001", "", now.Add(-time.Minute), "UNDELIV"),
		// B: sent 49 h ago, never heard of again.
		smsEv("sent", "smsc-b", "+447700900002", camp, now.Add(-49*time.Hour), ""),
		// C: delivered, then a late en-route receipt.
		smsEv("sent", "smsc-c", "+447700900003", camp, now.Add(-3*time.Minute), ""),
		smsEv("delivered", "smsc-c", "+447700900003", "", now.Add(-2*time.Minute), "DELIVRD"),
		smsEv("failed", "smsc-c", "+447700900003", "", now.Add(-time.Minute), "ENROUTE"),
		// D: sent just now, silent: not expired yet.
		smsEv("sent", "smsc-d", "+447700900004", camp, now, ""),
	}
	if code := in.do("POST", "/v1/events", events, nil); code != 202 {
		t.Fatalf("post: %d", code)
	}
	in.waitApplied(len(events), 30*time.Second)
	if code := in.do("POST", "/v1/events", []map[string]any{smsEv("sent", "smsc-a", "+447700900001", camp, now.Add(-2*time.Minute), "")}, nil); code != 202 {
		t.Fatalf("post: %d", code)
	}
	// The sent event plus B's expiry, emitted by the scheduler.
	in.waitApplied(len(events)+2, 30*time.Second)
	time.Sleep(2 * time.Second) // a few more scheduler ticks: the expiry must not count twice
	in.waitApplied(len(events)+2, 10*time.Second)
	if applied, _ := in.count(); applied != len(events)+2 {
		t.Errorf("%d events applied, want %d (one expiry)", applied, len(events)+2)
	}

	var rates ratesResponse
	if code := in.do("GET", "/v1/rates?channel=sms&campaign="+camp, nil, &rates); code != 200 || len(rates.Rows) != 1 {
		t.Fatalf("rates: %d %+v", code, rates.Rows)
	}
	r := rates.Rows[0]
	got := fmt.Sprintf("sent=%d delivered=%d soft=%d hard=%d", r.Sent, r.Delivered, r.Soft, r.Hard)
	if want := "sent=4 delivered=1 soft=1 hard=1"; got != want {
		t.Errorf("rates: %s, want %s", got, want)
	}
	var view struct {
		State   string
		Reason  string
		History []struct{ Rule string }
	}
	in.do("GET", "/v1/recipients/sms/447700900001", nil, &view)
	if view.State != "quarantined" || view.Reason != "unknown_subscriber" {
		t.Errorf("receipt before sent: recipient %+v", view)
	}
	var b struct {
		State     string
		SoftCount int `json:"soft_count"`
	}
	in.do("GET", "/v1/recipients/sms/447700900002", nil, &b)
	if b.State != "active" || b.SoftCount != 1 {
		t.Errorf("expired message's recipient: %+v, want active with one soft failure", b)
	}
}
