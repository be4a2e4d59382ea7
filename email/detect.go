package email

import "strings"

// A mail without a delivery-status part is a bounce when enough of its
// signs say so: who sent it (a mailer daemon), its subject, and the words
// every MTA uses to say a message was not delivered. Each sign alone can
// lie (an auto-reply also has a null Return-Path; a person can write "not
// delivered"), so isBounce adds them up.

// bounceSubjects are subject phrases of delivery failure notices (lower
// case): RFC 3464 implementations and the MTAs and providers that send
// non-standard bounces.
var bounceSubjects = []string{
	"undeliver", "undelivered", "returned mail", "delivery status notification", "delivery failure",
	"failure notice", "mail delivery failed", "delivery failed", "delivery has failed", "non-delivery",
	"nondeliverable", "non delivery", "not delivered", "could not be delivered", "delivery problem",
	"mail system error", "returned to sender", "delivery notification", "mail failure", "bounce",
	"message not delivered", "delivery report", "rejected", "error sending", "mail error",
	"permanent error", "unzustellbar", "non remis", "no se puede entregar", "non recapitabile",
	"エラー", "不達", "配信不能", "送信できません", "deliverystatus", "delivery final failure",
	"message you sent", "delivery error", "delayed mail", "delivery delayed", "warning: could not send",
	"fml system error", "awaits moderator approval",
}

// bouncePhrases are body phrases of failure notices (lower case).
var bouncePhrases = []string{
	"could not be delivered", "couldn't be delivered", "was not delivered", "were not delivered",
	"undeliverable", "delivery has failed", "delivery failed", "permanent error", "permanent fatal error",
	"transcript of session follows", "this is the mail system at host", "qmail-send program",
	"mail delivery software", "delivery to the following recipient", "following address", "following recipient",
	"message could not be sent", "unable to deliver", "could not deliver", "delivery status notification",
	"returned to sender", "rejected your message", "was rejected", "failed permanently", "failed to deliver",
	"did not reach", "could not reach", "non-delivery", "user unknown", "no such user", "message not delivered",
	"not be delivered", "delivery to the following", "smtp error", "remote host said", "said: 5", "said: 4",
	"送信できませんでした", "配信できません", "届きませんでした", "宛先不明", "could not be sent",
	"temporary failure", "temporarily deferred", "delivery attempts", "has been delayed", "will continue to try",
	// A mailing-list manager refusing or holding the sender's post: fml,
	// Mailman, Majordomo, Google Groups.
	"you are not member", "not a member of this mailing list", "post by non-member", "members-only list",
	"held until the list moderator", "non-member submission", "permission to post",
}

// isBounce reports whether a mail without report parts is a bounce.
func (m *message) isBounce() bool {
	score := 0
	if m.daemonSender() {
		score += 2
	}
	if rp := strings.TrimSpace(m.h.get("return-path")); rp == "<>" || rp == "" && m.h.has("return-path") {
		score++
	}
	if containsAny(strings.ToLower(m.r.Subject), bounceSubjects) {
		score += 2
	}
	if containsAny(m.lower(), bouncePhrases) {
		score += 2
	}
	return score >= 3 || score >= 2 && !isAutoReply(m.h, m.r.Subject)
}

// daemonSender reports a notification sent by a mail system rather than a
// person: a daemon address or a delivery-system display name.
func (m *message) daemonSender() bool {
	if isDaemon(m.r.From) {
		return true
	}
	from := strings.ToLower(m.h.get("from"))
	return containsAny(from, []string{"mailer-daemon", "mail delivery", "postmaster", "mail administrator", "delivery subsystem", "mail system", "ndr", "mailer_daemon", "bounce"})
}

// notBounceWhy explains why a mail is KindNone.
func (m *message) notBounceWhy() string {
	if len(m.lines) == 0 {
		return "no readable text"
	}
	return "no sign of a delivery failure (sender, subject and text read like a person's message)"
}

// isAutoReply reports an automatic reply (RFC 3834): Auto-Submitted:
// auto-replied (section 5.2), the de facto X-Autoreply / X-Autorespond /
// Precedence: auto_reply fields, or an out-of-office subject.
func isAutoReply(h header, subject string) bool {
	if v := strings.ToLower(h.get("auto-submitted")); strings.HasPrefix(v, "auto-replied") {
		return true
	}
	if h.has("x-autoreply") || h.has("x-autorespond") || h.has("x-autoreply-from") || h.has("x-mail-autoreply") {
		return true
	}
	for _, name := range []string{"precedence", "x-precedence"} {
		if strings.Contains(strings.ToLower(h.get(name)), "auto_reply") {
			return true
		}
	}
	s := strings.ToLower(subject)
	for _, p := range autoReplySubjects {
		if strings.HasPrefix(s, p) || strings.Contains(s, p) && len(p) > 8 {
			return true
		}
	}
	return false
}

// autoReplySubjects start (or, when long enough to be unambiguous, appear
// in) the subjects of vacation and out-of-office replies.
var autoReplySubjects = []string{
	"auto:", "automatic reply", "autoreply", "auto-reply", "auto reply", "auto response", "autoresponse",
	"out of office", "out of the office", "vacation", "away from my mail", "i am away", "i'm away",
	"abwesenheit", "réponse automatique", "reponse automatique", "respuesta automática", "risposta automatica",
	"automatisch antwoord", "自動応答", "自動返信", "不在",
}

// containsAny reports whether s contains one of the phrases.
func containsAny(s string, phrases []string) bool {
	for _, p := range phrases {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// autoReply fills the report of an RFC 3834 reply: its recipient is the
// person who replied (the reply's From), whose mailbox received the
// original.
func (m *message) autoReply() {
	m.r.Kind = KindAutoReply
	addr := m.r.From
	if rt := firstAddress(m.h.get("reply-to")); addr == "" {
		addr = rt
	}
	m.r.Recipients = []Recipient{{Address: addr, Diagnostic: cleanDiagnostic(m.r.Subject)}}
}
