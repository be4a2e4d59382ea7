package email_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/email"
)

// Bounces that quote the remote server's SMTP reply inside their own
// words, in the layouts of the MTAs that write them. Addresses and hosts
// use the example domains of RFC 2606.
const (
	// qmail-send, two recipients: each "Remote host said:" line is its recipient's diagnosis.
	qmailTwoMail = `From: MAILER-DAEMON@mail.example.net
To: sender@sender.example
Subject: failure notice
Date: Tue, 03 Nov 2026 08:00:00 +0100

Hi. This is the qmail-send program at mail.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<carol@example.com>:
192.0.2.7 does not like recipient.
Remote host said: 550 5.1.1 <carol@example.com>... User Unknown
Giving up on 192.0.2.7.

<dan@example.org>:
192.0.2.8 does not like recipient.
Remote host said: 552 5.2.2 <dan@example.org>... Mailbox full
Giving up on 192.0.2.8.

--- Below this line is a copy of the message.

Return-Path: <sender@sender.example>
From: sender@sender.example
To: carol@example.com
Subject: hi

hello
`
	// Exchange 2003: the remote's reply inside the server's own "#5.0.0" comment.
	exchange2003Mail = `From: postmaster@corp.sender.example
To: sender@sender.example
Subject: Undeliverable: hello
Date: Tue, 03 Nov 2026 08:01:00 +0000
Content-Type: text/plain

Your message did not reach some or all of the intended recipients.

      Subject:	hello
      Sent:	11/3/2026 8:00 AM

The following recipient(s) cannot be reached:

      bob@example.com on 11/3/2026 8:01 AM
            The e-mail account does not exist at the organization this message was sent to.  Check the e-mail address, or contact the recipient directly to find out the correct address.
            <mx.corp.sender.example #5.0.0 smtp;550 5.1.1 <bob@example.com>... User unknown>

      cat@example.org on 11/3/2026 8:01 AM
            There was a SMTP communication problem with the recipient's email server.  Please contact your system administrator.
            <mx.corp.sender.example #5.5.0 smtp;552 5.2.2 Mailbox quota exceeded>
`
	// Exchange 2007: "#< host #5.0.0 smtp; 550 5.1.1 ...> #SMTP#".
	exchange2007Mail = `From: postmaster@corp.sender.example
To: sender@sender.example
Subject: Undeliverable: hello
Date: Tue, 03 Nov 2026 08:01:00 +0000
Content-Type: text/plain

Delivery has failed to these recipients or distribution lists:

eli@example.com
The recipient's e-mail address was not found in the recipient's e-mail system. Microsoft Exchange will not try to redeliver this message for you. Please check the e-mail address and try resending this message, or provide the following diagnostic text to your system administrator.

Sent by Microsoft Exchange Server 2007

Diagnostic information for administrators:

Generating server: mail.corp.sender.example

eli@example.com
#< mx.example.com #5.0.0 smtp; 550 5.1.1 <eli@example.com>... User unknown> #SMTP#
`
	// Exchange 2010: "host #550 5.1.1 ... ##".
	exchange2010Mail = `From: postmaster@corp.sender.example
To: sender@sender.example
Subject: Undeliverable: hello
Date: Tue, 03 Nov 2026 08:01:00 +0000
Content-Type: text/plain

Delivery has failed to these recipients or groups:

dan@example.com
The e-mail address you entered couldn't be found. Please check the recipient's e-mail address and try to resend the message. If the problem continues, please contact your helpdesk.

Diagnostic information for administrators:

Generating server: mail.corp.sender.example

dan@example.com
mx.example.com #550 5.1.1 <dan@example.com>: Recipient address rejected: User unknown in local recipient table ##

Original message headers:

From: sender@sender.example
To: dan@example.com
Subject: hello
`
	// Exchange Online gives up: its own 4.4.7 around the remote's last reply.
	exchangeExpiredMail = `From: postmaster@outlook.example
To: sender@sender.example
Subject: Undeliverable: hello
Date: Tue, 03 Nov 2026 08:01:00 +0000
Content-Type: text/plain

Delivery has failed to these recipients or groups:

fay@example.net
The recipient's email server didn't respond in time. Please contact the recipient directly.

Diagnostic information for administrators:

Generating server: AM0PR01MB1234.eurprd01.prod.outlook.example

fay@example.net
Remote Server returned '550 4.4.7 QUEUE.Expired; message expired [Message=451 4.4.0 Primary target IP address responded with: "452 4.2.2 Mailbox full." Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts. The last endpoint attempted was 192.0.2.40:25] [LastAttemptedServerName=mx.example.net] [LastAttemptedIP=192.0.2.40:25]'
`
	// Courier: each recipient's own transcript after it.
	courierMail = `From: "Courier mail server at mx.sender.example" <@>
To: sender@sender.example
Subject: NOTICE: mail delivery status.
Date: Tue, 03 Nov 2026 08:01:00 +0000

This is a delivery status notification from mx.sender.example,
running the Courier mail server, version 1.1.

The original message was received on Tue, 03 Nov 2026 08:00:00 +0000
from localhost [127.0.0.1]

---------------------------------------------------------------------------

                           UNDELIVERABLE MAIL

Your message to the following recipients cannot be delivered:

<gil@example.net>:
    mx.example.net [192.0.2.20]:
>>> RCPT TO:<gil@example.net>
<<< 550 5.1.1 <gil@example.net>... User unknown

<hoa@example.org>:
    mx.example.org [192.0.2.21]:
>>> DATA
<<< 554 5.7.1 Message rejected as spam
`
	// OpenSMTPD: "address: reply" lines.
	openSMTPDMail = `From: Mailer Daemon <MAILER-DAEMON@mail.sender.example>
To: sender@sender.example
Subject: Delivery status notification: Error
Date: Tue, 03 Nov 2026 08:01:00 +0000

    Hi!

    This is the MAILER-DAEMON, please DO NOT REPLY to this email.

    An error has occurred while attempting to deliver a message for
    the following list of recipients:

ida@example.com: 550 5.2.2 <ida@example.com>: Mailbox full
jon@example.org: 550 5.1.1 <jon@example.org>: Recipient address rejected: User unknown in virtual mailbox table

    Below is a copy of the original message:

From: sender@sender.example
To: ida@example.com, jon@example.org
Subject: hello

hello
`
	// Domino: the remote's reply in its "because:" paragraph.
	dominoMail = `From: Postmaster@notes.sender.example
To: sender@sender.example
Subject: DELIVERY FAILURE: Error transferring to mx.example.com; SMTP Protocol Returned a Permanent Error 550 5.1.1 <kai@example.com>... User unknown
Date: Tue, 03 Nov 2026 08:01:00 +0000

Your message

  Subject: hello

was not delivered to:

  kai@example.com

because:

  Error transferring to mx.example.com; SMTP Protocol Returned a Permanent Error 550 5.1.1 <kai@example.com>... User unknown
`
	// Sendmail gives up after 5 days: Status 4.4.7 and no Diagnostic-Code; the reason line quotes the last reply.
	sendmailExpiredMail = `From: Mail Delivery Subsystem <MAILER-DAEMON@mx.sender.example>
To: <sender@sender.example>
Subject: Returned mail: see transcript for details
Date: Sun, 08 Nov 2026 08:05:00 +0100
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="E5"

--E5

The original message was received at Tue, 3 Nov 2026 08:00:00 +0100
from localhost [127.0.0.1]

   ----- The following addresses had permanent fatal errors -----
<lou@example.org>
    (reason: 452 4.2.2 Mailbox full)

   ----- Transcript of session follows -----
... while talking to mx.example.org.:
>>> RCPT To:<lou@example.org>
<<< 452 4.2.2 Mailbox full
<lou@example.org>... Deferred: 452 4.2.2 Mailbox full
Message could not be delivered for 5 days
Message will be deleted from queue

--E5
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.example
Arrival-Date: Tue, 3 Nov 2026 08:00:00 +0100

Final-Recipient: RFC822; lou@example.org
Action: failed
Status: 4.4.7
Last-Attempt-Date: Sun, 8 Nov 2026 08:05:00 +0100

--E5--
`
	// Sendmail gives up on a server that kept refusing connections, with
	// no Diagnostic-Code: the transcript's last deferral says why.
	sendmailExpiredBusyMail = `From: Mail Delivery Subsystem <MAILER-DAEMON@mx.sender.example>
To: <sender@sender.example>
Subject: Returned mail: see transcript for details
Date: Sun, 08 Nov 2026 08:05:00 +0100
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="E6"

--E6

The original message was received at Tue, 3 Nov 2026 08:00:00 +0100
from localhost [127.0.0.1]

   ----- The following addresses had permanent fatal errors -----
<max@example.org>
    (reason: 421 4.7.0 mx.example.org Error: too many connections from 192.0.2.1)

   ----- Transcript of session follows -----
... while talking to mx.example.org.:
<<< 421 4.7.0 mx.example.org Error: too many connections from 192.0.2.1
<max@example.org>... Deferred: 421 4.7.0 mx.example.org Error: too many connections from 192.0.2.1
Message could not be delivered for 5 days
Message will be deleted from queue

--E6
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.example

Final-Recipient: RFC822; max@example.org
Action: failed
Status: 4.4.7
Last-Attempt-Date: Sun, 8 Nov 2026 08:05:00 +0100

--E6--
`
	// Exim's retry timeout: the last error, then "retry timeout exceeded".
	eximExpiredMail = `From: Mail Delivery System <Mailer-Daemon@mail.sender.example>
To: sender@sender.example
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: ned@example.com
Date: Sun, 08 Nov 2026 08:05:00 +0000

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  ned@example.com
    host mx.example.com [192.0.2.50]
    SMTP error from remote mail server after initial connection:
    421 4.7.0 mx.example.com Error: too many connections from 192.0.2.1: retry timeout exceeded
`
)

