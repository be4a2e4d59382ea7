package email

import "strings"

// formatSign recognizes the MTA or provider that wrote a notification,
// from header fields and the words of its text. The format is reported for
// operators and tests (Report.Format); parsing never depends on it, so a
// format nobody listed here is read the same way, with one exception: what
// a content-filter gateway's refusals answer (see filter).
type formatSign struct {
	name   string
	fields []string // any of these header fields (lower case)
	from   []string // any of these in the From field (lower case)
	words  []string // any of these in the text (lower case)
	mailer []string // any of these in the X-Mailer field (lower case)
	// both requires one of fields and one of from, words or mailer: a
	// header field that a gateway also adds to mail it merely passes on
	// (McAfee's X-NAI-Header) names the writer only next to its words.
	both bool
	// filter marks a content-filter gateway (an appliance or service in
	// front of the receiver that scans each message before relaying it):
	// it answers the sending MTA once the whole message is in, so a
	// refusal it reports without naming an SMTP command is an answer to
	// the end of DATA, a verdict on the message rather than on the
	// address (Sisimai's McAfee and SurfControl modules: filtered).
	filter bool
}

// formatSigns are checked in order; the first that matches names the
// format. Field and phrase sources: the MTAs' own bounce templates
// (Postfix bounce(5) templates, Sendmail's savemail.c, Exim's
// exim_bounce_message, qmail-send's bounce text, Exchange NDRs).
var formatSigns = []formatSign{
	{name: "amazon-ses", fields: []string{"x-ses-outgoing", "x-amzn-ses"}, from: []string{"amazonses.com"}},
	{name: "sendgrid", fields: []string{"x-sendgrid-eid"}, from: []string{"sendgrid"}},
	{name: "postfix", fields: []string{"x-postfix-queue-id"}, words: []string{"this is the mail system at host", "this is the postfix program", "the mail system\n"}},
	{name: "exim", fields: []string{"x-failed-recipients"}, words: []string{"this message was created automatically by mail delivery software"}},
	{name: "qmail", words: []string{"this is the qmail-send program", "qmail-send"}},
	{name: "office365", fields: []string{"x-ms-exchange-message-is-ndr", "x-ms-exchange-crosstenant-id"}, words: []string{"office 365", "outlook.com"}},
	{name: "exchange", fields: []string{"x-ms-exchange-organization-authas", "x-mimeole"}, words: []string{"delivery has failed to these recipients", "your message did not reach some or all of the intended recipients"}},
	{name: "gmail", from: []string{"googlemail.com", "google.com"}, words: []string{"delivery to the following recipient failed"}},
	{name: "yahoo", from: []string{"yahoo"}, words: []string{"sorry, we were unable to deliver your message"}},
	{name: "outlook", from: []string{"hotmail", "outlook.com", "live.com"}},
	{name: "messagingserver", words: []string{"this report relates to a message you sent"}},
	{name: "domino", words: []string{"lotus domino", "your message\n\n  subject:"}},
	{name: "courier", words: []string{"courier mail server"}},
	{name: "opensmtpd", words: []string{"hi!\n\nthis is the mailer-daemon"}},
	{name: "sendmail", fields: []string{"x-sendmail"}, words: []string{"transcript of session follows", "----- the following addresses had"}},
	{name: "ezweb", from: []string{"ezweb.ne.jp"}},
	{name: "kddi", from: []string{"auone-net.jp", "dion.ne.jp", "au.com"}},
	{name: "docomo", from: []string{"docomo.ne.jp"}},
	{name: "verizon", from: []string{"vtext.com", "vzwpix.com"}},
	// McAfee Email Gateway (formerly Secure Computing IronMail) marks what
	// it writes with X-NAI-Header and opens its report with these words.
	{name: "mcafee", fields: []string{"x-nai-header"}, words: []string{"the following addresses had delivery problems"}, both: true, filter: true},
	// SurfControl E-mail Filter (Websense) names itself in X-Mailer and
	// stamps X-SEF-* fields on what it processes.
	{name: "surfcontrol", fields: []string{"x-sef-processed"}, mailer: []string{"surfcontrol"}, words: []string{"surfcontrol e-mail filter"}, both: true, filter: true},
	// m-FILTER (Digital Arts) names itself in the X-Mailer of its reports.
	{name: "mfilter", mailer: []string{"m-filter"}, filter: true},
	{name: "einsundeins", from: []string{"1und1", "1and1"}},
	{name: "gmx", from: []string{"gmx."}},
	{name: "yandex", from: []string{"yandex"}},
	{name: "mailru", from: []string{"mail.ru"}},
	{name: "zoho", from: []string{"zoho"}},
}

// detectFormat names the notification's format: the first matching sign,
// else the standard it follows ("rfc3464", "arf", "rfc3834"), else
// "unknown".
func detectFormat(h header, lowerText string, kind Kind) string {
	switch kind {
	case KindFeedback:
		return "arf"
	case KindAutoReply:
		return "rfc3834"
	case KindNone:
		return "none"
	}
	from := strings.ToLower(h.get("from"))
	if len(lowerText) > 4<<10 {
		lowerText = lowerText[:4<<10] // the signatures open a bounce
	}
	for _, s := range formatSigns {
		if s.matches(h, from, lowerText) {
			return s.name
		}
	}
	if mt, _ := h.contentType(); mt == "multipart/report" {
		return "rfc3464"
	}
	return "unknown"
}

func (s formatSign) matches(h header, from, text string) bool {
	field := false
	for _, f := range s.fields {
		if h.has(f) {
			field = true
			break
		}
	}
	if field && !s.both {
		return true
	}
	if s.both && !field {
		return false
	}
	if containsAny(from, s.from) || containsAny(text, s.words) {
		return true
	}
	if len(s.mailer) > 0 {
		return containsAny(strings.ToLower(h.get("x-mailer")), s.mailer)
	}
	return false
}

// filterFormats names the formats of content-filter gateways (see
// formatSign.filter).
var filterFormats = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range formatSigns {
		if s.filter {
			m[s.name] = true
		}
	}
	return m
}()

// afterData gives the recipients of a content-filter gateway's report that
// name no SMTP command the end of DATA (see formatSign.filter): the gateway
// accepted every recipient before it scanned the message.
func (r *Report) afterData() {
	if r.Kind != KindDSN || !filterFormats[r.Format] {
		return
	}
	for i := range r.Recipients {
		if rc := &r.Recipients[i]; rc.Command == "" && rc.Action == "failed" {
			rc.Command = "DATA"
		}
	}
}
