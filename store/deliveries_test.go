package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// TestOneMessageThreeRecipients: an ESP reports each recipient of a
// message under the message's one id (SES mail.messageId, SendGrid
// sg_message_id, Mailgun message-id). Each recipient is a delivery: three
// sent, the right soft and hard per recipient, a retry each for the soft
// ones. The failures come in a later batch than the sends, so they join
// stored deliveries.
func TestOneMessageThreeRecipients(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	const a, b, c = "a@example.com", "b@example.com", "c@example.com"
	insertApply(t, s, event(channels.Sent, "m", a, "", t0), event(channels.Sent, "m", b, "", t0), event(channels.Sent, "m", c, "", t0))
	insertApply(t, s,
		event(channels.Failed, "m", a, "4.2.2", t0.Add(time.Minute)),
		event(channels.Failed, "m", b, "4.2.2", t0.Add(time.Minute)),
		event(channels.Failed, "m", c, "5.1.1", t0.Add(time.Minute)))

	rows, err := s.Rates(ctx, store.RatesQuery{Channel: channels.Email})
	if err != nil || len(rows) != 1 {
		t.Fatalf("rates = %+v, %v", rows, err)
	}
	if got := fmt.Sprintf("sent %d soft %d hard %d pending %d", rows[0].Sent, rows[0].Soft, rows[0].Hard, rows[0].Pending); got != "sent 3 soft 2 hard 1 pending 0" {
		t.Errorf("rates: %s", got)
	}
	got := map[string]string{}
	for _, r := range []string{a, b, c} {
		v, err := s.Recipient(ctx, channels.Email, r)
		if err != nil {
			t.Fatal(err)
		}
		got[r] = fmt.Sprintf("%s/%d", v.State, v.SoftCount)
	}
	if diff := cmp.Diff(map[string]string{a: "active/1", b: "active/1", c: "quarantined/0"}, got); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
	due, err := s.DueRetries(ctx, t0.Add(2*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	var retried []string
	for _, d := range due {
		retried = append(retried, d.Recipient)
	}
	slices.Sort(retried)
	if diff := cmp.Diff([]string{a, b}, retried); diff != "" {
		t.Errorf("retries (-want +got):\n%s", diff)
	}
	claimed := ""
	if err := s.ClaimRetry(ctx, channels.Email, "m", b, 1, func(st store.RetryState) (time.Time, error) {
		claimed = st.Recipient
		return time.Time{}, nil
	}); err != nil || claimed != b {
		t.Errorf("claim of b's retry: claimed %q, %v", claimed, err)
	}

	// A delivery to b moves b's delivery only.
	insertApply(t, s, event(channels.Delivered, "m", b, "", t0.Add(time.Hour)))
	rows, _ = s.Rates(ctx, store.RatesQuery{Channel: channels.Email})
	if got := fmt.Sprintf("sent %d delivered %d soft %d hard %d", rows[0].Sent, rows[0].Delivered, rows[0].Soft, rows[0].Hard); got != "sent 3 delivered 1 soft 1 hard 1" {
		t.Errorf("after b's delivery: %s", got)
	}
}

// TestSMSReceiptJoinsTheMessagesNumber: an SMSC's message id names one
// destination, so a receipt whose number is written otherwise than the
// send's joins the message's only delivery, and the recipient quarantined
// is the number the message was sent to.
func TestSMSReceiptJoinsTheMessagesNumber(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	sms := func(typ channels.Type, msg, rcpt, status string, at time.Time) channels.Event {
		e := event(typ, msg, "x@example.com", status, at)
		e.Channel, e.Recipient, e.ID = channels.SMS, rcpt, ""
		if err := e.Normalize(); err != nil {
			t.Fatal(err)
		}
		return e
	}
	insertApply(t, s, sms(channels.Sent, "smsc-1", "447700900001", "", t0), sms(channels.Sent, "smsc-2", "447700900002", "", t0))
	// The second receipt names its message only; a third names a message
	// nobody sent, and acts on nobody.
	insertApply(t, s, sms(channels.Failed, "smsc-1", "7700900001", "5.1.1", t0.Add(time.Minute)),
		sms(channels.Failed, "smsc-2", "", "5.1.1", t0.Add(time.Minute)), sms(channels.Failed, "smsc-3", "", "5.1.1", t0.Add(time.Minute)))
	rows, err := s.Rates(ctx, store.RatesQuery{Channel: channels.SMS})
	if err != nil || len(rows) != 1 || rows[0].Sent != 2 || rows[0].Hard != 2 {
		t.Fatalf("rates = %+v, %v", rows, err)
	}
	ex, err := s.Exclusions(ctx, channels.SMS, []string{"447700900001", "7700900001", "447700900002"}, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !ex[0].Excluded || ex[1].Excluded || !ex[2].Excluded {
		t.Errorf("exclusions = %+v, want the sent numbers' only", ex)
	}
}
