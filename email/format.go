package email

import "strings"

// formatSign recognizes the MTA or provider that wrote a notification,
// from header fields and the words of its text. The format is reported for
// operators and tests (Report.Format); parsing never depends on it, so a
// format nobody listed here is read the same way.
type formatSign struct {
	name   string
	fields []string // any of these header fields (lower case)
	from   []string // any of these in the From field (lower case)
	words  []string // any of these in the text (lower case)
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
	{name: "mcafee", words: []string{"the following addresses had delivery problems"}},
	{name: "surfcontrol", words: []string{"surfcontrol"}},
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
	for _, f := range s.fields {
		if h.has(f) {
			return true
		}
	}
	return containsAny(from, s.from) || containsAny(text, s.words)
}
