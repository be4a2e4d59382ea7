package email_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/email"
)

// Synthetic samples of the shapes Parse reads; real ones are in
// testdata/corpus (see corpus_test.go and golden_test.go).
const (
	dsnMail = `Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: bounces@sender.example
Subject: Undelivered Mail Returned to Sender
Date: Mon, 02 Nov 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain

<ann@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1
    <ann@example.com>: Recipient address rejected: User unknown (in reply to
    RCPT TO command)

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Mon, 02 Nov 2026 09:59:00 +0000

Final-Recipient: rfc822; ann@example.com
Original-Recipient: rfc822;ann@example.com
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 550 5.1.1 <ann@example.com>: Recipient address
    rejected: User unknown
Last-Attempt-Date: Mon, 02 Nov 2026 09:59:30 +0000

Final-Recipient: rfc822; bob@example.org
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full

--B1
Content-Type: text/rfc822-headers

From: sender@sender.example
To: ann@example.com
Subject: Spring sale
Message-ID: <m-123@sender.example>
X-Rebond-Message-ID: msg-42
X-Rebond-Campaign: spring

--B1--
`
	qmailMail = `From: MAILER-DAEMON@mail.example.net
To: sender@sender.example
Subject: failure notice
Date: Tue, 03 Nov 2026 08:00:00 +0100

Hi. This is the qmail-send program at mail.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<carol@example.com>:
192.0.2.7 does not like recipient.
Remote host said: 550 5.2.2 <carol@example.com>: mailbox is full
Giving up on 192.0.2.7.

--- Below this line is a copy of the message.

Return-Path: <sender@sender.example>
From: sender@sender.example
To: carol@example.com
Message-ID: <q-1@sender.example>
Subject: hi

hello
`
	eximMail = `From: Mail Delivery System <Mailer-Daemon@exim.example.net>
To: sender@sender.example
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: dave@example.com
Date: Tue, 03 Nov 2026 08:00:00 +0000

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  dave@example.com
    host mx.example.com [192.0.2.9]
    SMTP error from remote mail server after RCPT TO:<dave@example.com>:
    550 5.1.1 No such user here

------ This is a copy of the message, including all the headers. ------

From: sender@sender.example
To: dave@example.com
Message-ID: <e-1@sender.example>
`
	arfMail = `From: feedback@fbl.example.net
To: abuse@sender.example
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: FBL/1.0
Version: 1
Original-Rcpt-To: erin@example.com
Arrival-Date: Wed, 04 Nov 2026 12:00:00 +0000
Source-IP: 192.0.2.44

--F
Content-Type: message/rfc822

From: sender@sender.example
To: erin@example.com
Message-ID: <f-1@sender.example>
X-Rebond-Campaign: autumn

hello
--F--
`
	autoReplyMail = `From: Frank <frank@example.com>
To: sender@sender.example
Subject: Out of Office: Spring sale
Auto-Submitted: auto-replied
Date: Thu, 05 Nov 2026 07:00:00 +0000

I am away until Monday.
`
	personMail = `From: Grace <grace@example.com>
To: sender@sender.example
Subject: Lunch?
Date: Thu, 05 Nov 2026 07:00:00 +0000

Are you free for lunch with hank@example.org?
`
)

// brief renders what a report says of each recipient on one line.
func brief(r *email.Report) []string {
	var out []string
	for _, rc := range r.Recipients {
		out = append(out, strings.Join([]string{rc.Address, rc.Action, rc.Status, itoa(rc.ReplyCode), rc.Command}, "|"))
	}
	return out
}

