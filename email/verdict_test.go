package email_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/configs"
)

// TestRuleVerdicts classifies diagnostics in the shapes package email
// writes them (the command in Postfix's words at the end) with the shipped
// email rules, for the rules that read the command or an MTA's fixed words.
func TestRuleVerdicts(t *testing.T) {
	t.Parallel()
	set, err := rules.Load(configs.Files, "rules/*.yaml")
	if err != nil {
		t.Fatalf("load rules: %v", err)
	}
	// Class 4 replies come in failed events here (a final bounce quoting
	// them): a deferred event is a delay notice, pending (TestDelayNotice).
	const f = channels.Failed
	tests := []struct {
		name   string
		typ    channels.Type
		code   int
		status string
		text   string
		want   string // outcome reason rule
	}{
		{"554 greeting", f, 554, "5.0.0", "554 mx.example.org ESMTP no service for 192.0.2.1 (in reply to initial greeting command)", "soft blocked email.command.greeting@1"},
		{"greeting refusal under a protocol status", f, 554, "5.5.0", "554 IP=192.0.2.1 - A problem occurred. (in reply to initial greeting command)", "soft blocked email.command.greeting@1"},
		{"421 greeting is the server busy", f, 421, "4.0.0", "421 mx.example.org busy (in reply to initial greeting command)", "soft on_hold email.status.4.0.0@1"},
		{"521 greeting: the host accepts no mail", f, 521, "5.0.0", "521 mx.example.org does not accept mail (in reply to initial greeting command)", "hard not_accept email.text.not_accept@1"},
		{"recipient null MX under X.7.27", f, 550, "5.7.27", "550 Host does not accept mail", "hard not_accept email.text.not_accept.status_5.7.27@1"},
		{"sender null MX keeps X.7.27", f, 550, "5.7.27", "550 5.7.27 Sender address has null MX", "soft sender_rejected email.status.5.7.27@1"},
		{"Domino directory", f, 550, "5.0.0", "550 User jdoe (jdoe@corp.example.com) not listed in Domino Directory", "hard user_unknown email.text.user_unknown.directory@1"},
		{"address unknown", f, 550, "5.0.0", "550 Address unknown", "hard user_unknown email.text.user_unknown.directory@1"},
		{"sender address unknown stays the sender's", f, 550, "5.0.0", "550 Sender address unknown", "soft sender_rejected email.text.sender_rejected@1"},
		{"address unknown under a temporary class", f, 450, "4.0.0", "450 Address unknown, try later", "soft on_hold email.status.4.0.0@1"},
		{"Gmail receiving too quickly", f, 450, "4.2.1", "450 4.2.1 The user you are trying to contact is receiving mail too quickly. Please resend later.", "soft speeding email.text.speeding.too_quickly@1"},
		{"Microsoft banned sending IP", f, 550, "5.7.606", "550 5.7.606 Access denied, banned sending IP [192.0.2.1]", "soft blocked email.text.blocked.banned_ip@1"},
		{"expired account", f, 550, "5.0.0", "550 User account is expired", "soft suspended email.text.suspended.expired@1"},
		{"a temporary recipient error", f, 451, "4.3.0", "451 4.3.0 This message could not be delivered due to a recipient error. Please try again later.", "soft on_hold email.text.on_hold.recipient_error@1"},
		{"a queue write error stays the system's", f, 451, "4.3.0", "451 4.3.0 Error: queue file write error", "soft system_error email.status.4.3.0@1"},
		{"Postfix without its delivery report", f, 0, "5.0.0", "This is the mail system at host mx.example.net. --- Delivery report unavailable ---", "soft undefined email.text.undefined.no_report@1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := channels.Event{Channel: channels.Email, Type: tt.typ, SMTP: &channels.SMTPReply{Code: tt.code, Status: tt.status, Text: tt.text}}
			v := set.Classify(e)
			if diff := cmp.Diff(tt.want, string(v.Outcome)+" "+string(v.Reason)+" "+v.Rule); diff != "" {
				t.Errorf("Classify (-want +got):\n%s\nevidence: %s", diff, v.Evidence)
			}
		})
	}
}
