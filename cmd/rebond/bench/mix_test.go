package bench

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rebond/rebond/sms/smpp/smpptest"
)

// TestMix: at any size the run has the documented mix, by channel and by
// outcome: the shares of its size rounded by largest remainder (below
// ~8,500 messages every SMS used to come back delivered).
func TestMix(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		messages, smsPercent int
		// email and SMS outcomes: delivered, soft, hard, nothing
		email, sms [4]int
	}{
		{1, 20, [4]int{1, 0, 0, 0}, [4]int{}},
		{10, 20, [4]int{7, 1, 0, 0}, [4]int{2, 0, 0, 0}},           // 8 emails, 2 SMS
		{100, 20, [4]int{64, 8, 4, 4}, [4]int{17, 2, 1, 0}},        // 80, 20
		{1000, 20, [4]int{640, 80, 40, 40}, [4]int{170, 16, 8, 6}}, // 800, 200
		{1, 100, [4]int{}, [4]int{1, 0, 0, 0}},
		{10, 100, [4]int{}, [4]int{9, 1, 0, 0}},
		{100, 100, [4]int{}, [4]int{85, 8, 4, 3}},
		{1000, 100, [4]int{}, [4]int{850, 80, 40, 30}},
		{1000, 0, [4]int{800, 100, 50, 50}, [4]int{}},
	} {
		t.Run(fmt.Sprintf("%d at %d%% SMS", c.messages, c.smsPercent), func(t *testing.T) {
			cfg := Config{Campaign: "b", Messages: c.messages, SMSPercent: c.smsPercent}
			m := newMixer(cfg, t0)
			var email, sms [4]int
			for i := range c.messages {
				evs, bounce := m.message(i)
				if bounce {
					t.Fatalf("message %d: a bounce mail without --smtp", i)
				}
				counts, out := &email, outcomeOf(evs)
				if evs[0]["channel"] == "sms" {
					counts = &sms
				}
				counts[out]++
			}
			if email != c.email || sms != c.sms {
				t.Errorf("email %v, SMS %v; want %v, %v", email, sms, c.email, c.sms)
			}
		})
	}
}

// outcomeOf reads a message's outcome back from its events.
func outcomeOf(evs []map[string]any) int {
	if len(evs) == 1 {
		return outNone
	}
	e := evs[1]
	switch {
	case e["type"] == "delivered":
		return outDelivered
	case e["smtp"] != nil && e["smtp"].(map[string]any)["status"] == "5.1.1",
		e["sms"] != nil && e["sms"].(map[string]any)["err"] == "001":
		return outHard
	}
	return outSoft
}

// TestMixBounces: with --smtp the hard email failures travel as bounce
// mails: the message holds its send alone and is marked, and only those.
func TestMixBounces(t *testing.T) {
	t.Parallel()
	cfg := Config{Campaign: "b", Messages: 1000, SMSPercent: 20, SMTPAddr: "127.0.0.1:2525"}
	m := newMixer(cfg, time.Now())
	bounces := 0
	for i := range cfg.Messages {
		evs, bounce := m.message(i)
		if bounce {
			bounces++
			if len(evs) != 1 || evs[0]["channel"] != "email" {
				t.Fatalf("message %d: bounce with events %v", i, evs)
			}
		} else if len(evs) > 1 && outcomeOf(evs) == outHard && evs[0]["channel"] == "email" {
			t.Fatalf("message %d: a hard email failure posted with --smtp", i)
		}
	}
	if bounces != 40 {
		t.Errorf("%d bounce mails, want 40 (5%% of 800 emails)", bounces)
	}
}

// TestReceiptFrom: the SMPP receipt of an SMS receipt event carries the
// event's message, handset, outcome and time.
func TestReceiptFrom(t *testing.T) {
	t.Parallel()
	m := newMixer(Config{Campaign: "b", Messages: 10, SMSPercent: 100}, time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC))
	for _, c := range []struct{ i, out int }{{0, outDelivered}, {7, outSoft}, {9, outHard}} {
		evs := m.smsMessage(c.i, c.out)
		r := receiptFrom(evs[1])
		sms := evs[1]["sms"].(map[string]any)
		want := smpptest.Receipt{MessageID: evs[1]["message_id"].(string), Recipient: evs[1]["recipient"].(string),
			Stat: sms["stat"].(string), Err: sms["err"].(string), Done: m.t0.Add(time.Duration(c.i)*time.Millisecond + 3*time.Second)}
		if r != want {
			t.Errorf("message %d: receipt %+v, want %+v", c.i, r, want)
		}
	}
}

// TestSideChannelDrains: when the SMPP side fails at once, its jobs are
// still read, so the producer that feeds them never blocks.
func TestSideChannelDrains(t *testing.T) {
	jobs := make(chan smpptest.Receipt)
	errc := sideChannel(jobs, true, func() error { return errors.New("no bind") })
	for range 5000 {
		select {
		case jobs <- smpptest.Receipt{}:
		case <-time.After(5 * time.Second):
			t.Fatal("the producer blocked")
		}
	}
	close(jobs)
	if err := <-errc; err == nil {
		t.Error("the failure was lost")
	}
}
