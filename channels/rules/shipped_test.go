package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

func TestShippedEmail(t *testing.T) {
	t.Parallel()
	set := loadShipped(t)
	// Class 4 statuses below come in failed events (a final bounce that
	// quotes a 4xx reply, a sender's own 4xx reply): soft, the reason of
	// class 5. A deferred email event is a delay notice, pending with the
	// same reason (TestShippedDelayNotice).
	const f = channels.Failed
	checkVerdicts(t, set, []verdictCase{
		{"sent", mail(channels.Sent, 250, "2.0.0", "ok"), "pending sent email.type.sent@1"},
		{"delivered wins over a stray status", mail(channels.Delivered, 550, "5.1.1", ""), "delivered delivered email.type.delivered@1"},
		{"complaint", mail(channels.Complaint, 0, "", ""), "complaint complaint email.type.complaint@1"},
		{"success status on a failure", mail(f, 250, "2.1.5", ""), "delivered delivered email.status.2@1"},
		{"user unknown", mail(f, 550, "5.1.1", "user unknown"), "hard user_unknown email.status.5.1.1@2"},
		{"user unknown, transient", mail(f, 450, "4.1.1", ""), "soft user_unknown email.status.4.1.1@2"},
		{"host unknown", mail(f, 550, "5.1.2", ""), "hard host_unknown email.status.5.1.2@2"},
		{"has moved", mail(f, 550, "5.1.6", ""), "hard has_moved email.status.5.1.6@1"},
		{"null MX", mail(f, 556, "5.1.10", ""), "hard not_accept email.status.5.1.10@1"},
		{"Exchange's 5.1.10 is a missing mailbox", mail(f, 550, "5.1.10", "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"), "hard user_unknown email.status.5.1.10.recipient_not_found@1"},
		{"HELO host not found is the sender's", mail(f, 554, "5.7.1", "<mx.example.net>: Helo command rejected: Host not found"), "soft blocked email.text.helo_rejected@1"},
		{"5.1.10 is not 5.1.1", mail(f, 0, "5.1.10", ""), "hard not_accept email.status.5.1.10@1"},
		{"mailbox full", mail(f, 552, "5.2.2", ""), "soft mailbox_full email.status.5.2.2@1"},
		{"mailbox disabled", mail(f, 550, "5.2.1", ""), "soft suspended email.status.5.2.1@2"},
		{"sender syntax is sender side", mail(f, 553, "5.1.7", ""), "soft sender_rejected email.status.5.1.7@1"},
		{"5.7.1 bare", mail(f, 550, "5.7.1", "Delivery not authorized"), "soft policy_violation email.status.5.7.1@1"},
		{"5.7.1 refined by text", mail(f, 554, "5.7.1", "Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"), "soft blocked email.text.blocked@1"},
		// Decided by email.text.user_unknown@1 until email.text.user_unknown.rcpt@1
		// (Postfix's "Recipient address rejected:" is its reply to RCPT TO)
		// came to outrank email.text.filtered.status_5.7.1@1: same verdict.
		{"5.7.1 user unknown in words", mail(f, 550, "5.7.1", "Recipient address rejected: User unknown"), "hard user_unknown email.text.user_unknown.rcpt@2"},
		{"5.7.1 user unknown, no command, is a filter", mail(f, 550, "5.7.1", "550 5.7.1 550 User Unknown: a@example.org"), "soft filtered email.text.filtered.status_5.7.1@1"},
		{"5.7.1 user unknown in reply to RCPT TO", mail(f, 550, "5.7.1", "550 5.7.1 <a@example.org>... User unknown (in reply to RCPT TO command)"), "hard user_unknown email.text.user_unknown.rcpt@2"},
		{"5.0.0 user unknown in a transcript's RCPT TO", mail(f, 550, "5.0.0", ">>> RCPT To:<a@example.org> <<< 550 <a@example.org>... User unknown"), "hard user_unknown email.text.user_unknown.rcpt@2"},
		{"5.0.0 user unknown after DATA", mail(f, 550, "5.0.0", "550 Unknown user a@example.net (in reply to end of DATA command)"), "soft filtered email.text.filtered.after_data@2"},
		{"after DATA outranks RCPT TO words", mail(f, 550, "5.7.1", "550 5.7.1 <a@example.fr>: Recipient address rejected: User unknown (in reply to end of DATA command)"), "soft filtered email.text.filtered.after_data@2"},
		{"5.2.1 user unknown after DATA", mail(f, 550, "5.2.1", "550 5.2.1 <a@example.jp>... User Unknown (in reply to end of DATA command)"), "soft filtered email.text.filtered.after_data.status_5.2.1@1"},
		{"5.2.1 user unknown in reply to RCPT TO", mail(f, 550, "5.2.1", "550 5.2.1 <a@example.jp>... User Unknown (in reply to RCPT TO command)"), "hard user_unknown email.text.user_unknown.status_5.2.1@1"},
		{"5.2.1 user unknown, no command, is a filter", mail(f, 550, "5.2.1", "550 5.2.1 <a@example.jp>... User Unknown"), "soft filtered email.text.filtered.status_5.2.1@1"},
		{"4.7.1 user unknown in reply to RCPT TO stays soft", mail(f, 450, "4.7.1", "User unknown (in reply to RCPT TO command)"), "soft policy_violation email.status.4.7.1@1"},
		{"insecure relay", mail(f, 550, "5.0.0", "550 Insecure Mail Relay 554 <a@example.edu>... Remote protocol error (in reply to MAIL FROM command)"), "soft no_relaying email.text.no_relaying.words@2"},
		{"open relay", mail(f, 501, "5.0.0", "501 <s@example.jp>... no access from mail server [192.0.2.55] which is an open relay. (in reply to MAIL FROM command)"), "soft blocked email.text.blocked.ip@2"},
		{"DMARC", mail(f, 550, "5.7.1", "Unauthenticated email from example.com is not accepted due to domain's DMARC policy"), "soft auth_failure email.text.auth_failure@1"},
		{"5.7.26", mail(f, 550, "5.7.26", ""), "soft auth_failure email.status.5.7.26@1"},
		{"5.7.25", mail(f, 550, "5.7.25", ""), "soft require_ptr email.status.5.7.25@1"},
		{"5.7.8 smtp auth", mail(f, 535, "5.7.8", ""), "soft security_error email.status.5.7.8@1"},
		{"expired", mail(f, 0, "4.4.7", ""), "soft expired email.status.4.4.7@1"},
		{"5.4.4 no route", mail(f, 550, "5.4.4", "Host or domain name not found"), "hard host_unknown email.status.5.4.4@2"},
		{"unknown detail", mail(f, 550, "5.1.99", ""), "soft on_hold email.status.5.1@1"},
		{"unknown detail of a known subject", mail(f, 550, "5.3.99", ""), "soft system_error email.status.5.3@1"},
		{"unknown subject", mail(f, 550, "5.9.1", ""), "soft on_hold email.status.5@1"},
		{"unknown subject, transient", mail(f, 451, "4.9.1", ""), "soft on_hold email.status.4@1"},
		// A bare generic missing-mailbox reply under 5.0.0 in a bounce mail
		// that names no command is unconfirmed (Sisimai: filtered); a more
		// precise status, a command, a provider's own RCPT TO wording,
		// KDDI's address-bearing reply, more words than the reply, or a
		// source other than a bounce mail leave it to the other rules.
		{"5.0.0 bare reply, no command", bounce(mail(f, 550, "5.0.0", "550 No such user here")), "soft filtered email.text.filtered.unconfirmed@1"},
		{"5.0.0 Postfix bare reply", bounce(mail(f, 550, "5.0.0", "<a@example.jp>: host mx.example.jp[192.0.2.22] said: 550 <a@example.jp>: User unknown")), "soft filtered email.text.filtered.unconfirmed@1"},
		{"5.0.0 Sendmail bare reply", bounce(mail(f, 550, "5.0.0", "550 5.0.0 <a@example.com>... User unknown")), "soft filtered email.text.filtered.unconfirmed@1"},
		{"5.0.0 bare reply in a sender's own reply", mail(f, 550, "5.0.0", "550 No such user here"), "hard user_unknown email.text.user_unknown@1"},
		{"5.0.0 under an ESP's label", withProvider(mail(f, 550, "5.0.0", "[ses bounce Permanent/General] 550 5.0.0 No such user here"), "ses"), "hard user_unknown email.text.user_unknown@1"},
		{"5.0.0 after MAIL FROM is not unconfirmed", bounce(mail(f, 550, "5.0.0", "550 user unknown (in reply to MAIL FROM command)")), "hard user_unknown email.text.user_unknown@1"},
		{"5.0.0 host and user words keep host_unknown", bounce(mail(f, 550, "5.0.0", "550 no such domain or user unknown")), "hard host_unknown email.text.host_unknown@1"},
		{"5.0.0 several replies", bounce(mail(f, 554, "5.0.0", "554 <a@example.net>... 550 Host unknown (Name server: example.net: host not found) 550 <b@example.org>... User unknown")), "hard host_unknown email.text.host_unknown@1"},
		{"5.1.0 with words, no command", bounce(mail(f, 550, "5.1.0", "550 No such user here")), "hard user_unknown email.text.user_unknown@1"},
		{"5.0.0 with Gmail's RCPT TO words", bounce(mail(f, 550, "5.0.0", "The email account that you tried to reach does not exist.")), "hard user_unknown email.text.user_unknown@1"},
		{"5.0.0 with Yahoo's RCPT TO words", bounce(mail(f, 554, "5.0.0", "554 delivery error: dd This user doesn't have a yahoo.com account (a@yahoo.com) [0]")), "hard user_unknown email.text.user_unknown@1"},
		{"5.0.0 qmail names RCPT in its words", bounce(mail(f, 550, "5.0.0", "<c@example.com>: 192.0.2.7 does not like recipient. Remote host said: 550 <c@example.com>... User unknown")), "hard user_unknown email.text.user_unknown.rcpt@2"},
		{"5.0.0 Postfix restriction words", bounce(mail(f, 550, "5.0.0", "550 <a@example.org>: Recipient address rejected: undeliverable address: unknown user")), "hard user_unknown email.text.user_unknown.rcpt@2"},
		{"5.0.0 KDDI names the address", bounce(mail(f, 550, "5.0.0", "550 <a@ezweb.ne.jp>: User unknown")), "hard user_unknown email.text.user_unknown.kddi@1"},
		{"5.0.0 KDDI subdomain, Sendmail form", bounce(mail(f, 550, "5.0.0", "550 <a@biz.ezweb.ne.jp>... User unknown")), "hard user_unknown email.text.user_unknown.kddi@1"},
		{"5.0.0 KDDI's filter leaves it out", bounce(mail(f, 550, "5.0.0", "550 : User unknown")), "soft filtered email.text.filtered.kddi@1"},
		{"5.0.0 KDDI after DATA", bounce(mail(f, 550, "5.0.0", "550 <a@au.com>: User unknown (in reply to end of DATA command)")), "soft filtered email.text.filtered.after_data@2"},
		{"5.7.1 KDDI stays a refusal", bounce(mail(f, 550, "5.7.1", "550 5.7.1 <a@ezweb.ne.jp>: User unknown")), "soft filtered email.text.filtered.status_5.7.1@1"},
		{"5.0.0 mail.local", bounce(mail(f, 554, "5.0.0", "<a@example.net> mail.local: unknown user: a 554 <a@example.net>... Service unavailable")), "hard user_unknown email.text.user_unknown@1"},
		{"5.0.0 Postfix local(8) in a DSN", bounce(mail(f, 550, "5.0.0", `x-postfix; unknown user: "a"`)), "hard user_unknown email.text.user_unknown@1"},
		{"5.0.0 old Postfix local(8)", bounce(mail(f, 550, "5.0.0", `<a@example.net>: unknown user: "a"`)), "hard user_unknown email.text.user_unknown@1"},
		{"4.0.0 with user unknown stays soft", mail(f, 450, "4.0.0", "user unknown"), "soft on_hold email.status.4.0.0@1"},
		{"bare 550", mail(f, 550, "", ""), "soft on_hold email.code.550@1"},
		{"bare 550 with words", mail(f, 550, "", "550 No such user"), "hard user_unknown email.text.user_unknown.code@1"},
		{"bare 550 gmail", mail(f, 550, "", "The email account that you tried to reach does not exist"), "hard user_unknown email.text.user_unknown.code@1"},
		{"bare 551", mail(f, 551, "", "User not local; please try <b@example.org>"), "hard has_moved email.code.551@1"},
		{"bare 552", mail(f, 552, "", ""), "soft mailbox_full email.code.552@1"},
		{"bare 421", mail(f, 421, "", ""), "soft system_error email.code.421@1"},
		{"bare 556", mail(f, 556, "", ""), "hard not_accept email.code.556@1"},
		{"over quota in words", mail(f, 452, "4.2.0", "Mailbox full"), "soft mailbox_full email.text.mailbox_full@1"},
		{"over quota wins over 550", mail(f, 550, "", "user is over quota"), "soft mailbox_full email.text.mailbox_full@1"},
		{"sender domain not found", mail(f, 550, "", "Sender address rejected: Domain not found"), "soft sender_rejected email.text.sender_rejected@1"},
		{"recipient domain not found", mail(f, 550, "5.0.0", "Recipient address rejected: Domain not found"), "hard host_unknown email.text.host_unknown@1"},
		{"host not found, no status", mail(f, 554, "", "Host not found"), "hard host_unknown email.text.host_unknown.code@1"},
		{"reverse dns", mail(f, 450, "4.7.1", "Client host rejected: cannot find your hostname"), "soft require_ptr email.text.require_ptr@1"},
		{"relay", mail(f, 553, "", "sorry, that domain isn't in my list of allowed rcpthosts"), "soft no_relaying email.text.no_relaying@1"},
		{"spam", mail(f, 550, "5.7.0", "Message rejected as spam by Content Filtering"), "soft spam_detected email.text.spam_detected@1"},
		{"virus", mail(f, 554, "5.7.0", "Virus found in message"), "soft virus_detected email.text.virus_detected@1"},
		{"rate limit", mail(f, 421, "4.7.0", "Rate limited, try again later"), "soft speeding email.text.speeding@1"},
		{"connections", mail(f, 421, "", "Too many concurrent SMTP connections"), "soft too_many_connections email.text.too_many_connections@1"},
		{"size", mail(f, 552, "5.3.0", "Message size exceeds fixed maximum message size"), "soft message_too_big email.text.message_too_big@1"},
		{"disabled account", mail(f, 550, "5.0.0", "This account has been disabled"), "soft suspended email.text.suspended@1"},
		{"failed without anything", mail(f, 0, "", ""), "soft undefined fallback.email@1"},
		{"unlisted code", mail(f, 432, "", ""), "soft undefined fallback.email@1"},
	})
}

