package bench

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rebond/rebond/sms/smpp/smpptest"
)

// TestSMSMix: over 10,000 SMS the receipts follow the documented mix
// (85% DELIVRD, 8% UNDELIV err 27, 4% UNDELIV err 1, 3% none), whatever
// --sms-percent chose them.
func TestSMSMix(t *testing.T) {
	c := Config{Campaign: "b", SMSPercent: 20}
	t0 := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	counts := map[string]int{}
	sms := 0
	for i := range 50000 {
		evs := mix(c, i, t0)
		if evs[0]["channel"] != "sms" {
			continue
		}
		sms++
		if len(evs) < 2 {
			counts["none"]++
			continue
		}
		r := evs[1]["sms"].(map[string]any)
		counts[r["stat"].(string)+":"+r["err"].(string)]++
	}
	want := map[string]int{"DELIVRD:000": 8500, "UNDELIV:027": 800, "UNDELIV:001": 400, "none": 300}
	if sms != 10000 || fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("%d SMS, receipts %v; want 10000, %v", sms, counts, want)
	}
}

// TestReceiptFrom: the SMPP receipt of an SMS receipt event carries the
// event's message, handset, outcome and time.
func TestReceiptFrom(t *testing.T) {
	c := Config{Campaign: "b", SMSPercent: 100}
	t0 := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	for _, i := range []int{0, 8600, 9400} {
		evs := smsMix(c, i, t0)
		r := receiptFrom(evs[1])
		sms := evs[1]["sms"].(map[string]any)
		want := smpptest.Receipt{MessageID: evs[1]["message_id"].(string), Recipient: evs[1]["recipient"].(string),
			Stat: sms["stat"].(string), Err: sms["err"].(string), Done: t0.Add(time.Duration(i)*time.Millisecond + 3*time.Second)}
		if r != want {
			t.Errorf("message %d: receipt %+v, want %+v", i, r, want)
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
