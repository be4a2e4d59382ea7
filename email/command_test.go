package email_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/configs"
	"github.com/rebond/rebond/email"
)

// notGatewayMail is gatewayMail without the gateway's own header field (and
// from another host): the same words, but a relay's mail, not a
// gateway's.
var notGatewayMail = strings.NewReplacer(
	"X-NAI-Header: Modified by McAfee Email Gateway\n", "",
	"Remote-MTA: 192.0.2.9\n", "",
	"MAILER-DAEMON@gw.example.net", "MAILER-DAEMON@mx.example.net",
).Replace(gatewayMail)

// Synthetic bounces for the SMTP command a report names (or implies) and
// for the words a transcript adds to a recipient's diagnostic. Addresses
// and hosts use the example domains of RFC 2606.
const (
	// A content-filter gateway's report (McAfee's layout): no command
	// named, so the refusal answers the end of DATA.
	gatewayMail = `From: <MAILER-DAEMON@gw.example.net>
To: <sender@sender.example>
Subject: Delivery Status
Date: Tue, 03 Nov 2026 08:00:00 +0100
X-NAI-Header: Modified by McAfee Email Gateway
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="G1"

--G1
Content-Type: text/plain

    --- The following addresses had delivery problems ---

<gina@example.com>   (No such user)

--G1
Content-Type: message/delivery-status

Original-Recipient: <gina@example.com>
Action: failed
Diagnostic-Code: smtp; 550 gina@example.com... No such user
Remote-MTA: 192.0.2.9

--G1--
`
	// Sendmail's DSN quotes a reply whose address is not in it; the
	// transcript shows it answered DATA.
	sendmailDataMail = `From: Mail Delivery Subsystem <MAILER-DAEMON@mx.sender.example>
To: <sender@sender.example>
Subject: Returned mail: see transcript for details
Date: Tue, 03 Nov 2026 08:00:00 +0100
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="S1"

--S1

   ----- The following addresses had permanent fatal errors -----
<hana@example.jp>
    (reason: 550 : User unknown)

   ----- Transcript of session follows -----
... while talking to mx.example.jp.:
>>> DATA
<<< 550 : User unknown
554 5.0.0 Service unavailable

--S1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.example

Final-Recipient: RFC822; hana@example.jp
Action: failed
Status: 5.0.0
Diagnostic-Code: SMTP; 550 : User unknown

--S1--
`
	// An old Sendmail without a DSN part: the remote's reply to MAIL
	// FROM names nobody, and the summary line that follows is the
	// recipient's.
	sendmailMailFromMail = `From: Mail Delivery Subsystem <MAILER-DAEMON@mx.sender.example>
To: sender@sender.example
Subject: Returned mail: Remote protocol error
Date: Tue, 03 Nov 2026 08:00:00 +0100

   ----- Transcript of session follows -----
While talking to mx.example.edu:
>>> MAIL From:<sender@sender.example>
<<< 550 Insecure Mail Relay
554 <ivan@example.edu>... Remote protocol error
While talking to mx.example.org:
>>> RCPT To:<judy@example.org>
<<< 550 <judy@example.org>... User unknown
550 <judy@example.org>... User unknown

   ----- Unsent message follows -----
From: sender@sender.example
To: ivan@example.edu, judy@example.org
Subject: hi

hi
`
	// A local delivery program's words in Sendmail's transcript, for a
	// recipient the report gives no reason for.
	mailLocalMail = `From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>
To: <sender@sender.example>
Subject: Returned mail: Service unavailable
Date: Tue, 03 Nov 2026 08:00:00 +0100

   ----- The following addresses had permanent fatal errors -----
<kim@example.net>

   ----- Transcript of session follows -----
mail.local: unknown user: kim
554 <kim@example.net>... Service unavailable
`
	// Postfix folds a long reply; the continuation repeats the address
	// and ends with the command.
	postfixFoldedMail = `From: MAILER-DAEMON@mx.sender.example (Mail Delivery System)
To: sender@sender.example
Subject: Undelivered Mail Returned to Sender
Date: Tue, 03 Nov 2026 08:00:00 +0100
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="P1"

--P1
Content-Type: text/plain

This is the mail system at host mx.sender.example.

<lea@example.co.jp>: host mx.example.co.jp[192.0.2.153] said: 550
    5.2.1 <lea@example.co.jp>... User Unknown (in reply to RCPT TO
    command)

--P1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.example

Final-Recipient: rfc822; lea@example.co.jp
Action: failed
Status: 5.2.1
Diagnostic-Code: smtp; 550 5.2.1 <lea@example.co.jp>... User Unknown

--P1--
`
	// Sendmail's transcript of two sessions: a refusal of RCPT TO, then a
	// server that refuses the greeting; no command was sent in the second
	// session, so its reply answered the connection.
	sendmailGreetingMail = `From: Mail Delivery Subsystem <MAILER-DAEMON@mx.sender.example>
To: <sender@sender.example>
Subject: Returned mail: see transcript for details
Date: Tue, 03 Nov 2026 08:00:00 +0100
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="C1"

--C1

   ----- The following addresses had permanent fatal errors -----
<nina@example.com>
    (reason: 550 5.1.1 <nina@example.com>... User unknown)
<omar@example.org>
    (reason: 554 mx.example.org ESMTP no service for 192.0.2.1)

   ----- Transcript of session follows -----
... while talking to mx.example.com.:
>>> RCPT To:<nina@example.com>
<<< 550 5.1.1 <nina@example.com>... User unknown
... while talking to mx.example.org.:
<<< 554 mx.example.org ESMTP no service for 192.0.2.1
554 5.0.0 Service unavailable

--C1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.example

Final-Recipient: RFC822; nina@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: SMTP; 550 5.1.1 <nina@example.com>... User unknown

Final-Recipient: RFC822; omar@example.org
Action: failed
Status: 5.0.0
Diagnostic-Code: SMTP; 554 mx.example.org ESMTP no service for 192.0.2.1

--C1--
`
	// Postfix's words for a server whose greeting refused it.
	postfixGreetingMail = `From: MAILER-DAEMON@mx.sender.example (Mail Delivery System)
To: sender@sender.example
Subject: Undelivered Mail Returned to Sender
Date: Tue, 03 Nov 2026 08:00:00 +0100

This is the mail system at host mx.sender.example.

<pia@example.net>: host mx.example.net[192.0.2.9] refused to talk to me: 554
    5.7.1 Go away
`
	// qmail-remote's sentence for a refusal after the message was sent.
	qmailDataMail = `From: MAILER-DAEMON@mail.example.net
To: sender@sender.example
Subject: failure notice
Date: Tue, 03 Nov 2026 08:00:00 +0100

Hi. This is the qmail-send program at mail.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<mia@example.com>:
192.0.2.7 failed after I sent the message.
Remote host said: 554 5.7.1 Message rejected as spam
`
)

