package email_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rebond/rebond/email"
)

// FuzzParse feeds Parse arbitrary bytes: it must never panic, and what it
// returns must hold together (recipients bounded, events normalized).
// Seeds: testdata/fuzz/FuzzParse and the synthetic samples of parse_test.go,
// command_test.go, delay_test.go and embedded_test.go.
func FuzzParse(f *testing.F) {
	for _, m := range []string{dsnMail, qmailMail, eximMail, arfMail, autoReplyMail, personMail,
		gatewayMail, notGatewayMail, sendmailDataMail, sendmailMailFromMail, mailLocalMail, postfixFoldedMail, qmailDataMail, sendmailGreetingMail, postfixGreetingMail,
		fmlMail, mailmanHeldMail, googleGroupsMail, sesComplaintMail, sesDeliveryMail, sesBounceMail,
		postfixDelayMail, postfixDelayTextMail, eximDelayMail, sendmailDelayMail, sendmailDelayTextMail, exchangeDelayMail, openSMTPDDelayMail, openSMTPDExpiredMail, sendmailDelayBareMail,
		qmailTwoMail, exchange2003Mail, exchange2007Mail, exchange2010Mail, exchangeExpiredMail, courierMail, openSMTPDMail, dominoMail, sendmailExpiredMail, sendmailExpiredBusyMail, eximExpiredMail,
		strings.ReplaceAll(dsnMail, "\n", "\r"), "From: a@b.example\n\n", "Content-Type: multipart/report; boundary=\"\"\n\n--\n"} {
		f.Add([]byte(m))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := email.Parse(raw)
		if err != nil {
			if r != nil {
				t.Fatalf("Parse returned a report and an error %v", err)
			}
			return
		}
		if len(r.Recipients) > email.MaxRecipients {
			t.Fatalf("%d recipients, more than %d", len(r.Recipients), email.MaxRecipients)
		}
		for _, rc := range r.Recipients {
			if len(rc.Diagnostic) > email.MaxDiagnostic+utf8.UTFMax {
				t.Fatalf("diagnostic of %d bytes", len(rc.Diagnostic))
			}
		}
		if r.Kind == email.KindNone && r.Why == "" {
			t.Fatal("KindNone without Why")
		}
		// Events normalizes what it returns (channels.Event.Normalize);
		// a second Normalize is not checked: channels.NormalizeRecipient
		// returns "a..b@example.com" for "\"a..b\"@example.com", which
		// it then refuses (reported to the channels owners).
		for _, e := range r.Events(email.EventOptions{MaxRaw: 64}) {
			if e.Schema != 1 || e.ID == "" || e.Recipient == "" || !e.Type.Valid() || e.OccurredAt.IsZero() || len(e.Raw) > 64 {
				t.Fatalf("event not normalized: %+v", e)
			}
		}
		// No input can forge a key it does not know: under Verify, every
		// event of a mail signed by no one is unverified.
		key := []byte("fuzz-key-nobody-knows")
		opts := email.EventOptions{MaxRaw: -1, Verify: true, VERP: email.VERP{Secret: key}, Signature: email.Signature{Secret: key}}
		for _, e := range r.Events(opts) {
			if !e.Unverified {
				t.Fatalf("event verified without the key: %+v", e)
			}
		}
	})
}

// FuzzParseReply feeds ParseReply arbitrary text: never a panic, and a
// reply it accepts has a valid code and a status of the code's class.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"550 5.1.1 <a@b>: user unknown", "550-5.7.1 a\r\n550 5.7.1 b", "421", "250 2.0.0 ok", "5", "550-", "550 5.", "999 x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := email.ParseReply(s)
		if err != nil {
			return
		}
		if r.Code < 200 || r.Code > 559 {
			t.Fatalf("code %d accepted", r.Code)
		}
		if r.Status != "" && r.Status[0] != byte('0'+r.Code/100) {
			t.Fatalf("status %s under code %d", r.Status, r.Code)
		}
	})
}

// FuzzSplitMbox feeds SplitMbox arbitrary bytes: never a panic, the mails
// are in order and cover the input but for one blank line between two,
// and every mail after the first starts with a separator line.
func FuzzSplitMbox(f *testing.F) {
	for _, s := range []string{"", "From: a@b.example\n\nx\n", "From - Thu Apr 29 23:34:45 2015\nFrom: a@b.example\n\nx\n\nFrom - Thu Apr 29 23:34:45 2015\nSubject: y\n\n", "From x 1:2 2015\n\n\nFrom y 1:2 2015\r\n\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		msgs := email.SplitMbox(raw)
		if len(msgs) == 0 {
			if len(raw) > 0 {
				t.Fatalf("no mail in %d bytes", len(raw))
			}
			return
		}
		n := 0
		for i, m := range msgs {
			n += len(m)
			if i > 0 && !strings.HasPrefix(string(m), "From ") {
				t.Fatalf("mail %d starts with %q", i, m[:min(len(m), 10)])
			}
		}
		if gap := len(raw) - n; gap < len(msgs)-1 || gap > 2*(len(msgs)-1) {
			t.Fatalf("%d mails cover %d of %d bytes", len(msgs), n, len(raw))
		}
	})
}