// TestShippedDelayNotice checks that an email delay notice (a deferred
// event that is not a reply of the transaction) is pending with the reason
// its diagnostic gives, whatever rule finds it, and that a synchronous
// deferral and an SMS deferral keep the rules' outcome.
func TestShippedDelayNotice(t *testing.T) {
	t.Parallel()
	set := loadShipped(t)
	const d = channels.Deferred
	sync := func(e channels.Event) channels.Event { e.Sync = true; return e }
	tests := []struct {
		name  string
		event channels.Event
		want  string // outcome reason rule | evidence
	}{
		{"status", bounce(mail(d, 452, "4.2.2", "452 4.2.2 Mailbox full")), "pending mailbox_full email.status.4.2.2@1 | type=deferred status=4.2.2"},
		{"text", bounce(mail(d, 421, "4.7.0", "421 4.7.0 Too many concurrent SMTP connections")), "pending too_many_connections email.text.too_many_connections@1 | type=deferred text~\"Too many concurrent\""},
		{"a class 5 status still retried", bounce(mail(d, 550, "5.1.1", "550 5.1.1 User unknown")), "pending user_unknown email.status.5.1.1@2 | type=deferred status=5.1.1"},
		{"nothing recognized", mail(d, 432, "", ""), "pending undefined fallback.email@1 | type=deferred"},
		{"a bounce mail's unstated delay", bounce(mail(d, 0, "4.0.0", "")), "pending expired email.delay.unstated@1 | type=deferred status=4.0.0 provider=bounce-mail"},
		{"a bounce mail's routing delay", bounce(mail(d, 0, "4.4.0", "other or undefined network or routing status")), "pending expired email.delay.unstated@1 | type=deferred status=4.4.0 provider=bounce-mail"},
		{"a delay's words outrank its status", bounce(mail(d, 0, "4.0.0", "cat.example.net: host name lookup failure")), "pending network_error email.text.network_error.dns@1 | type=deferred text~\"host name lookup failure\""},
		{"an ESP's unstated delay", withProvider(mail(d, 0, "4.0.0", ""), "sendgrid"), "pending on_hold email.status.4.0.0@1 | type=deferred status=4.0.0"},
		{"a synchronous 4.0.0 reply", sync(mail(d, 421, "4.0.0", "421 4.0.0 busy")), "soft on_hold email.status.4.0.0@1 | status=4.0.0"},
		{"greylisted, still retried", bounce(mail(d, 451, "4.7.1", "451 4.7.1 <a@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html")), "pending expired email.text.expired.greylisted@1 | type=deferred status=4.7.1 text~\"Greylist\""},
		{"greylisted until the queue gave up", bounce(mail(channels.Failed, 451, "4.7.1", "451 4.7.1 Greylisting in action, please come back later")), "soft expired email.text.expired.greylisted@1 | status=4.7.1 text~\"Greylist\""},
		{"a class 5 reply is no greylisting", bounce(mail(channels.Failed, 550, "5.7.1", "550 5.7.1 refused by greylist policy")), "soft policy_violation email.status.5.7.1@1 | status=5.7.1"},
		{"a synchronous 4xx reply stays soft", sync(mail(d, 452, "4.2.2", "452 4.2.2 Mailbox full")), "soft mailbox_full email.status.4.2.2@1 | status=4.2.2"},
		{"a failed event stays soft", bounce(mail(channels.Failed, 452, "4.2.2", "452 4.2.2 Mailbox full")), "soft mailbox_full email.status.4.2.2@1 | status=4.2.2"},
		{"an SMS deferral keeps its verdict", receipt(d, "UNDELIV", "", "", "", -1), "soft undeliverable sms.stat.undeliv@1 | stat=UNDELIV"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := set.Classify(tt.event)
			if diff := cmp.Diff(tt.want, string(v.Outcome)+" "+string(v.Reason)+" "+v.Rule+" | "+v.Evidence); diff != "" {
				t.Errorf("Classify (-want +got):\n%s", diff)
			}
			if ex := set.Explain(tt.event).Verdict; ex != v {
				t.Errorf("Explain's verdict %+v differs from Classify's %+v", ex, v)
			}
		})
	}
}

