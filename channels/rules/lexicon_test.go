package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

// TestShippedLexicon checks the wordings of configs/rules/email-lexicon.yaml
// and the text-first arbitration of email.yaml's yielding status rules. The
// inputs are the systems' documented or known replies, not corpus files;
// the rule a case names is the one whose description quotes that wording.
func TestShippedLexicon(t *testing.T) {
	t.Parallel()
	set := loadShipped(t)
	// Class 4 cases are failed events: a final bounce quoting a 4xx reply
	// (a deferred one is a delay notice, pending; see TestShippedDelayNotice).
	const f = channels.Failed
	checkVerdicts(t, set, []verdictCase{
		// Text-first arbitration: the status yields to a contradicting text.
		{"X.1.1 with mailbox full", mail(f, 550, "5.1.1", "550 5.1.1 <a@example.com>: Mailbox is full"), "soft mailbox_full email.text.mailbox_full@1"},
		{"X.1.1 with quota, class 4", mail(f, 450, "4.1.1", "450 4.1.1 user is over quota"), "soft mailbox_full email.text.mailbox_full@1"},
		{"X.2.1 with user unknown at RCPT TO", mail(f, 550, "5.2.1", "550 5.2.1 <a@example.jp>... User Unknown (in reply to RCPT TO command)"), "hard user_unknown email.text.user_unknown.status_5.2.1@1"},
		{"X.2.1 with Gmail's disabled account", mail(f, 550, "5.2.1", "550-5.2.1 The email account that you tried to reach is disabled."), "soft suspended email.status.5.2.1@2"},
		{"X.2.1 disabled, answered after DATA, stays disabled", mail(f, 550, "5.2.1", "550 5.2.1 <a@example.org>: Recipient address rejected: Account disabled (in reply to end of DATA command)"), "soft suspended email.status.5.2.1@2"},
		{"a cause named after DATA is that cause", mail(f, 450, "4.7.1", "450 4.7.1 <a@example.org>: Recipient address rejected: Sending rate limit exceeded (in reply to end of DATA command)"), "soft speeding email.text.speeding@1"},
		{"a bare refusal after DATA is a filter", mail(f, 554, "5.7.1", "554 5.7.1 <a@example.org>: Recipient address rejected: Access denied (in reply to end of DATA command)"), "soft filtered email.text.filtered.after_data@2"},
		{"X.4.4 with Postfix's nullMX", mail(f, 556, "5.4.4", "Domain example.org does not accept mail (nullMX)"), "hard not_accept email.lexicon.not_accept.null_mx@1"},
		{"X.1.2 with Exim's null MX", mail(f, 550, "5.1.2", "an MX or SRV record indicated no SMTP service"), "hard not_accept email.lexicon.not_accept.null_mx@1"},
		{"X.4.4 null MX, class 4", mail(f, 450, "4.4.4", "Domain example.org does not accept mail (nullMX)"), "soft not_accept email.lexicon.not_accept.null_mx.transient@1"},
		{"Exchange Online's 5.4.1 relay refusal", mail(f, 550, "5.4.1", "550 5.4.1 Relay Access Denied"), "soft no_relaying email.text.no_relaying@1"},
		{"X.4.1 no answer stays", mail(f, 0, "5.4.1", "No answer from host"), "soft network_error email.status.5.4.1@2"},
		{"X.4.4 plain no route stays", mail(f, 550, "5.4.4", "Unrouteable address"), "hard host_unknown email.status.5.4.4@2"},
		// Exchange and Office 365
		{"Exchange RecipNotFound", mail(f, 550, "5.0.0", "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"), "hard user_unknown email.lexicon.user_unknown.exchange@1"},
		{"Exchange 2003 sentence", mail(f, 550, "5.0.0", "The e-mail account does not exist at the organization this message was sent to."), "hard user_unknown email.lexicon.user_unknown.exchange@1"},
		{"Exchange quota exception", mail(f, 554, "5.0.0", "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded"), "soft mailbox_full email.text.mailbox_full@1"},
		{"Exchange Online banned IP range", mail(f, 550, "5.7.606", "550 5.7.606 Access denied, banned sending IP [192.0.2.1]"), "soft blocked email.text.blocked.banned_ip@1"},
		{"Exchange time limit", mail(f, 0, "5.0.0", "Could not deliver the message in the time limit specified. Please retry or contact your administrator."), "soft expired email.lexicon.expired.words@1"},
		{"Exchange 2003 too large", mail(f, 0, "5.0.0", "The message was rejected because it was too large."), "soft message_too_big email.lexicon.message_too_big.exchange@1"},
		{"Exchange 2003 alternate hosts", mail(f, 0, "4.0.0", "Either there are no alternate hosts, or delivery failed to all alternate hosts."), "soft network_error email.lexicon.network_error.exchange@1"},
		// Outlook.com
		{"Outlook.com S3150", mail(f, 550, "5.7.1", "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150)."), "soft blocked email.lexicon.blocked.outlook@1"},
		{"Hotmail SC-001", mail(f, 550, "5.0.0", "550 SC-001 (BAY0-MC1-F1) Unfortunately, messages from 192.0.2.1 weren't sent."), "soft blocked email.lexicon.blocked.outlook@1"},
		// Gmail
		{"Gmail unsolicited", mail(f, 550, "5.7.1", "550-5.7.1 Our system has detected that this message is likely unsolicited mail."), "soft spam_detected email.lexicon.spam_detected.words@1"},
		{"Gmail unusual rate from your IP", mail(f, 421, "4.7.0", "421-4.7.0 Our system has detected an unusual rate of unsolicited mail originating from your IP address."), "soft blocked email.lexicon.blocked.gateways@1"},
		{"Gmail disabled account, no status", mail(f, 550, "5.0.0", "The email account that you tried to reach is disabled."), "soft suspended email.lexicon.suspended.gmail@1"},
		{"Gmail size", mail(f, 552, "5.0.0", "552-5.2.3 Your message exceeded Google's message size limits."), "soft message_too_big email.lexicon.message_too_big.words@1"},
		{"Gmail policy", mail(f, 550, "5.7.1", "550 5.7.1 The user or domain that you are sending to (or from) has a policy that prohibited the mail that you sent."), "soft policy_violation email.lexicon.policy_violation.words@1"},
		// qmail
		{"qmail host", mail(f, 0, "5.0.0", "Sorry, I couldn't find any host named example.invalid. (#5.1.2)"), "hard host_unknown email.lexicon.host_unknown.qmail@1"},
		{"qmail queue lifetime", mail(f, 0, "5.0.0", "I'm not going to try again; this message has been in the queue too long."), "soft expired email.lexicon.expired.words@1"},
		{"qmail connection", mail(f, 0, "4.0.0", "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)"), "soft network_error email.lexicon.network_error.words@1"},
		{"qmail quota", mail(f, 0, "5.0.0", "The users mailfolder is over the allowed quota (size). (#5.2.2)"), "soft mailbox_full email.lexicon.mailbox_full.words@1"},
		{"qmail no longer accepts mail", mail(f, 0, "5.0.0", "This address no longer accepts mail."), "soft suspended email.lexicon.suspended.many@1"},
		// Sendmail, Exim, Postfix, OpenSMTPD, iMail
		{"Sendmail days", mail(f, 0, "4.0.0", "451 example.org: Cannot send message for 5 days"), "soft expired email.lexicon.expired.words@1"},
		{"Sendmail load average", mail(f, 421, "4.0.0", "421 4.3.2 Connection rate limit exceeded. rejecting connections on daemon MTA: load average: 40"), "soft system_error email.lexicon.system_error.words@1"},
		{"Exim retry timeout", mail(f, 0, "5.0.0", "retry timeout exceeded"), "soft expired email.text.expired@2"},
		{"Exim host lookup", mail(f, 0, "4.0.0", "host lookup did not complete"), "soft network_error email.lexicon.network_error.words@1"},
		{"Postfix lost connection", mail(f, 0, "4.0.0", "lost connection with mx.example.org[192.0.2.1] while sending RCPT TO"), "soft network_error email.lexicon.network_error.words@1"},
		{"Postfix size", mail(f, 552, "5.0.0", "message size 20971520 exceeds size limit 10240000 of server mx.example.org"), "soft message_too_big email.text.message_too_big.words@1"},
		{"OpenSMTPD invalid recipient", mail(f, 550, "5.0.0", "550 Invalid recipient: <a@example.org>"), "hard user_unknown email.lexicon.user_unknown.words@1"},
		{"OpenSMTPD envelope expired", mail(f, 0, "4.0.0", "Envelope expired"), "soft expired email.lexicon.expired.words@1"},
		{"OpenSMTPD no MX", mail(f, 0, "5.0.0", "No MX found for domain"), "hard host_unknown email.lexicon.host_unknown.qmail@1"},
		{"iMail attempts", mail(f, 0, "5.0.0", "Delivery failed 3 attempts"), "soft expired email.lexicon.expired.words@1"},
		{"iMail userid", mail(f, 550, "5.0.0", "Invalid final delivery userid: a"), "hard user_unknown email.lexicon.user_unknown.words@1"},
		{"iMail quota", mail(f, 0, "5.0.0", "User mailbox exceeds allowed size: a@example.org"), "soft mailbox_full email.lexicon.mailbox_full.imail@1"},
		// More of Exim, qmail, Domino, Gmail, Exchange Online, amavis
		{"Exim MX to nowhere", mail(f, 0, "5.0.0", "all relevant MX records point to non-existent hosts"), "hard host_unknown email.lexicon.host_unknown.exim@1"},
		{"Exim frozen", mail(f, 0, "5.0.0", "Message is frozen"), "soft expired email.lexicon.expired.exim@1"},
		{"Exim pipe", mail(f, 0, "5.0.0", "delivery to pipe forbidden"), "soft system_error email.lexicon.system_error.exim@1"},
		{"Exim closed connection", mail(f, 0, "5.0.0", "Remote host mx.example.org [192.0.2.1] closed connection in response to end of data"), "soft network_error email.lexicon.network_error.exim@1"},
		{"qmail loop", mail(f, 0, "5.0.0", "This message is looping: it already has my Delivered-To line. (#5.4.6)"), "soft network_error email.lexicon.network_error.exim@1"},
		{"qmail sender", mail(f, 0, "5.0.0", "Connected to 192.0.2.1 but sender was rejected."), "soft sender_rejected email.lexicon.sender_rejected.qmail@1"},
		{"Domino route", mail(f, 0, "5.0.0", "Cannot route mail to user (a@example.org)"), "soft filtered email.lexicon.filtered.domino@1"},
		{"Domino ambiguous", mail(f, 0, "5.0.0", "Recipient name not unique. Several matches found in Domino Directory."), "soft system_error email.lexicon.system_error.domino@1"},
		{"MessageLabs auth", mail(f, 553, "5.0.0", "553-Please turn on SMTP Authentication in your mail client."), "soft security_error email.lexicon.security_error.words@1"},
		{"Exchange 5.7.515", mail(f, 550, "5.7.515", "550 5.7.515 Access denied, sending domain example.com does not meet the required authentication level."), "soft auth_failure email.lexicon.auth_failure.exchange@1"},
		{"Exchange 5.7.501", mail(f, 550, "5.7.501", "550 5.7.501 Access denied, spam abuse detected."), "soft blocked email.lexicon.blocked.exchange@1"},
		{"Gmail From header", mail(f, 550, "5.7.1", "550-5.7.1 Messages missing a valid address in From: header, or having no From: header, are not accepted."), "soft not_compliant_rfc email.lexicon.not_compliant_rfc.gmail@1"},
		{"Gmail daily quota, quoted", mail(f, 550, "5.0.0", "550 5.4.5 Daily user sending quota exceeded."), "soft speeding email.lexicon.speeding.quota@1"},
		{"amavis spam", mail(f, 554, "5.7.0", "554 5.7.0 Reject, id=12345-01 - SPAM"), "soft spam_detected email.lexicon.spam_detected.amavis@1"},
		// Broad wordings of many receivers
		{"vpopmail", mail(f, 0, "5.0.0", "vdeliver: invalid or unknown virtual user 'a'"), "hard user_unknown email.lexicon.user_unknown.many@1"},
		{"French unknown user", mail(f, 550, "5.0.0", "550 5.1.1 Utilisateur inconnu"), "hard user_unknown email.lexicon.user_unknown.many@1"},
		{"Tencent mailbox unavailable or access denied", mail(f, 550, "5.0.0", "550 Mailbox unavailable or access denied"), "soft suspended email.lexicon.suspended.many@1"},
		{"vdelivermail locked", mail(f, 0, "5.0.0", "vdelivermail: account is locked email bounced"), "soft suspended email.lexicon.suspended.many@1"},
		{"disk quota", mail(f, 0, "5.0.0", "Recipient reached disk quota"), "soft mailbox_full email.lexicon.mailbox_full.many@1"},
		{"dynamic IP", mail(f, 554, "5.0.0", "554 Rejected dynamic IP range"), "soft blocked email.lexicon.blocked.many@1"},
		{"bulk URL", mail(f, 554, "5.0.0", "554 Blacklisted URL in message"), "soft spam_detected email.lexicon.spam_detected.words@1"},
		{"queue period", mail(f, 0, "4.0.0", "The recipient was not reachable within the allowed queue period"), "soft expired email.lexicon.expired.many@1"},
		{"SES suppressed, as mail", mail(f, 0, "5.1.1", "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address."), "soft suppressed email.lexicon.suppressed.ses@1"},
		{"connection limit", mail(f, 421, "4.0.0", "421 All available IPs are at maximum connection limit"), "soft too_many_connections email.lexicon.too_many_connections.many@1"},
		{"mail.local output file", mail(f, 0, "5.0.0", "mail.local: can't create user output file"), "soft system_error email.lexicon.system_error.many@1"},
		{"Exchange DNS records", mail(f, 0, "5.0.0", "The DNS records for the destination computer could not be found"), "soft network_error email.lexicon.network_error.many@1"},
		{"domain mentioned is unknown", mail(f, 550, "5.0.0", "550 The domain mentioned in email address is unknown"), "hard host_unknown email.lexicon.host_unknown.many@1"},
		{"not an open relay", mail(f, 550, "5.0.0", "550 we are not an open relay, so get lost"), "soft no_relaying email.lexicon.no_relaying.many@1"},
		{"badmailfrom", mail(f, 553, "5.0.0", "553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)"), "soft sender_rejected email.lexicon.sender_rejected.many@1"},
		{"server does not accept mail from", mail(f, 550, "5.0.0", "550 This server does not accept mail from example.com"), "soft sender_rejected email.lexicon.sender_rejected.many@1"},
		{"organization policy", mail(f, 550, "5.7.1", "550 5.7.1 The message was rejected by organization policy"), "soft policy_violation email.lexicon.policy_violation.many@1"},
		{"recipient preferences", mail(f, 550, "5.0.0", "550 Message refused due to recipient preferences"), "soft filtered email.lexicon.filtered.many@1"},
		// Providers and gateways
		{"Tencent frequency", mail(f, 550, "5.0.0", "550 Ip frequency limited. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000725"), "soft too_many_connections email.lexicon.too_many_connections.words@1"},
		{"Tencent content", mail(f, 550, "5.0.0", "550 Mail content denied. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000726"), "soft spam_detected email.lexicon.spam_detected.words@1"},
		{"Tencent bounce attacks", mail(f, 550, "5.0.0", "550 Suspected bounce attacks"), "soft blocked email.lexicon.blocked.gateways@1"},
		{"Cox block list", mail(f, 554, "5.0.0", "554 cox.net rejected: IP on Cox blocklist - CXBL"), "soft blocked email.lexicon.blocked.cox@1"},
		{"Cox connections", mail(f, 421, "4.0.0", "421 esmtp.cox.net - too many connections from your IP - CXCNCT"), "soft too_many_connections email.lexicon.too_many_connections.cox@1"},
		{"GoDaddy Spamhaus", mail(f, 554, "5.0.0", "554 p3plibsmtp01 bounce: Connection refused. This IP is listed on the Spamhaus Block List (SBL). IB104"), "soft blocked email.lexicon.blocked.godaddy@1"},
		{"GoDaddy virus", mail(f, 552, "5.0.0", "552 Virus infected message rejected. IB705"), "soft virus_detected email.lexicon.virus_detected.godaddy@1"},
		{"Proofpoint", mail(f, 554, "5.7.1", "554 5.7.1 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1"), "soft blocked email.lexicon.blocked.gateways@1"},
		{"MessageLabs policy", mail(f, 501, "5.0.0", "501 Connection rejected by policy [7.7] 20805, please visit www.symanteccloud.com/troubleshooting"), "soft blocked email.lexicon.blocked.gateways@1"},
		{"MessageLabs relay", mail(f, 553, "5.0.0", "553-you are trying to use me [server-7.messagelabs.com] as a relay"), "soft no_relaying email.lexicon.no_relaying.words@1"},
		{"Mimecast envelope blocked", mail(f, 550, "5.0.0", "550 Envelope blocked - User Entry - https://community.mimecast.com/docs/DOC-1369#550"), "soft sender_rejected email.lexicon.sender_rejected.mimecast@1"},
		{"Mimecast anti-spoofing", mail(f, 550, "5.0.0", "550 Rejected by header based Anti-Spoofing policy"), "soft policy_violation email.lexicon.policy_violation.words@1"},
		{"Zoho relay", mail(f, 553, "5.0.0", "553 Relaying disallowed as a@example.org"), "soft no_relaying email.lexicon.no_relaying.words@1"},
		{"Biglobe count", mail(f, 0, "5.0.0", "The number of messages in recipient's mailbox exceeded the local limit."), "soft mailbox_full email.lexicon.mailbox_full.words@1"},
		{"Mail.ru invalid mailbox", mail(f, 550, "5.0.0", "550 Message was not accepted -- invalid mailbox.  Local mailbox a@mail.ru is unavailable: user not found"), "hard user_unknown email.lexicon.user_unknown.words@1"},
		{"ClamAV", mail(f, 554, "5.0.0", "554 Rejected: Heuristics.Phishing.Email.SpoofedDomain FOUND"), "soft virus_detected email.lexicon.virus_detected.words@1"},
		{"spam near a refusal", mail(f, 550, "5.0.0", "550 Message refused, considered SPAM"), "soft spam_detected email.lexicon.spam_detected.near@1"},
		// Mailing lists and groups refusing the sender
		{"Google Groups", mail(f, 0, "5.0.0", "You may not have permission to post messages to the group."), "soft sender_rejected email.lexicon.sender_rejected.mailing_list@1"},
		{"Mailman non-member", mail(f, 0, "5.0.0", "Post by non-member to a members-only list"), "soft sender_rejected email.lexicon.sender_rejected.mailing_list@1"},
		{"fml not member", mail(f, 0, "5.0.0", "you are not member (you are not a member of this mailing list)."), "soft sender_rejected email.lexicon.sender_rejected.mailing_list@1"},
		{"fml security alert", mail(f, 0, "5.0.0", "Security alert: the post contains a suspicious command"), "soft security_error email.lexicon.security_error.fml@1"},
		// Class 4 keeps recipient-address reasons soft.
		{"invalid recipient, class 4", mail(f, 450, "4.0.0", "450 Invalid recipient"), "soft on_hold email.status.4.0.0@1"},
	})
}

// verdictCase is one event and the verdict it must get, written
// "outcome reason rule".
type verdictCase struct {
	name  string
	event channels.Event
	want  string
}

// checkVerdicts classifies each case's event with set, in parallel
// subtests.
func checkVerdicts(t *testing.T, set *Set, cases []verdictCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := set.Classify(tt.event)
			if diff := cmp.Diff(tt.want, string(v.Outcome)+" "+string(v.Reason)+" "+v.Rule); diff != "" {
				t.Errorf("Classify (-want +got):\n%s\nevidence: %s", diff, v.Evidence)
			}
		})
	}
}
