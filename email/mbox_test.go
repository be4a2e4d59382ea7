package email_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/email"
)

func TestSplitMbox(t *testing.T) {
	t.Parallel()
	const (
		sep1 = "From MAILER-DAEMON  Thu Apr 29 23:34:45 2015\n"
		sep2 = "From bounce@mx.example.net Mon Nov  2 10:00:00 2026 +0000\n"
		m1   = "From: a@example.net\nSubject: one\n\nbody one\n"
		m2   = "From: b@example.net\nSubject: two\n\nbody two\n"
	)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"one mail, no separator", m1, []string{m1}},
		{"one mail in mbox form", sep1 + m1, []string{sep1 + m1}},
		{"two mails", sep1 + m1 + "\n" + sep2 + m2, []string{sep1 + m1, sep2 + m2}},
		{"CRLF line ends", "From - Thu Apr 29 23:34:45 2015\r\nFrom: a@example.net\r\n\r\nx\r\n\r\nFrom - Thu Apr 29 23:34:46 2015\r\nFrom: b@example.net\r\n\r\ny\r\n",
			[]string{"From - Thu Apr 29 23:34:45 2015\r\nFrom: a@example.net\r\n\r\nx\r\n", "From - Thu Apr 29 23:34:46 2015\r\nFrom: b@example.net\r\n\r\ny\r\n"}},
		// A body sentence that starts with "From " is no separator: no
		// date after the word that would be the sender.
		{"From in a body", sep1 + "From: a@example.net\n\nhello\n\nFrom here on, all is well.\n", []string{sep1 + "From: a@example.net\n\nhello\n\nFrom here on, all is well.\n"}},
		// RFC 4155: a separator follows a blank line.
		{"separator without a blank line", sep1 + m1 + sep2 + m2, []string{sep1 + m1 + sep2 + m2}},
		// A file that does not start as an mbox is one mail, whatever
		// its body quotes.
		{"not an mbox", m1 + "\n" + sep2 + m2, []string{m1 + "\n" + sep2 + m2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, m := range email.SplitMbox([]byte(tt.in)) {
				got = append(got, string(m))
				if cap(m) != len(m) && len(got) < len(tt.want) {
					t.Errorf("message %d has capacity %d beyond its %d bytes: an append would write into the next", len(got), cap(m), len(m))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SplitMbox (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSplitMboxParse checks that each mail of an mbox parses on its own:
// Parse skips the separator line.
func TestSplitMboxParse(t *testing.T) {
	t.Parallel()
	raw := []byte("From MAILER-DAEMON Thu Apr 29 23:34:45 2015\n" + dsnMail + "\nFrom MAILER-DAEMON Thu Apr 29 23:34:46 2015\n" + qmailMail)
	msgs := email.SplitMbox(raw)
	if len(msgs) != 2 {
		t.Fatalf("%d mails, want 2", len(msgs))
	}
	var got []string
	for _, m := range msgs {
		r, err := email.Parse(m)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		for _, rc := range r.Recipients {
			got = append(got, rc.Address)
		}
	}
	want := []string{"ann@example.com", "bob@example.org", "carol@example.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recipients (-want +got):\n%s", diff)
	}
}
