package email

import (
	"strconv"
	"strings"
	"testing"
)

// TestReplyIn reads the SMTP reply (RFC 5321 section 4.2) and enhanced
// status (RFC 3463) that diagnostics quote, in the places MTAs put them,
// and checks which one wins when there are several.
func TestReplyIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		code       int
		status     string
	}{
		{"Postfix", "<a@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1 <a@example.com>: Recipient address rejected: User unknown (in reply to RCPT TO command)", 550, "5.1.1"},
		{"qmail", "<a@example.com>: 192.0.2.7 does not like recipient. Remote host said: 550 5.1.1 <a@example.com>... User Unknown Giving up on 192.0.2.7.", 550, "5.1.1"},
		{"Exim", "a@example.com host mx.example.com [192.0.2.9] SMTP error from remote mail server after RCPT TO:<a@example.com>: 550 5.1.1 No such user here", 550, "5.1.1"},
		{"Sendmail", "550 5.1.1 <a@example.com>... User unknown", 550, "5.1.1"},
		{"Sendmail, deferred", "<a@example.com>... Deferred: 421 4.3.2 Too many concurrent SMTP connections", 421, "4.3.2"},
		{"Exchange 2010", "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'", 550, "5.1.1"},
		{"Exchange 2010, generating server", "mx.example.com #550 5.1.1 <a@example.com>: Recipient address rejected ##", 550, "5.1.1"},
		{"Exchange 2003: X.0.0 wraps the remote's X.1.1", "<mx.corp.example #5.0.0 smtp;550 5.1.1 <a@example.com>... User unknown>", 550, "5.1.1"},
		{"Exchange 2007", "#< mx.example.com #5.0.0 smtp; 550 5.1.1 <a@example.com>... User unknown> #SMTP#", 550, "5.1.1"},
		{"Exchange Online: the remote's reply inside the expiry", `550 4.4.7 QUEUE.Expired; message expired [Message=451 4.4.0 Primary target IP address responded with: "452 4.2.2 Mailbox full." Attempted failover to alternate host]`, 452, "4.2.2"},
		{"an X.0.0 reply, then a specific status of its class", "550 5.0.0 <a@example.com>... User unknown (#5.1.1)", 550, "5.1.1"},
		{"an X.0.0 reply, a status of another class", "550 5.0.0 <a@example.com>... rejected (#4.2.2)", 550, "5.0.0"},
		{"a vague pair only", "554 5.0.0 Service unavailable", 554, "5.0.0"},
		{"a subject-only pair gives way", "554 5.7.0 Blocked: 554 5.7.1 listed at bl.example.net", 554, "5.7.1"},
		{"the first of equals wins", "550 5.1.1 unknown 552 5.2.2 full", 550, "5.1.1"},
		{"a remote's own X.0.0 stays", "550 5.0.0 <a@example.com>... User unknown", 550, "5.0.0"},
		{"a code alone, the specific standalone status", "550 Requested action not taken #5.0.0 #5.1.1", 550, "5.1.1"},
		{"no code, standalone statuses", "<mx.example.com #5.0.0> <#5.2.2>", 0, "5.2.2"},
		{"success only with its status", "250 2.1.5 Ok", 250, "2.1.5"},
		{"a size is no reply", "message of 250 bytes", 0, ""},
		{"an address is no status", "host 5.1.1.4 said nothing", 0, ""},
		{"nothing", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, status := replyIn(tt.text)
			if code != tt.code || status != tt.status {
				t.Errorf("replyIn(%q) = %d %q, want %d %q", tt.text, code, status, tt.code, tt.status)
			}
		})
	}
}

// TestSharperStatus checks when a DSN's own status gives way to the one the
// text's block about the recipient quotes.
func TestSharperStatus(t *testing.T) {
	t.Parallel()
	tests := []struct{ status, block, want string }{
		{"5.0.0", "550 5.1.1 <a@example.com>... User unknown", "5.1.1"},
		{"", "550 5.1.1 <a@example.com>... User unknown", "5.1.1"},
		{"5.7.0", "554 5.7.1 listed at bl.example.net", "5.7.1"},
		{"4.4.7", "(reason: 452 4.2.2 Mailbox full)", "4.2.2"},
		{"5.4.7", "452 4.2.2 Mailbox full", "4.2.2"},
		{"5.0.0", "452 4.2.2 Mailbox full", "5.0.0"},
		{"5.1.1", "552 5.2.2 Mailbox full", "5.1.1"},
		{"5.0.0", "550 5.0.0 User unknown", "5.0.0"},
		{"5.0.0", "", "5.0.0"},
	}
	for _, tt := range tests {
		if got := sharperStatus(tt.status, tt.block); got != tt.want {
			t.Errorf("sharperStatus(%q, %q) = %q, want %q", tt.status, tt.block, got, tt.want)
		}
	}
}

// FuzzReplyIn feeds replyIn arbitrary text: never a panic; a code it
// returns is a valid reply code written in the text, a status one the
// text holds and statusLen accepts, and a code paired with a status is of
// its class unless the pair is a success.
func FuzzReplyIn(f *testing.F) {
	for _, s := range []string{
		"550 5.1.1 <a@b>: user unknown", "Remote host said: 550 5.1.1 <a@b>... User Unknown",
		"<mx #5.0.0 smtp;550 5.1.1 <a@b>... User unknown>", `550 4.4.7 QUEUE.Expired [Message=451 4.4.0 "452 4.2.2 full"]`,
		"550 5.0.0 x (#5.1.1)", "#5.0.0 #5.2.2", "250 2.1.5 ok", "5.1.1.4", "550-5.7.1\n550 5.7.1", "4.", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, status := replyIn(s)
		if code != 0 {
			if code < 200 || code > 559 || !strings.Contains(s, strconv.Itoa(code)) {
				t.Fatalf("replyIn(%q): code %d", s, code)
			}
		}
		if status != "" {
			if !strings.Contains(s, status) || statusLen(status, 0) != len(status) {
				t.Fatalf("replyIn(%q): status %q", s, status)
			}
			if code >= 400 && status[0] != byte('0'+code/100) && statusIn(s) != status {
				t.Fatalf("replyIn(%q): code %d with a status %q of another class that is not the text's own", s, code, status)
			}
		}
		if st := statusIn(s); st != "" && (!strings.Contains(s, st) || statusLen(st, 0) != len(st)) {
			t.Fatalf("statusIn(%q) = %q", s, st)
		}
	})
}
