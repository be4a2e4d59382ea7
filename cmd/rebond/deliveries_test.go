package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestESPMessageToThreeRecipients: SES reports the recipients of one
// message under its one mail.messageId, here a Transient bounce for two of
// them and a Permanent one for the third, through the real SNS webhook,
// bus, inbox and apply: three deliveries, sent 3, soft 2, hard 1, and
// each recipient's own soft count.
func TestESPMessageToThreeRecipients(t *testing.T) {
	t.Parallel()
	in, sns := startWithSES(t, testConfig(t, 1, nil))
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
		body := sns.notification(t, sesTopic, snsID, string(message))
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

// TestNumbersInOneForm: with sms.default_region GB, a send to
// 00447700500001 whose receipt names 447700500001, and a send to the
// national 07700500002 whose receipt names +447700500002, each make one
// recipient, which exclusions and the recipient page find whatever form
// the sender asks with. A number that cannot be read is a 400.
//
// Not parallel: it shares Redis db 1 with TestESPMessageToThreeRecipients,
// which runs after the package's sequential tests (each flushes the db).
func TestNumbersInOneForm(t *testing.T) {
	cfg := testConfig(t, 1, map[string]string{"REBOND_SMS_DEFAULT_REGION": "GB"})
	in := start(t, cfg)
	at := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	events := []map[string]any{
		smsEv("sent", "n-1", "00447700500001", "forms", at, ""),
		smsEv("failed", "n-1", "447700500001", "forms", at.Add(time.Minute), "UNDELIV"),
		smsEv("sent", "n-2", "07700 500002", "forms", at, ""),
		smsEv("failed", "n-2", "+447700500002", "forms", at.Add(time.Minute), "UNDELIV"),
	}
	if code := in.do("POST", "/v1/events", events, nil); code != 202 {
		t.Fatalf("events: %d", code)
	}
	in.waitApplied(4, 30*time.Second)
	var rates ratesResponse
	in.do("GET", "/v1/rates?channel=sms&campaign=forms", nil, &rates)
	if len(rates.Rows) != 1 || rates.Rows[0].Sent != 2 || rates.Rows[0].Hard != 2 {
		t.Fatalf("rates %+v, want sent=2 hard=2", rates.Rows)
	}
	asked := []string{"+447700500001", "0044 7700 500001", "07700500001", "447700500002", "+44 7700 500002", "07700 500002"}
	var ex struct {
		Results []struct {
			Recipient string `json:"recipient"`
			Excluded  bool   `json:"excluded"`
			State     string `json:"state"`
		} `json:"results"`
	}
	for _, form := range asked {
		// One request per form: forms of one number in one request are
		// duplicates of each other.
		ex.Results = nil
		in.do("POST", "/v1/exclusions", map[string]any{"channel": "sms", "recipients": []string{form}}, &ex)
		if len(ex.Results) != 1 || !ex.Results[0].Excluded || ex.Results[0].State != "quarantined" || ex.Results[0].Recipient != form {
			t.Errorf("exclusion of %q: %+v, want quarantined", form, ex.Results)
		}
	}
	var view struct {
		Address string `json:"address"`
		State   string `json:"state"`
	}
	if code := in.do("GET", "/v1/recipients/sms/07700500001", nil, &view); code != 200 || view.State != "quarantined" || view.Address != "447700500001" {
		t.Errorf("recipient page for the national form: %d %+v", code, view)
	}
	if code := in.do("GET", "/v1/recipients/sms/0770", nil, nil); code != 400 {
		t.Errorf("an unreadable number: %d, want 400", code)
	}
}
