package email_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/email"
)

// Delay notices (RFC 3464 section 2.3.3, action delayed) in the layouts of
// the MTAs that send them, with and without a delivery-status part.
// Addresses and hosts use the example domains of RFC 2606.
const (
	// Postfix's delay warning (bounce(8) delay template, DSN part).
	postfixDelayMail = `From: MAILER-DAEMON@mx.sender.example (Mail Delivery System)
To: sender@sender.example
Subject: Delayed Mail (still being retried)
Date: Tue, 03 Nov 2026 12:00:00 +0100
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="D1"

--D1
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.sender.example.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than 4 hour(s).
It will be retried until it is 5 day(s) old.

                   The mail system

<una@example.com>: host mx.example.com[192.0.2.10] said: 452 4.2.2
    <una@example.com>: Mailbox full (in reply to RCPT TO command)

--D1
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.example
Arrival-Date: Tue,  3 Nov 2026 08:00:00 +0100 (CET)

Final-Recipient: rfc822; una@example.com
Original-Recipient: rfc822;una@example.com
Action: delayed
Status: 4.2.2
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 452 4.2.2 <una@example.com>: Mailbox full
Will-Retry-Until: Sun,  8 Nov 2026 08:00:00 +0100 (CET)

--D1
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: sender@sender.example
To: una@example.com
Subject: hello
Message-ID: <d-1@sender.example>
X-Rebond-Message-ID: msg-delay-1

--D1--
`
	// The same warning without its DSN part (a gateway dropped it),
	// for a greylisting refusal.
	postfixDelayTextMail = `From: MAILER-DAEMON@mx.sender.example (Mail Delivery System)
To: sender@sender.example
Subject: Delayed Mail (still being retried)
Date: Tue, 03 Nov 2026 12:00:00 +0100

This is the mail system at host mx.sender.example.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than 4 hour(s).
It will be retried until it is 5 day(s) old.

                   The mail system

<vic@example.org>: host mx.example.org[192.0.2.11] said: 450 4.7.1
    <vic@example.org>: Recipient address rejected: Greylisted, see
    http://postgrey.schweikert.ch/help/example.org.html (in reply to RCPT TO
    command)
`
	// Exim's delay warning (its default warning message), no DSN part.
	eximDelayMail = `From: Mail Delivery System <Mailer-Daemon@mail.sender.example>
To: sender@sender.example
Subject: Warning: message 1kXyZa-0001Ab-Cd delayed 24 hours
Auto-Submitted: auto-replied
Date: Wed, 04 Nov 2026 08:00:00 +0000

This message was created automatically by mail delivery software.
A message that you sent has not yet been delivered to one or more of its
recipients after more than 24 hours on the queue on mail.sender.example.

The message identifier is:     1kXyZa-0001Ab-Cd
The subject of the message is: hello
The date of the message is:    Tue, 03 Nov 2026 08:00:00 +0000

The address to which the message has not yet been delivered is:

  wes@example.com
    host mx.example.com [192.0.2.12]
    Delay reason: SMTP error from remote mail server after RCPT TO:<wes@example.com>:
    452 4.2.2 Mailbox full, try again later

No action is required on your part. Delivery attempts will continue for
some time, and this warning may be repeated at intervals if the message
remains undelivered. Eventually the mail delivery software will give up,
and when that happens, the message will be returned to you.
`
	// Sendmail's warning after 4 hours (DSN part).
	sendmailDelayMail = `From: Mail Delivery Subsystem <MAILER-DAEMON@mx.sender.example>
To: <sender@sender.example>
Subject: Warning: could not send message for past 4 hours
Date: Tue, 03 Nov 2026 12:00:00 +0100
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="S9"

--S9

    **********************************************
    **      THIS IS A WARNING MESSAGE ONLY      **
    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **
    **********************************************

The original message was received at Tue, 3 Nov 2026 08:00:00 +0100
from localhost [127.0.0.1]

   ----- Transcript of session follows -----
<xia@example.net>... Deferred: 421 4.3.2 Too many concurrent SMTP connections; please try again later
Warning: message still undelivered after 4 hours
Will keep trying until message is 5 days old

--S9
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.example
Arrival-Date: Tue, 3 Nov 2026 08:00:00 +0100

Final-Recipient: RFC822; xia@example.net
Action: delayed
Status: 4.3.2
Remote-MTA: DNS; mx.example.net
Diagnostic-Code: SMTP; 421 4.3.2 Too many concurrent SMTP connections; please try again later
Last-Attempt-Date: Tue, 3 Nov 2026 12:00:00 +0100
Will-Retry-Until: Sun, 8 Nov 2026 08:00:00 +0100

--S9--
`
	// Sendmail's warning without a DSN part: no reply, a connection
	// that timed out.
	sendmailDelayTextMail = `From: Mail Delivery Subsystem <MAILER-DAEMON@mx.sender.example>
To: <sender@sender.example>
Subject: Warning: could not send message for past 4 hours
Date: Tue, 03 Nov 2026 12:00:00 +0100

    **********************************************
    **      THIS IS A WARNING MESSAGE ONLY      **
    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **
    **********************************************

The original message was received at Tue, 3 Nov 2026 08:00:00 +0100
from localhost [127.0.0.1]

   ----- The following addresses had transient non-fatal errors -----
<yan@example.net>

   ----- Transcript of session follows -----
<yan@example.net>... Deferred: Connection timed out with mx.example.net.
Warning: message still undelivered after 4 hours
Will keep trying until message is 5 days old
`
	// Exchange's delay notification, text only.
	exchangeDelayMail = `From: postmaster@corp.sender.example
To: sender@sender.example
Subject: Delivery delayed:hello
Date: Tue, 03 Nov 2026 12:00:00 +0000
Content-Type: text/plain; charset="us-ascii"

Delivery is delayed to these recipients or groups:

zed@example.org (zed@example.org)

Subject: hello

This message hasn't been delivered yet. Delivery will continue to be attempted.

Diagnostic information for administrators:

Generating server: corp.sender.example

zed@example.org
Remote Server at mx.example.org (192.0.2.13) returned '400 4.4.7 Message delayed'
11/3/2026 11:58:00 AM - Remote Server at mx.example.org (192.0.2.13) returned '452 4.2.2 Mailbox full'
`
	// OpenSMTPD's warning (bounce.c): the subject says "Warning", not
	// "delay"; the words say it is a temporary failure report.
	openSMTPDDelayMail = `From: Mailer Daemon <MAILER-DAEMON@mail.sender.example>
To: sender@sender.example
Subject: Delivery status notification: Warning
Date: Tue, 03 Nov 2026 12:00:00 +0100

    Hi!

    This is the MAILER-DAEMON, please DO NOT REPLY to this email.

    A message is delayed for more than 4h for the following
    list of recipients:

amy@example.com: 452 4.2.2 Mailbox full, try again later

    Please note that this is only a temporary failure report.
    The message is kept in the queue for up to 4d.
    You DO NOT NEED to re-send the message to these recipients.

    Below is a copy of the original message:

From: sender@sender.example
To: amy@example.com
Subject: hello

hello
`
	// OpenSMTPD's notice for an envelope it removed from its queue: the
	// delay template and action, but "Envelope expired" (queue.c): final.
	openSMTPDExpiredMail = `From: Mailer Daemon <MAILER-DAEMON@mail.sender.example>
To: sender@sender.example
Subject: Delivery status notification: delayed
Date: Sat, 07 Nov 2026 08:00:00 +0100
MIME-Version: 1.0
Content-Type: multipart/mixed;boundary="O7/mail.sender.example"

--O7/mail.sender.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

    Hi!

    This is the MAILER-DAEMON, please DO NOT REPLY to this email.

    A message is delayed for more than 4 days for the following
    list of recipients:

bea@example.com: Envelope expired

    Please note that this is only a temporary failure report.
    The message is kept in the queue for up to 4 days.
    You DO NOT NEED to re-send the message to these recipients.

--O7/mail.sender.example
Content-Description: Delivery Report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.sender.example

Final-Recipient: rfc822; bea@example.com
Action: delayed
Status: 4.4.7

--O7/mail.sender.example--
`
	// Sendmail's warning when the session ended without a reply: a bare
	// "Deferred" under its protocol status 4.5.0.
	sendmailDelayBareMail = `From: Mail Delivery Subsystem <MAILER-DAEMON@mx.sender.example>
To: <sender@sender.example>
Subject: Warning: could not send message for past 4 hours
Date: Tue, 03 Nov 2026 12:00:00 +0100
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="S8"

--S8

    **********************************************
    **      THIS IS A WARNING MESSAGE ONLY      **
    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **
    **********************************************

   ----- Transcript of session follows -----
<cid@example.net>... Deferred
Warning: message still undelivered after 4 hours
Will keep trying until message is 5 days old

--S8
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.example

Final-Recipient: RFC822; cid@example.net
Action: delayed
Status: 4.5.0
Remote-MTA: DNS; mx.example.net
Diagnostic-Code: SMTP; 

--S8--
`
)

