package bench

import (
	"fmt"
	"time"

	"github.com/rebond/rebond/sms/smpp/smpptest"
)

// The documented mix (NewCommand's help), as percentages in the order of
// the outcome constants below.
var (
	emailMix = []int{80, 10, 5, 5} // delivered, soft (4.2.2), hard (5.1.1), nothing
	smsMix   = []int{85, 8, 4, 3}  // DELIVRD, UNDELIV err 27, UNDELIV err 1, nothing
)

// The outcomes of a message, indexes into emailMix and smsMix.
const (
	outDelivered = iota
	outSoft
	outHard
	outNone
)

// mixer deals the run's messages their channel and outcome: exactly the
// documented shares of the run's size (spread), whatever the size, and
// interleaved so that any stretch of the run has them too.
type mixer struct {
	c          Config
	t0         time.Time
	channel    *spread // 0: email, 1: SMS
	email, sms *spread
}

// newMixer is the mix of c.Messages messages, the first sent at t0.
func newMixer(c Config, t0 time.Time) *mixer {
	ch := newSpread(c.Messages, 100-c.SMSPercent, c.SMSPercent)
	return &mixer{c: c, t0: t0, channel: ch, email: newSpread(ch.target[0], emailMix...), sms: newSpread(ch.target[1], smsMix...)}
}

// message returns the events of message i (the next one: call it for 0,
// 1, 2...): its send and its outcome. bounce is true for a hard failure
// that travels as a bounce mail over SMTP instead (with --smtp): then the
// events hold the send alone.
func (m *mixer) message(i int) (evs []map[string]any, bounce bool) {
	if m.channel.next() == 1 {
		return m.smsMessage(i, m.sms.next()), false
	}
	out := m.email.next()
	bounce = out == outHard && m.c.SMTPAddr != ""
	if bounce {
		out = outNone
	}
	return m.emailMessage(i, out), bounce
}

// emailMessage is a send and its outcome: a delivery, a soft failure
// (452 4.2.2), a hard one (550 5.1.1) or nothing yet.
func (m *mixer) emailMessage(i, out int) []map[string]any {
	msg := fmt.Sprintf("%s-%d", m.c.Campaign, i)
	rcpt := fmt.Sprintf("u%d@d%d.example", i, i%97)
	at := m.t0.Add(time.Duration(i) * time.Millisecond)
	evs := []map[string]any{{"channel": "email", "type": "sent", "message_id": msg, "recipient": rcpt,
		"campaign": m.c.Campaign, "occurred_at": at}}
	fail := func(code int, status string) map[string]any {
		return map[string]any{"channel": "email", "type": "failed", "message_id": msg, "recipient": rcpt,
			"occurred_at": at.Add(time.Second), "smtp": map[string]any{"code": code, "status": status}}
	}
	switch out {
	case outDelivered:
		evs = append(evs, map[string]any{"channel": "email", "type": "delivered", "message_id": msg,
			"recipient": rcpt, "occurred_at": at.Add(time.Second)})
	case outSoft:
		evs = append(evs, fail(452, "4.2.2"))
	case outHard:
		evs = append(evs, fail(550, "5.1.1"))
	}
	return evs
}

// smsMessage is an SMS: submit_sm_resp (sent), then a receipt: DELIVRD,
// UNDELIV with MAP err 27 (absent subscriber, soft), UNDELIV err 1
// (unknown subscriber, hard), or nothing yet.
func (m *mixer) smsMessage(i, out int) []map[string]any {
	msg := fmt.Sprintf("%s-sms-%d", m.c.Campaign, i)
	rcpt := fmt.Sprintf("4477%08d", i%100000000)
	at := m.t0.Add(time.Duration(i) * time.Millisecond)
	evs := []map[string]any{{"channel": "sms", "type": "sent", "message_id": msg, "recipient": rcpt,
		"campaign": m.c.Campaign, "occurred_at": at, "provider": "smpp:bench"}}
	receipt := func(typ, stat, err string) map[string]any {
		return map[string]any{"channel": "sms", "type": typ, "message_id": msg, "recipient": rcpt, "provider": "smpp:bench",
			"occurred_at": at.Add(3 * time.Second), "sms": map[string]any{"stat": stat, "err": err, "dialect": "map"}}
	}
	switch out {
	case outDelivered:
		evs = append(evs, receipt("delivered", "DELIVRD", "000"))
	case outSoft:
		evs = append(evs, receipt("failed", "UNDELIV", "027"))
	case outHard:
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