// TestEmbeddedReply checks the reply code, enhanced status and command
// read from each recipient's words: the remote's own reply, wherever the
// MTA put it, and its most specific status (a wrapping X.0.0 or the
// sending MTA's X.4.7 expiry gives way).
func TestEmbeddedReply(t *testing.T) {
	t.Parallel()
	set := loadEmailRules(t)
	tests := []struct {
		name, mail string
		want       []string // address|status|code|command -> outcome/reason
	}{
		{"qmail, two recipients", qmailTwoMail, []string{
			"carol@example.com|5.1.1|550|RCPT -> hard/user_unknown", "dan@example.org|5.2.2|552|RCPT -> soft/mailbox_full"}},
		{"Exchange 2003", exchange2003Mail, []string{
			"bob@example.com|5.1.1|550| -> hard/user_unknown", "cat@example.org|5.2.2|552| -> soft/mailbox_full"}},
		{"Exchange 2007", exchange2007Mail, []string{"eli@example.com|5.1.1|550| -> hard/user_unknown"}},
		{"Exchange 2010", exchange2010Mail, []string{"dan@example.com|5.1.1|550| -> hard/user_unknown"}},
		{"Exchange Online expired on a full mailbox", exchangeExpiredMail, []string{"fay@example.net|4.2.2|452| -> soft/mailbox_full"}},
		{"Courier", courierMail, []string{"gil@example.net|5.1.1|550|RCPT -> hard/user_unknown", "hoa@example.org|5.7.1|554|DATA -> soft/spam_detected"}},
		{"OpenSMTPD", openSMTPDMail, []string{"ida@example.com|5.2.2|550| -> soft/mailbox_full", "jon@example.org|5.1.1|550| -> hard/user_unknown"}},
		{"Domino", dominoMail, []string{"kai@example.com|5.1.1|550| -> hard/user_unknown"}},
		{"Sendmail expired on a full mailbox", sendmailExpiredMail, []string{"lou@example.org|4.2.2|452|RCPT -> soft/mailbox_full"}},
		{"Sendmail expired on a busy server", sendmailExpiredBusyMail, []string{"max@example.org|4.7.0|421|CONN -> soft/too_many_connections"}},
		{"Exim's retry timeout after a busy server", eximExpiredMail, []string{"ned@example.com|4.7.0|421|CONN -> soft/too_many_connections"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := mustParse(t, tt.mail)
			var got []string
			for _, e := range r.Events(email.EventOptions{MaxRaw: -1}) {
				rc := r.Recipients[len(got)]
				v := set.Classify(e)
				got = append(got, strings.Join([]string{rc.Address, rc.Status, itoa(rc.ReplyCode), rc.Command}, "|")+" -> "+string(v.Outcome)+"/"+string(v.Reason))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
		})
	}
}