// TestDelayNotice checks that the delay notices of several MTAs name their
// recipient as delayed with the remote's reply, and that the shipped rules
// make them pending (never soft) with the reason the reply gives.
func TestDelayNotice(t *testing.T) {
	t.Parallel()
	set := loadEmailRules(t)
	tests := []struct {
		name, mail string
		want       string // address|action|status|code -> type outcome/reason
	}{
		{"Postfix, DSN", postfixDelayMail, "una@example.com|delayed|4.2.2|452 -> deferred pending/mailbox_full"},
		{"Postfix, text only, greylisted", postfixDelayTextMail, "vic@example.org|delayed|4.7.1|450 -> deferred pending/expired"},
		{"Exim", eximDelayMail, "wes@example.com|delayed|4.2.2|452 -> deferred pending/mailbox_full"},
		{"Sendmail, DSN", sendmailDelayMail, "xia@example.net|delayed|4.3.2|421 -> deferred pending/too_many_connections"},
		{"Sendmail, text only", sendmailDelayTextMail, "yan@example.net|delayed||- -> deferred pending/expired"},
		{"Exchange, the last reply", exchangeDelayMail, "zed@example.org|delayed|4.2.2|452 -> deferred pending/mailbox_full"},
		{"OpenSMTPD, by its words", openSMTPDDelayMail, "amy@example.com|delayed|4.2.2|452 -> deferred pending/mailbox_full"},
		{"Sendmail, a bare deferral", sendmailDelayBareMail, "cid@example.net|delayed|4.5.0|- -> deferred pending/expired"},
		{"OpenSMTPD's expiry in the delay template is final", openSMTPDExpiredMail, "bea@example.com|failed|4.4.7|- -> failed soft/expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := mustParse(t, tt.mail)
			evs := r.Events(email.EventOptions{MaxRaw: -1})
			if len(r.Recipients) != 1 || len(evs) != 1 {
				t.Fatalf("%d recipients, %d events; want one: %+v", len(r.Recipients), len(evs), r.Recipients)
			}
			rc := r.Recipients[0]
			v := set.Classify(evs[0])
			got := strings.Join([]string{rc.Address, rc.Action, rc.Status, itoa(rc.ReplyCode)}, "|") +
				" -> " + string(evs[0].Type) + " " + string(v.Outcome) + "/" + string(v.Reason)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("delay notice (-want +got):\n%s\nrule %s: %s", diff, v.Rule, v.Evidence)
			}
		})
	}
}

