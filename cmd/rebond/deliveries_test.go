package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/email/esp"
)

// TestESPMessageToThreeRecipients: SES reports the recipients of one
// message under its one mail.messageId, here a Transient bounce for two of
// them and a Permanent one for the third, through the real SNS webhook,
// bus, inbox and apply: three deliveries, sent 3, soft 2, hard 1, and
// each recipient's own soft count.
func TestESPMessageToThreeRecipients(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 1, nil)
	sns := newTestSNS(t)
	const topic = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"
	ses, err := esp.NewSES(esp.SESConfig{TopicARNs: []string{topic}, Certificates: sns})
	if err != nil {
		t.Fatal(err)
	}
	in := startWith(t, cfg, serveOptions{webhooks: map[string]channels.Webhook{"ses": ses}})
	sentAt := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	rcpts := []string{"ann@example.org", "bob@example.org", "cat@example.org"}
	var sends []map[string]any
	for _, r := range rcpts {
		sends = append(sends, ev("sent", "m-multi", r, "multi", sentAt, ""))
	}
	if code := in.do("POST", "/v1/events", sends, nil); code != 202 {
		t.Fatalf("sent: %d", code)
	}
	bounce := func(snsID, feedback, typ, sub, status string, to []string) {
		var bounced []map[string]any
		for _, r := range to {
			bounced = append(bounced, map[string]any{"emailAddress": r, "action": "failed", "status": status,
				"diagnosticCode": fmt.Sprintf("smtp; %s test", status)})
		}
		message, _ := json.Marshal(map[string]any{
			"notificationType": "Bounce",
			"bounce": map[string]any{"feedbackId": feedback, "bounceType": typ, "bounceSubType": sub,
				"timestamp": time.Now().UTC().Format(time.RFC3339), "bouncedRecipients": bounced},
			"mail": map[string]any{"messageId": "ses-multi", "timestamp": sentAt.Format(time.RFC3339), "source": "news@example.com",
				"destination": rcpts, "headers": []map[string]string{{"name": "X-Rebond-Message-ID", "value": "m-multi"}}},
		})
		body := sns.notification(t, topic, snsID, string(message))
		resp, err := http.Post(in.base+"/v1/webhooks/ses", "text/plain", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("SNS delivery %s: %d", snsID, resp.StatusCode)
		}
	}
	bounce("sns-1", "fb-1", "Transient", "MailboxFull", "4.2.2", rcpts[:2])
	bounce("sns-2", "fb-2", "Permanent", "General", "5.1.1", rcpts[2:])

	in.waitApplied(6, 30*time.Second)
	var rates ratesResponse
	in.do("GET", "/v1/rates?channel=email&campaign=multi", nil, &rates)
	if len(rates.Rows) != 1 || rates.Rows[0].Sent != 3 || rates.Rows[0].Soft != 2 || rates.Rows[0].Hard != 1 {
		t.Fatalf("rates %+v, want sent=3 soft=2 hard=1", rates.Rows)
	}
	want := map[string]string{rcpts[0]: "active/1", rcpts[1]: "active/1", rcpts[2]: "quarantined/0"}
	for _, r := range rcpts {
		var view struct {
			State     string `json:"state"`
			SoftCount int    `json:"soft_count"`
		}
		in.do("GET", "/v1/recipients/email/"+r, nil, &view)
		if got := fmt.Sprintf("%s/%d", view.State, view.SoftCount); got != want[r] {
			t.Errorf("%s: %s, want %s", r, got, want[r])
		}
	}
}