func TestShippedSMS(t *testing.T) {
	t.Parallel()
	set := loadShipped(t)
	const f, no = channels.Failed, -1
	tests := []struct {
		name  string
		event channels.Event
		want  string // outcome reason rule
	}{
		{"sent", receipt(channels.Sent, "", "", "", "", no), "pending accepted_by_smsc sms.type.sent@1"},
		{"delivered type only", receipt(channels.Delivered, "", "", "", "", no), "delivered delivered sms.type.delivered@1"},
		{"complaint", receipt(channels.Complaint, "", "", "", "", no), "complaint complaint sms.type.complaint@1"},
		{"DELIVRD", receipt(channels.Delivered, "DELIVRD", "000", "", "", no), "delivered delivered sms.stat.delivrd@1"},
		{"DELIVRD with stray err", receipt(channels.Delivered, "DELIVRD", "002", "", "", no), "delivered delivered sms.stat.delivrd@1"},
		{"UNDELIV without err", receipt(f, "UNDELIV", "", "", "", no), "soft undeliverable sms.stat.undeliv@1"},
		{"UNDELIV, err of an unknown dialect", receipt(f, "UNDELIV", "001", "no-such-dialect", "", no), "soft unknown_error fallback.sms.err@1"},
		{"UNDELIV, err 000 of a dialect is no error", receipt(f, "UNDELIV", "000", "map", "", no), "soft undeliverable sms.stat.undeliv@1"},
		{"UNDELIV, err missing from its dialect", receipt(f, "UNDELIV", "999", "map", "", no), "soft unknown_error fallback.sms.err@1"},
		{"REJECTD, err missing from its dialect", receipt(f, "REJECTD", "999", "twilio-smpp", "", no), "soft unknown_error fallback.sms.err@1"},
		{"EXPIRED, err missing from its dialect", receipt(f, "EXPIRED", "999", "map", "", no), "soft expired sms.stat.expired@1"},
		{"DELETED, err missing from its dialect", receipt(f, "DELETED", "999", "map", "", no), "soft deleted sms.stat.deleted@1"},
		{"DELIVRD, err missing from its dialect", receipt(channels.Delivered, "DELIVRD", "999", "map", "", no), "delivered delivered sms.stat.delivrd@1"},
		{"TLV 5, err missing from its dialect", receipt(f, "", "999", "8x8", "", 5), "soft unknown_error fallback.sms.err.tlv@1"},
		{"TLV 3, err missing from its dialect", receipt(f, "UNDELIV", "999", "8x8", "", 3), "soft expired sms.state.3@1"},
		{"REJECTD", receipt(f, "REJECTD", "000", "", "", no), "soft rejected sms.stat.rejectd@1"},
		{"EXPIRED", receipt(f, "EXPIRED", "027", "", "", no), "soft expired sms.stat.expired@1"},
		{"DELETED", receipt(f, "DELETED", "", "", "", no), "soft deleted sms.stat.deleted@1"},
		{"UNKNOWN", receipt(f, "UNKNOWN", "", "", "", no), "soft unknown_status sms.stat.unknown@1"},
		{"ACCEPTD", receipt(channels.Deferred, "ACCEPTD", "", "", "", no), "pending accepted sms.stat.acceptd@1"},
		{"ENROUTE", receipt(channels.Deferred, "ENROUTE", "", "", "", no), "pending enroute sms.stat.enroute@1"},
		{"SCHEDLD", receipt(channels.Deferred, "SCHEDLD", "", "", "", no), "pending scheduled sms.stat.schedld@1"},
		{"SKIPPED", receipt(f, "SKIPPED", "", "", "", no), "soft skipped sms.stat.skipped@1"},
		{"ACKED", receipt(channels.Deferred, "ACKED", "", "", "", no), "pending accepted sms.stat.acked@1"},
		{"BUFFERD", receipt(channels.Deferred, "BUFFERD", "", "", "", no), "pending buffered sms.stat.buffered@1"},
		{"BUFFRED lower case", receipt(channels.Deferred, "buffred", "", "", "", no), "pending buffered sms.stat.buffered@1"},
		{"stat with spaces", receipt(channels.Deferred, "DELIVERED TO CARRIER", "003", "", "", no), "pending delivered_to_carrier sms.stat.delivered_to_carrier@1"},
		{"TLV outranks text", receipt(channels.Delivered, "DELIVRD", "", "", "", 5), "soft undeliverable sms.state.5@1"},
		{"TLV 3", receipt(f, "EXPIRED", "", "", "", 3), "soft expired sms.state.3@1"},
		{"TLV 6", receipt(channels.Deferred, "", "", "", "", 6), "pending accepted sms.state.6@1"},
		{"TLV 9", receipt(f, "", "", "", "", 9), "soft skipped sms.state.9@1"},
		{"TLV 0 loses to the text", receipt(f, "UNDELIV", "255", "", "", 0), "soft undeliverable sms.stat.undeliv@1"},
		{"TLV 0 alone", receipt(channels.Deferred, "", "", "", "", 0), "pending scheduled sms.state.0@1"},
		{"unknown stat", receipt(f, "WEIRD", "", "", "", no), "soft undefined fallback.sms@1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := set.Classify(tt.event)
			if diff := cmp.Diff(tt.want, string(v.Outcome)+" "+string(v.Reason)+" "+v.Rule); diff != "" {
				t.Errorf("Classify (-want +got):\n%s\nevidence: %s", diff, v.Evidence)
			}
		})
	}
}

// TestShippedVocabulary keeps the data honest: every rule has a description,
// a reason from REASONS.md for its channel, and hard verdicts only for
// recipient problems.
func TestShippedVocabulary(t *testing.T) {
	t.Parallel()
	set := loadShipped(t)
	hardOK := words("user_unknown", "host_unknown", "has_moved", "not_accept")
	for _, ch := range []channels.Channel{channels.Email, channels.SMS} {
		rs := set.Rules(ch)
		if len(rs) == 0 {
			t.Fatalf("no %s rules", ch)
		}
		for _, r := range rs {
			if r.Description == "" {
				t.Errorf("%s: no description", r.Key())
			}
			if !vocabulary[ch][r.Verdict.Reason] {
				t.Errorf("%s: reason %q is not in the %s vocabulary", r.Key(), r.Verdict.Reason, ch)
			}
			if ch == channels.Email && r.Verdict.Outcome == channels.OutcomeHard && !hardOK[r.Verdict.Reason] {
				t.Errorf("%s: hard %s: only recipient-address reasons are hard", r.Key(), r.Verdict.Reason)
			}
		}
	}
}