// TestCommand checks the SMTP command each report names or implies, and
// the diagnostic the rules read (with the command in Postfix's words).
func TestCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, mail string
		want       []string // address|command|event text
	}{
		{"content-filter gateway: after DATA", gatewayMail, []string{
			"gina@example.com|DATA|550 gina@example.com... No such user (in reply to end of DATA command)"}},
		{"same words, no gateway: no command", notGatewayMail, []string{
			"gina@example.com||550 gina@example.com... No such user"}},
		{"transcript reply without the address", sendmailDataMail, []string{
			"hana@example.jp|DATA|550 : User unknown (in reply to end of DATA command)"}},
		{"remote reply before the summary line", sendmailMailFromMail, []string{
			"ivan@example.edu|MAIL|550 Insecure Mail Relay 554 <ivan@example.edu>... Remote protocol error (in reply to MAIL FROM command)",
			"judy@example.org|RCPT|>>> RCPT To:<judy@example.org> <<< 550 <judy@example.org>... User unknown 550 <judy@example.org>... User unknown"}},
		{"local delivery program's words", mailLocalMail, []string{
			"kim@example.net||<kim@example.net> mail.local: unknown user: kim 554 <kim@example.net>... Service unavailable"}},
		{"folded Postfix reply", postfixFoldedMail, []string{
			"lea@example.co.jp|RCPT|550 5.2.1 <lea@example.co.jp>... User Unknown (in reply to RCPT TO command)"}},
		{"qmail-remote after the message", qmailDataMail, []string{
			"mia@example.com|DATA|<mia@example.com>: 192.0.2.7 failed after I sent the message. Remote host said: 554 5.7.1 Message rejected as spam"}},
		{"a new session's reply before any command", sendmailGreetingMail, []string{
			"nina@example.com|RCPT|550 5.1.1 <nina@example.com>... User unknown (in reply to RCPT TO command)",
			"omar@example.org|CONN|554 mx.example.org ESMTP no service for 192.0.2.1 (in reply to initial greeting command)"}},
		{"Postfix refused to talk to me", postfixGreetingMail, []string{
			"pia@example.net|CONN|<pia@example.net>: host mx.example.net[192.0.2.9] refused to talk to me: 554 5.7.1 Go away"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := email.Parse([]byte(tt.mail))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			evs := r.Events(email.EventOptions{MaxRaw: -1})
			if len(evs) != len(r.Recipients) {
				t.Fatalf("%d events for %d recipients", len(evs), len(r.Recipients))
			}
			var got []string
			for i, rc := range r.Recipients {
				got = append(got, rc.Address+"|"+rc.Command+"|"+evs[i].SMTP.Text)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCommandVerdicts classifies the samples above with the shipped rules:
// the command decides between a missing mailbox (RCPT TO) and a filter's
// refusal (end of DATA); without one, a generic "no such user" under 5.0.0
// is unconfirmed (soft filtered), unless the words are the final host's
// local delivery program's.
func TestCommandVerdicts(t *testing.T) {
	t.Parallel()
	set, err := rules.Load(configs.Files, "rules/*.yaml")
	if err != nil {
		t.Fatalf("load rules: %v", err)
	}
	tests := []struct {
		name, mail string
		want       []string // outcome reason rule
	}{
		{"gateway", gatewayMail, []string{"soft filtered email.text.filtered.after_data@2"}},
		{"no gateway", notGatewayMail, []string{"soft filtered email.text.filtered.unconfirmed@1"}},
		{"after DATA", sendmailDataMail, []string{"soft filtered email.text.filtered.after_data@2"}},
		{"MAIL FROM, then RCPT TO", sendmailMailFromMail, []string{"soft no_relaying email.text.no_relaying.words@2", "hard user_unknown email.text.user_unknown.rcpt@2"}},
		{"local delivery program", mailLocalMail, []string{"hard user_unknown email.text.user_unknown@1"}},
		{"X.2.1 in reply to RCPT TO", postfixFoldedMail, []string{"hard user_unknown email.text.user_unknown.status_5.2.1@1"}},
		{"spam after the message", qmailDataMail, []string{"soft spam_detected email.text.spam_detected@1"}},
		{"RCPT TO, then a refused greeting", sendmailGreetingMail, []string{"hard user_unknown email.status.5.1.1@2", "soft blocked email.command.greeting@1"}},
		{"refused to talk to me", postfixGreetingMail, []string{"soft blocked email.text.blocked.connection@1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := email.Parse([]byte(tt.mail))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var got []string
			for _, e := range r.Events(email.EventOptions{MaxRaw: -1}) {
				v := set.Classify(e)
				got = append(got, string(v.Outcome)+" "+string(v.Reason)+" "+v.Rule)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
		})
	}
}