// itoa formats a reply code, "-" for none.
func itoa(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		mail       string
		kind       email.Kind
		format     string
		recipients []string // address|action|status|code|command
		messageID  string
	}{
		{"rfc3464 dsn", dsnMail, email.KindDSN, "rfc3464",
			[]string{"ann@example.com|failed|5.1.1|550|RCPT", "bob@example.org|delayed|4.2.2|452|"}, "m-123@sender.example"},
		{"rfc3464 dsn, CRLF", strings.ReplaceAll(dsnMail, "\n", "\r\n"), email.KindDSN, "rfc3464",
			[]string{"ann@example.com|failed|5.1.1|550|RCPT", "bob@example.org|delayed|4.2.2|452|"}, "m-123@sender.example"},
		{"rfc3464 dsn, CR", strings.ReplaceAll(dsnMail, "\n", "\r"), email.KindDSN, "rfc3464",
			[]string{"ann@example.com|failed|5.1.1|550|RCPT", "bob@example.org|delayed|4.2.2|452|"}, "m-123@sender.example"},
		{"qmail", qmailMail, email.KindDSN, "qmail", []string{"carol@example.com|failed|5.2.2|550|RCPT"}, "q-1@sender.example"},
		{"exim", eximMail, email.KindDSN, "exim", []string{"dave@example.com|failed|5.1.1|550|RCPT"}, "e-1@sender.example"},
		{"arf", arfMail, email.KindFeedback, "arf", []string{"erin@example.com|||-|"}, "f-1@sender.example"},
		{"auto reply", autoReplyMail, email.KindAutoReply, "rfc3834", []string{"frank@example.com|||-|"}, ""},
		{"a person's mail", personMail, email.KindNone, "none", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := email.Parse([]byte(tt.mail))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if r.Kind != tt.kind || r.Format != tt.format {
				t.Errorf("kind %s, format %s; want %s, %s (why: %s)", r.Kind, r.Format, tt.kind, tt.format, r.Why)
			}
			if diff := cmp.Diff(tt.recipients, brief(r)); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
			if r.Original.MessageID != tt.messageID {
				t.Errorf("original Message-ID %q, want %q", r.Original.MessageID, tt.messageID)
			}
			if tt.kind == email.KindNone && r.Why == "" {
				t.Error("KindNone without a reason in Why")
			}
		})
	}
}

func TestParseDetails(t *testing.T) {
	t.Parallel()
	r, err := email.Parse([]byte(dsnMail))
	if err != nil {
		t.Fatal(err)
	}
	ann := r.Recipients[0]
	if want := "550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown"; ann.Diagnostic != want {
		t.Errorf("diagnostic %q, want the unfolded Diagnostic-Code %q", ann.Diagnostic, want)
	}
	if ann.DiagnosticType != "smtp" || ann.RemoteMTA != "mx.example.com" || ann.OriginalRecipient != "ann@example.com" {
		t.Errorf("type %q, remote MTA %q, original recipient %q", ann.DiagnosticType, ann.RemoteMTA, ann.OriginalRecipient)
	}
	if got := ann.LastAttempt.Format("15:04:05"); got != "09:59:30" {
		t.Errorf("last attempt %s, want 09:59:30", got)
	}
	if r.ReportingMTA != "mx.example.net" || r.ArrivalDate.IsZero() {
		t.Errorf("reporting MTA %q, arrival %v", r.ReportingMTA, r.ArrivalDate)
	}
	if o := r.Original; o.RebondMessageID != "msg-42" || o.Campaign != "spring" || o.Subject != "Spring sale" {
		t.Errorf("original %+v: want X-Rebond-Message-ID msg-42, campaign spring", o)
	}
	f, err := email.Parse([]byte(arfMail))
	if err != nil {
		t.Fatal(err)
	}
	if f.FeedbackType != "abuse" || f.UserAgent != "FBL/1.0" || f.SourceIP != "192.0.2.44" || f.Original.Campaign != "autumn" {
		t.Errorf("feedback %q, agent %q, ip %q, campaign %q", f.FeedbackType, f.UserAgent, f.SourceIP, f.Original.Campaign)
	}
}

