package email

import (
	"encoding/json"
	"strings"
)

// maxSESJSON bounds the JSON body of an SES notification mail that
// sesNotification decodes; SES includes at most 10 KiB of the original's
// headers (Amazon SES Developer Guide, "Contents of notifications").
const maxSESJSON = 1 << 20

// sesNote is the part of an Amazon SES notification that says what
// happened to whom (Amazon SES Developer Guide, "Amazon SNS notification
// contents for Amazon SES": notificationType Bounce, Complaint, Delivery;
// the event-publishing form names it eventType).
type sesNote struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Bounce           *struct {
		BounceType        string `json:"bounceType"`
		BounceSubType     string `json:"bounceSubType"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Action         string `json:"action"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
	} `json:"complaint"`
	Delivery *struct {
		Recipients   []string `json:"recipients"`
		SMTPResponse string   `json:"smtpResponse"`
	} `json:"delivery"`
}

// sesNotification fills the report of an SES notification that arrived
// as mail: an SNS topic subscribed with the email or email-json protocol
// sends the notification's JSON as the body, the latter wrapped in SNS's
// envelope whose Message field holds it as a string. A bounce is a failed
// (or delayed) DSN, a delivery a delivered one, a complaint an ARF-like
// feedback report. It returns false, leaving the report alone, for any
// other body.
func (m *message) sesNotification() bool {
	if len(m.p.texts) != 1 {
		return false
	}
	body := strings.TrimSpace(m.p.texts[0])
	if len(body) > maxSESJSON || !strings.HasPrefix(body, "{") || !strings.Contains(body, "Type") {
		return false
	}
	var n sesNote
	if json.Unmarshal([]byte(body), &n) != nil {
		return false
	}
	if n.NotificationType == "" && n.EventType == "" {
		var env struct {
			Message string `json:"Message"`
		}
		if json.Unmarshal([]byte(body), &env) != nil || json.Unmarshal([]byte(env.Message), &n) != nil {
			return false
		}
	}
	switch kind := firstNonEmpty(n.EventType, n.NotificationType); {
	case kind == "Bounce" && n.Bounce != nil:
		m.r.Kind = KindDSN
		for _, b := range n.Bounce.BouncedRecipients {
			diag := b.DiagnosticCode
			typ, rest, ok := strings.Cut(diag, ";")
			if ok && !strings.ContainsAny(typ, " <@") {
				diag = strings.TrimSpace(rest)
			} else {
				typ = ""
			}
			if diag == "" {
				diag = "Amazon SES bounce " + n.Bounce.BounceType + "/" + n.Bounce.BounceSubType
			}
			code, _ := replyIn(diag)
			m.addSESRecipient(Recipient{Address: b.EmailAddress, Action: firstNonEmpty(strings.ToLower(b.Action), "failed"),
				Status: b.Status, ReplyCode: code, Diagnostic: cleanDiagnostic(diag), DiagnosticType: strings.ToLower(strings.TrimSpace(typ))})
		}
	case kind == "Complaint" && n.Complaint != nil:
		m.r.Kind = KindFeedback
		for _, c := range n.Complaint.ComplainedRecipients {
			m.addSESRecipient(Recipient{Address: c.EmailAddress})
		}
	case kind == "Delivery" && n.Delivery != nil:
		m.r.Kind = KindDSN
		code, status := replyIn(n.Delivery.SMTPResponse)
		for _, a := range n.Delivery.Recipients {
			m.addSESRecipient(Recipient{Address: a, Action: "delivered", Status: status, ReplyCode: code, Diagnostic: cleanDiagnostic(n.Delivery.SMTPResponse)})
		}
	default:
		return false
	}
	return true
}

// addSESRecipient appends rc with its address normalized, up to
// MaxRecipients.
func (m *message) addSESRecipient(rc Recipient) {
	if len(m.r.Recipients) >= MaxRecipients {
		return
	}
	if a := addressList(rc.Address); len(a) == 1 {
		rc.Address = a[0]
	}
	m.r.Recipients = append(m.r.Recipients, rc)
}
