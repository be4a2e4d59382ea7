package bench

import (
	"fmt"
	"time"

	"github.com/rebond/rebond/sms/smpp/smpptest"
)

// mix returns the events of message i: its send and its outcome. The
// first SMSPercent messages of every hundred are SMS with SMPP-style
// receipts.
func mix(c Config, i int, t0 time.Time) []map[string]any {
	if c.SMSPercent > 0 && i%100 < c.SMSPercent {
		return smsMix(c, i, t0)
	}
	msg := fmt.Sprintf("%s-%d", c.Campaign, i)
	rcpt := fmt.Sprintf("u%d@d%d.example", i, i%97)
	at := t0.Add(time.Duration(i) * time.Millisecond)
	evs := []map[string]any{{"channel": "email", "type": "sent", "message_id": msg, "recipient": rcpt,
		"campaign": c.Campaign, "occurred_at": at}}
	fail := func(code int, status string) map[string]any {
		return map[string]any{"channel": "email", "type": "failed", "message_id": msg, "recipient": rcpt,
			"occurred_at": at.Add(time.Second), "smtp": map[string]any{"code": code, "status": status}}
	}
	switch p := i % 20; {
	case p < 16:
		evs = append(evs, map[string]any{"channel": "email", "type": "delivered", "message_id": msg,
			"recipient": rcpt, "occurred_at": at.Add(time.Second)})
	case p < 18:
		evs = append(evs, fail(452, "4.2.2"))
	case p < 19 && c.SMTPAddr != "":
		// delivered as a bounce mail over SMTP (generate)
	case p < 19:
		evs = append(evs, fail(550, "5.1.1"))
	}
	return evs
}

// smsMix is an SMS: submit_sm_resp (sent), then a receipt: 85%
// DELIVRD, 8% UNDELIV with MAP err 27 (absent subscriber, soft), 4%
// UNDELIV err 1 (unknown subscriber, hard), 3% nothing yet.
func smsMix(c Config, i int, t0 time.Time) []map[string]any {
	msg := fmt.Sprintf("%s-sms-%d", c.Campaign, i)
	rcpt := fmt.Sprintf("4477%08d", i%100000000)
	at := t0.Add(time.Duration(i) * time.Millisecond)
	evs := []map[string]any{{"channel": "sms", "type": "sent", "message_id": msg, "recipient": rcpt,
		"campaign": c.Campaign, "occurred_at": at, "provider": "smpp:bench"}}
	receipt := func(typ, stat, err string) map[string]any {
		return map[string]any{"channel": "sms", "type": typ, "message_id": msg, "recipient": rcpt, "provider": "smpp:bench",
			"occurred_at": at.Add(3 * time.Second), "sms": map[string]any{"stat": stat, "err": err, "dialect": "map"}}
	}
	// i%100 chose the SMS (below SMSPercent): the outcome takes the
	// hundred's index, so that every outcome occurs whatever the share.
	switch p := (i / 100) % 100; {
	case p < 85:
		evs = append(evs, receipt("delivered", "DELIVRD", "000"))
	case p < 93:
		evs = append(evs, receipt("failed", "UNDELIV", "027"))
	case p < 97:
		evs = append(evs, receipt("failed", "UNDELIV", "001"))
	}
	return evs
}

// receiptFrom is the SMPP receipt of an SMS receipt event of the mix.
func receiptFrom(e map[string]any) smpptest.Receipt {
	r := e["sms"].(map[string]any)
	return smpptest.Receipt{MessageID: e["message_id"].(string), Recipient: e["recipient"].(string),
		Stat: r["stat"].(string), Err: r["err"].(string), Done: e["occurred_at"].(time.Time)}
}
