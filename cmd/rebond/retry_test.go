package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// TestRetryNotices: with a 1s/1s/1s/1s schedule, a soft failure produces
// notices at its scheduled times, and they stop once the message is
// delivered.
func TestRetryNotices(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 11, map[string]string{"REBOND_POLICY_CHANNELS_EMAIL_RETRY": "1s,1s,1s,1s,1s"})
	in := start(t, cfg)
	nc, err := nats.Connect(natsTestURL(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	notices := make(chan *nats.Msg, 16)
	sub, err := nc.ChanSubscribe("rebond.retry.email", notices)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	failedAt := time.Now().UTC().Truncate(time.Millisecond)
	in.do("POST", "/v1/events", []map[string]any{
		ev("sent", "r-1", "retry@example.com", "retries", failedAt.Add(-time.Second), ""),
		ev("failed", "r-1", "retry@example.com", "", failedAt, "4.2.2"),
	}, nil)

	type notice struct {
		MessageID string    `json:"message_id"`
		Attempt   int       `json:"attempt"`
		Reason    string    `json:"reason"`
		DueAt     time.Time `json:"due_at"`
	}
	next := func(within time.Duration) (notice, bool) {
		select {
		case m := <-notices:
			var n notice
			if err := json.Unmarshal(m.Data, &n); err != nil {
				t.Fatalf("notice %s: %v", m.Data, err)
			}
			if time.Now().Before(n.DueAt) {
				t.Errorf("notice %d published before it was due (%v)", n.Attempt, n.DueAt)
			}
			return n, true
		case <-time.After(within):
			return notice{}, false
		}
	}
	for attempt := 1; attempt <= 2; attempt++ {
		n, ok := next(15 * time.Second)
		if !ok {
			t.Fatalf("no retry notice %d", attempt)
		}
		wantDue := failedAt.Add(time.Duration(attempt) * time.Second)
		if n.MessageID != "r-1" || n.Attempt != attempt || n.Reason != "mailbox_full" || !n.DueAt.Equal(wantDue) {
			t.Fatalf("notice = %+v, want attempt %d due %v", n, attempt, wantDue)
		}
	}
	in.do("POST", "/v1/events", []map[string]any{
		ev("delivered", "r-1", "retry@example.com", "", time.Now().UTC(), ""),
	}, nil)
	in.waitApplied(3, 10*time.Second)
	// A retry claimed just before the delivery committed may still land;
	// drain those, then the schedule (two more attempts within 3s) must be
	// silent.
	time.Sleep(300 * time.Millisecond)
	for len(notices) > 0 {
		<-notices
	}
	if n, ok := next(3 * time.Second); ok {
		t.Fatalf("retry notices did not stop after delivery: got attempt %d", n.Attempt)
	}
}
