package email_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/email"
)

func TestParseReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reply string
		want  channels.SMTPReply
	}{
		{"postfix rcpt", "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
			channels.SMTPReply{Code: 550, Status: "5.1.1", Text: "<a@example.com>: Recipient address rejected: User unknown in virtual mailbox table"}},
		{"no enhanced status", "550 No such user here", channels.SMTPReply{Code: 550, Text: "No such user here"}},
		{"code alone", "421", channels.SMTPReply{Code: 421}},
		{"multi-line CRLF", "550-5.7.1 [192.0.2.1] Our system has detected that this message is\r\n550-5.7.1 likely unsolicited mail.\r\n550 5.7.1 https://support.google.com/mail/answer/188131 - gsmtp",
			channels.SMTPReply{Code: 550, Status: "5.7.1", Text: "[192.0.2.1] Our system has detected that this message is likely unsolicited mail. https://support.google.com/mail/answer/188131 - gsmtp"}},
		{"multi-line LF without status", "452-Too many\n452 recipients", channels.SMTPReply{Code: 452, Text: "Too many recipients"}},
		{"status of another class stays text", "250 5.1.1 odd", channels.SMTPReply{Code: 250, Text: "5.1.1 odd"}},
		{"three-digit detail", "550 5.7.26 Unauthenticated email", channels.SMTPReply{Code: 550, Status: "5.7.26", Text: "Unauthenticated email"}},
		{"surrounding space", "  451 4.3.0 try later \r\n", channels.SMTPReply{Code: 451, Status: "4.3.0", Text: "try later"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := email.ParseReply(tt.reply)
			if err != nil {
				t.Fatalf("ParseReply(%q): %v", tt.reply, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseReply(%q) (-want +got):\n%s", tt.reply, diff)
			}
		})
	}
}

func TestParseReplyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, reply, want string
	}{
		{"empty", " \r\n", "empty"},
		{"no code", "User unknown", "does not start with a reply code"},
		{"code out of range", "650 nope", "does not start with a reply code"},
		{"second digit out of range", "590 nope", "does not start with a reply code"},
		{"glued text", "550User unknown", "does not start with a reply code"},
		{"codes differ", "550-5.1.1 a\r\n450 4.1.1 b", "code 450 after 550"},
		{"too long", "550 " + strings.Repeat("x", email.MaxReplyLen), "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := email.ParseReply(tt.reply)
			if err == nil || !errors.Is(err, channels.ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseReply: error %v, want one wrapping ErrMalformed saying %q", err, tt.want)
			}
		})
	}
}