// TestDelayNoticeLifecycle follows a delay notice from the mail to the
// recipient's state and the rates, with the shipped rules and the seed
// policy's shape: however many warnings arrive, the message stays pending,
// the recipient's soft count does not move, no retry notice is scheduled
// (the MTA retries by itself), and a status already known stays; the
// final bounce after them counts once.
func TestDelayNoticeLifecycle(t *testing.T) {
	t.Parallel()
	set := loadEmailRules(t)
	policy := lifecycle.Policy{
		SoftThreshold: 2, SuspendFor: 24 * time.Hour,
		Channels: map[channels.Channel]lifecycle.ChannelPolicy{
			channels.Email: {Retry: []time.Duration{time.Hour}},
		},
	}
	t0 := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
	delay := mustParse(t, postfixDelayMail).Events(email.EventOptions{MaxRaw: -1})[0]
	sent := channels.Event{ID: "sent-1", Channel: channels.Email, Type: channels.Sent, MessageID: delay.MessageID,
		Recipient: delay.Recipient, OccurredAt: t0}
	// Three warnings of the same message (Postfix repeats none, Exim
	// does at intervals): distinct events.
	var warnings []channels.Event
	for i := range 3 {
		w := delay
		w.ID, w.OccurredAt = delay.ID+"-"+itoa(i+1), t0.Add(time.Duration(4*(i+1))*time.Hour)
		warnings = append(warnings, w)
	}
	final := delay
	final.ID, final.Type, final.OccurredAt = "final-1", channels.Failed, t0.Add(120*time.Hour)
	key := lifecycle.MessageKey{Tenant: channels.DefaultTenant, Channel: channels.Email, MessageID: delay.MessageID, Recipient: delay.Recipient}
	rkey := lifecycle.RecipientKey{Tenant: channels.DefaultTenant, Channel: channels.Email, Address: delay.Recipient}
	// The warnings come back to the bounce listener, a return path that
	// gives no route (lifecycle.ReturnPath): what they move shows in the
	// bucket without one.
	bucket := lifecycle.BucketKey{Tenant: channels.DefaultTenant, Channel: channels.Email, Domain: "example.com", Hour: t0}

	tests := []struct {
		name     string
		stored   lifecycle.Status // the message's status before the batch; "" for none
		events   []channels.Event
		status   lifecycle.Status
		counts   lifecycle.Counts
		soft     int
		retries  int
		outcomes string
	}{
		{"warnings only", "", append([]channels.Event{sent}, warnings...), lifecycle.StatusPending,
			lifecycle.Counts{Sent: 1}, 0, 0, "pending pending pending pending"},
		{"warnings then the final bounce", "", append(append([]channels.Event{sent}, warnings...), final), lifecycle.StatusSoft,
			lifecycle.Counts{Sent: 1, Soft: 1}, 1, 1, "pending pending pending pending soft"},
		{"a warning after a delivery", lifecycle.StatusDelivered, warnings[:1], lifecycle.StatusDelivered, lifecycle.Counts{}, 0, 0, "pending"},
		{"a warning after a hard failure", lifecycle.StatusHard, warnings[:1], lifecycle.StatusHard, lifecycle.Counts{}, 0, 0, "pending"},
		{"a warning after a soft failure", lifecycle.StatusSoft, warnings[:1], lifecycle.StatusSoft, lifecycle.Counts{}, 0, 0, "pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			snap := lifecycle.Snapshot{Events: tt.events}
			if tt.stored != "" {
				snap.Messages = map[lifecycle.MessageKey]lifecycle.Message{key: {Channel: channels.Email, MessageID: delay.MessageID,
					Recipient: delay.Recipient, Domain: "example.com", SentAt: t0, Status: tt.stored, Reason: "stored"}}
			}
			p := lifecycle.Decide(policy, set, snap)
			var outcomes []string
			for _, a := range p.Applied {
				outcomes = append(outcomes, string(a.Verdict.Outcome))
			}
			if got := strings.Join(outcomes, " "); got != tt.outcomes {
				t.Errorf("verdicts %q, want %q", got, tt.outcomes)
			}
			if len(p.Messages) != 1 || p.Messages[0].Status != tt.status {
				t.Fatalf("messages %+v, want one %s", p.Messages, tt.status)
			}
			if tt.stored != "" && p.Messages[0].Reason != "stored" {
				t.Errorf("reason %q: a warning changed a known status's reason", p.Messages[0].Reason)
			}
			if got := p.Buckets[bucket]; got != tt.counts {
				t.Errorf("bucket counts %+v, want %+v (all buckets %+v)", got, tt.counts, p.Buckets)
			}
			soft := 0
			for _, r := range p.Recipients {
				if r.Tenant == rkey.Tenant && r.Address == rkey.Address {
					soft = r.SoftCount
				}
			}
			if soft != tt.soft {
				t.Errorf("soft count %d, want %d", soft, tt.soft)
			}
			if len(p.Retries) != tt.retries {
				t.Errorf("retries %+v, want %d", p.Retries, tt.retries)
			}
		})
	}
}
