package email

import "strings"

// feedback fills the report from an ARF feedback report (RFC 5965 section
// 3): the complained-about recipients are Original-Rcpt-To (3.2, one field
// per recipient), else Removal-Recipient (an opt-out report), else the
// To of the returned message.
func (m *message) feedback() {
	m.r.Kind = KindFeedback
	f := header(dsnFields(m.p.feedback))
	m.r.FeedbackType = strings.ToLower(firstWord(f.get("feedback-type")))
	m.r.UserAgent = f.get("user-agent")
	m.r.SourceIP = f.get("source-ip")
	m.r.ArrivalDate = parseDate(f.get("arrival-date"))
	if m.r.ArrivalDate.IsZero() {
		m.r.ArrivalDate = parseDate(f.get("received-date"))
	}
	var addrs []string
	for _, name := range []string{"original-rcpt-to", "removal-recipient"} {
		for _, v := range f.all(name) {
			addrs = appendNew(addrs, addressList(v)...)
		}
		if len(addrs) > 0 {
			break
		}
	}
	if len(addrs) == 0 && m.p.hasOrig {
		addrs = addressList(m.p.original.get("to"))
	}
	if len(addrs) == 0 {
		addrs = []string{""} // undisclosed; Events may learn it from VERP
	}
	if len(addrs) > MaxRecipients {
		addrs = addrs[:MaxRecipients]
	}
	if id := f.get("message-id"); id != "" && !m.p.hasOrig {
		m.p.setOriginal(header{{name: "message-id", value: id}})
	}
	diag := cleanDiagnostic("feedback-type: " + m.r.FeedbackType)
	for _, a := range addrs {
		m.r.Recipients = append(m.r.Recipients, Recipient{Address: a, Diagnostic: diag})
	}
}

// unsubscribeRequest reports a mail that asks to be unsubscribed: what a
// mail client sends to a List-Unsubscribe mailto: address (RFC 2369
// section 3.2), with Apple Mail's X-Apple-Unsubscribe mark or the bare
// "unsubscribe" subject. It is an opt-out complaint.
func unsubscribeRequest(h header) bool {
	if strings.EqualFold(h.get("x-apple-unsubscribe"), "true") {
		return true
	}
	return strings.EqualFold(strings.TrimSpace(h.get("subject")), "unsubscribe")
}

// unsubscribe fills the report of an unsubscribe request: an opt-out
// feedback from the sender of the request.
func (m *message) unsubscribe() {
	m.r.Kind = KindFeedback
	m.r.FeedbackType = "opt-out"
	m.r.Recipients = []Recipient{{Address: m.r.From, Diagnostic: "feedback-type: opt-out (unsubscribe request)"}}
}
