package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
)

type ratesResponse struct {
	Rows []struct {
		Channel   string  `json:"channel"`
		Campaign  string  `json:"campaign"`
		Sent      int64   `json:"sent"`
		Delivered int64   `json:"delivered"`
		Soft      int64   `json:"soft"`
		Hard      int64   `json:"hard"`
		SoftRate  float64 `json:"soft_rate"`
		HardRate  float64 `json:"hard_rate"`
	} `json:"rows"`
}

type exclusionsResponse struct {
	Results []struct {
		Recipient string `json:"recipient"`
		Excluded  bool   `json:"excluded"`
		State     string `json:"state"`
		Reason    string `json:"reason"`
	} `json:"results"`
}

// publishNATS publishes raw canonical events the way an external producer
// would: plain NATS publishes on rebond.events.<channel>, no message id.
func publishNATS(t *testing.T, url string, events []map[string]any) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := nc.Publish("rebond.events."+e["channel"].(string), b); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

// TestEndToEnd is the spine's acceptance: 100 sends and 30 failures (10
// hard 5.1.1, 20 soft 4.2.2) over HTTP and NATS, some failures sent
// several times by both paths, give exact rates and exclusions.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	in := start(t, testConfig(t, 9, nil))
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	rcpt := func(i int) string { return fmt.Sprintf("user%02d@example.com", i) }

	var sent, hard, soft []map[string]any
	for i := range 100 {
		sent = append(sent, ev("sent", fmt.Sprintf("msg-%d", i), rcpt(i), "welcome", t0, ""))
	}
	for i := range 10 {
		hard = append(hard, ev("failed", fmt.Sprintf("msg-%d", i), rcpt(i), "", t0.Add(time.Minute), "5.1.1"))
	}
	for i := 10; i < 30; i++ {
		soft = append(soft, ev("failed", fmt.Sprintf("msg-%d", i), rcpt(i), "", t0.Add(time.Minute), "4.2.2"))
	}

	var acc struct {
		Accepted int `json:"accepted"`
		Rejected int `json:"rejected"`
	}
	if code := in.do("POST", "/v1/events", sent, &acc); code != 202 || acc.Accepted != 100 {
		t.Fatalf("post sent: %d %+v", code, acc)
	}
	for range 2 { // the same hard failures twice over HTTP
		if code := in.do("POST", "/v1/events", hard, &acc); code != 202 || acc.Accepted != 10 {
			t.Fatalf("post hard: %d %+v", code, acc)
		}
	}
	if code := in.do("POST", "/v1/events", soft[:5], &acc); code != 202 {
		t.Fatalf("post soft: %d", code)
	}
	natsURL := natsTestURL(in.cfg)
	// The embedded server refuses a client without its password.
	if nc, err := nats.Connect("nats://"+in.cfg.NATS.EmbeddedAddr, nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Error("the embedded NATS server accepted a client without credentials")
	}
	publishNATS(t, natsURL, soft)     // 5 of them again, by the other path
	publishNATS(t, natsURL, hard[:5]) // and some hard ones a third time
	in.waitApplied(130, 30*time.Second)

	var rates ratesResponse
	if code := in.do("GET", "/v1/rates?channel=email&campaign=welcome", nil, &rates); code != 200 {
		t.Fatalf("rates: %d", code)
	}
	if len(rates.Rows) != 1 {
		t.Fatalf("rates rows = %+v", rates.Rows)
	}
	r := rates.Rows[0]
	got := fmt.Sprintf("sent=%d hard=%d soft=%d hard_rate=%g soft_rate=%g", r.Sent, r.Hard, r.Soft, r.HardRate, r.SoftRate)
	if want := "sent=100 hard=10 soft=20 hard_rate=0.1 soft_rate=0.2"; got != want {
		t.Errorf("rates: got %s, want %s", got, want)
	}

	all := make([]string, 100)
	for i := range all {
		all[i] = rcpt(i)
	}
	var ex exclusionsResponse
	if code := in.do("POST", "/v1/exclusions", map[string]any{"channel": "email", "recipients": all}, &ex); code != 200 {
		t.Fatalf("exclusions: %d", code)
	}
	var gotEx, wantEx []string
	for i, x := range ex.Results {
		gotEx = append(gotEx, fmt.Sprintf("%s excluded=%v reason=%s", x.Recipient, x.Excluded, x.Reason))
		if i < 10 {
			wantEx = append(wantEx, fmt.Sprintf("%s excluded=true reason=user_unknown", rcpt(i)))
		} else {
			wantEx = append(wantEx, fmt.Sprintf("%s excluded=false reason=", rcpt(i)))
		}
	}
	if diff := cmp.Diff(wantEx, gotEx); diff != "" {
		t.Errorf("exclusions (-want +got):\n%s", diff)
	}

	var view struct {
		State   string `json:"state"`
		History []struct {
			To   string `json:"to"`
			Rule string `json:"rule"`
		} `json:"history"`
	}
	if code := in.do("GET", "/v1/recipients/email/"+rcpt(3), nil, &view); code != 200 || view.State != "quarantined" ||
		len(view.History) != 1 || view.History[0].Rule == "" {
		t.Errorf("recipient view: %d %+v", code, view)
	}
}