// TestParseCopies checks that Parse's report does not share the caller's
// buffer, and that ParseOwned gives the same report without the copy.
func TestParseCopies(t *testing.T) {
	t.Parallel()
	raw := []byte(dsnMail)
	r, err := email.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	owned, err := email.ParseOwned([]byte(dsnMail))
	if err != nil {
		t.Fatal(err)
	}
	want := r.Recipients[0]
	for i := range raw {
		raw[i] = 'x' // a caller reusing its buffer
	}
	if got := r.Recipients[0]; got.Address != "ann@example.com" || got.Diagnostic != want.Diagnostic || !strings.Contains(got.Diagnostic, "User unknown") {
		t.Errorf("after the caller's buffer changed, recipient %q, diagnostic %q", got.Address, got.Diagnostic)
	}
	if diff := cmp.Diff(r, owned, cmp.AllowUnexported(email.Report{})); diff != "" {
		t.Errorf("ParseOwned differs from Parse (-Parse +ParseOwned):\n%s", diff)
	}
}

func TestParseCharsets(t *testing.T) {
	t.Parallel()
	head := "From: MAILER-DAEMON@example.net\nTo: s@sender.example\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
	tests := []struct {
		name, mail, want string
	}{
		{"unknown charset keeps the bytes", head + "Content-Type: text/plain; charset=x-no-such-charset\n\n<a@example.com>: 550 5.1.1 user unknown\n", "550 5.1.1 user unknown"},
		{"quoted-printable", head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n<a@example.com>: 550 5.1.1 user =\nunknown =C3=A9t=C3=A9\n", "user unknown été"},
		{"base64", head + "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nPGFAZXhhbXBsZS5jb20+OiA1NTAgNS4xLjEgdXNlciB1bmtub3duCg==\n", "550 5.1.1 user unknown"},
		{"broken base64 keeps what decodes", head + "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nPGFAZXhhbXBsZS5jb20+OiA1NTAgNS4xLjEgdXNlciB1bmtub3duCg==!!!\n", "550 5.1.1 user unknown"},
		{"iso-2022-jp", head + "Content-Type: text/plain; charset=iso-2022-jp\n\n<a@example.com>: 550 5.2.2 \x1b$B%a!<%k%\\%C%/%9$,0lGU$G$9\x1b(B\n", "メールボックスが一杯です"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := email.Parse([]byte(tt.mail))
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Recipients) != 1 || r.Recipients[0].Address != "a@example.com" || !strings.Contains(r.Recipients[0].Diagnostic, tt.want) {
				t.Errorf("recipients %+v: want a@example.com with a diagnostic holding %q", r.Recipients, tt.want)
			}
		})
	}
}

func TestParseNotMail(t *testing.T) {
	t.Parallel()
	for name, in := range map[string][]byte{
		"empty":     nil,
		"blank":     []byte("\r\n\r\n"),
		"no fields": []byte("hello world\nthis is text\n"),
		"too big":   append([]byte("From: a@example.com\n\n"), make([]byte, email.MaxMailSize)...),
	} {
		if r, err := email.Parse(in); !errors.Is(err, email.ErrNotMail) {
			t.Errorf("%s: Parse = %v, %v; want ErrNotMail", name, r, err)
		}
	}
}

// TestParseBounds checks that a mail far over the part and recipient
// limits is read within them.
func TestParseBounds(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("From: MAILER-DAEMON@example.net\nSubject: Returned mail\nContent-Type: multipart/report; boundary=X\n\n")
	for i := range 3 * email.MaxParts {
		b.WriteString("--X\nContent-Type: message/delivery-status\n\n")
		for j := range 10 {
			b.WriteString("Final-Recipient: rfc822; u" + itoa(100+i) + "-" + itoa(100+j) + "@example.com\nAction: failed\nStatus: 5.1.1\n\n")
		}
	}
	r, err := email.Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Recipients); n == 0 || n > email.MaxRecipients {
		t.Errorf("%d recipients, want 1 to %d", n, email.MaxRecipients)
	}
}
