package esp

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

func TestParseDiagnostic(t *testing.T) {
	t.Parallel()
	type out struct {
		Code   int
		Status string
		Text   string
	}
	tests := []struct {
		name string
		in   string
		want out
	}{
		{"RFC 3464 smtp diagnostic", "smtp; 550 5.1.1 <jane@example.com>... User", out{550, "5.1.1", "<jane@example.com>... User"}},
		{"no space after type", "smtp;550 5.1.1 The email account does not exist", out{550, "5.1.1", "The email account does not exist"}},
		{"other diagnostic type", "X-Postfix; host mx.example.com said: 550 no", out{0, "", "host mx.example.com said: 550 no"}},
		{"continued reply", "552-5.2.2 Mailbox full", out{552, "5.2.2", "Mailbox full"}},
		{"colon after code", "550: 5.1.1 No such user", out{550, "5.1.1", "No such user"}},
		{"hash status", "550 #5.1.0 Address rejected", out{550, "5.1.0", "Address rejected"}},
		{"code only", "500 unknown recipient", out{500, "", "unknown recipient"}},
		{"status only", "4.2.2 The email account is over quota.", out{0, "4.2.2", "The email account is over quota."}},
		{"success", "250 ok:  Message 64111812 accepted", out{250, "", "ok:  Message 64111812 accepted"}},
		{"three-digit detail", "550 5.7.510 Access denied", out{550, "5.7.510", "Access denied"}},
		{"not a reply code", "000 Example Remote MTA Bounce Message", out{0, "", "000 Example Remote MTA Bounce Message"}},
		{"code glued to text", "550User unknown", out{0, "", "550User unknown"}},
		{"status glued to text", "550 5.1.1<a@b>", out{550, "", "5.1.1<a@b>"}},
		{"code alone", "421", out{421, "", ""}},
		{"plain text", "Amazon SES did not send the message", out{0, "", "Amazon SES did not send the message"}},
		{"a semicolon later is not a type", "550 5.1.1 <a@b>; user unknown", out{550, "5.1.1", "<a@b>; user unknown"}},
		{"empty", "  ", out{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, s, x := parseDiagnostic(tt.in)
			if diff := cmp.Diff(tt.want, out{c, s, x}); diff != "" {
				t.Errorf("parseDiagnostic(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		n    note
		want *channels.SMTPReply
	}{
		{"nothing", note{}, nil},
		{"tag only", note{tag: "dropped Bounced Address"}, &channels.SMTPReply{Text: "[x dropped Bounced Address]"}},
		{"blank tag is no tag", note{tag: "  ", diag: "250 OK"}, &channels.SMTPReply{Code: 250, Text: "OK"}},
		{"status field wins", note{status: "5.1.1", diag: "smtp; 550 5.0.0 no"}, &channels.SMTPReply{Code: 550, Status: "5.1.1", Text: "no"}},
		{"bad status field ignored", note{status: "5.0", diag: "550 5.0.0 no"}, &channels.SMTPReply{Code: 550, Status: "5.0.0", Text: "no"}},
		{"code field wins", note{code: 554, diag: "550 no"}, &channels.SMTPReply{Code: 554, Text: "no"}},
		{"provider code is not an SMTP code", note{code: 605, diag: "Not delivering"}, &channels.SMTPReply{Text: "Not delivering"}},
		{"tag and diagnostic", note{tag: "bounce Permanent/General", diag: "smtp; 550 5.1.1 user"}, &channels.SMTPReply{Code: 550, Status: "5.1.1", Text: "[x bounce Permanent/General] user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, reply("x", tt.n)); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("long text is cut on a rune boundary", func(t *testing.T) {
		t.Parallel()
		r := reply("x", note{diag: strings.Repeat("é", maxTextLen)})
		if len(r.Text) > maxTextLen || !strings.HasSuffix(r.Text, "é") {
			t.Errorf("text of %d bytes ends %q", len(r.Text), r.Text[len(r.Text)-4:])
		}
	})
}

func TestEventID(t *testing.T) {
	t.Parallel()
	a := EventID("ses", "feedback-1", "a@example.com")
	if a != EventID("ses", "feedback-1", "a@example.com") {
		t.Fatal("EventID is not deterministic")
	}
	if len(a) != 3+32 || !strings.HasPrefix(a, "ev_") {
		t.Errorf("EventID = %q, want ev_ and 32 hex digits", a)
	}
	for _, other := range []string{
		EventID("ses", "feedback-1", "b@example.com"),
		EventID("ses", "feedback-2", "a@example.com"),
		EventID("sendgrid", "feedback-1", "a@example.com"),
		EventID("ses", "feedback-1|a@example.com", ""),
	} {
		if other == a {
			t.Errorf("EventID collides: %s", a)
		}
	}
}

func TestParseUnix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64 // Unix nanoseconds; -1 for an error
	}{
		{"1521233123", 1521233123e9},
		{"1521233123.501324", 1521233123501324000},
		{"1521233123.5", 1521233123500000000},
		{"1521233123.1234567891", 1521233123123456789},
		{" 1 ", 1e9},
		{"", -1}, {"-5", -1}, {"1e9", -1}, {"12.x", -1}, {"99999999999999", -1},
	}
	for _, tt := range tests {
		got, err := parseUnix(tt.in)
		switch {
		case tt.want == -1 && err == nil:
			t.Errorf("parseUnix(%q) = %v, want an error", tt.in, got)
		case tt.want != -1 && (err != nil || got.UnixNano() != tt.want):
			t.Errorf("parseUnix(%q) = %d, %v; want %d", tt.in, got.UnixNano(), err, tt.want)
		}
	}
}
