package rules

import (
	"testing"

	"github.com/rebond/rebond/channels"
)

// TestConsentIsNoOutcome pins that no rule reads a consent event: a rule
// that would match any failure text or type leaves an opt-out, an opt-in
// and an inbound message with their consent verdicts (outcome ignored),
// in Classify and Explain alike, so a replay or a backtest never turns a
// STOP into a soft failure.
func TestConsentIsNoOutcome(t *testing.T) {
	t.Parallel()
	set := newSet(t,
		emailRule("any.text", 1, Match{Text: `.*`}, channels.OutcomeHard, "user_unknown"),
		smsRule("any.type", 1, Match{Types: []channels.Type{channels.OptOut, channels.Failed}}, channels.OutcomeHard, "opted_out"),
	)
	for _, tt := range []struct {
		name string
		e    channels.Event
		want channels.Verdict
	}{
		{"one-click opt-out of a campaign",
			channels.Event{Channel: channels.Email, Type: channels.OptOut, Recipient: "a@example.com", Campaign: "spring",
				SMTP:    &channels.SMTPReply{Text: "unsubscribe"},
				Consent: &channels.Consent{Scope: channels.ScopeCampaign, Source: channels.SourceOneClick}},
			channels.Verdict{Outcome: channels.OutcomeIgnored, Reason: channels.ReasonOptedOut, Rule: "consent.opt_out@1",
				Evidence: "scope=campaign name=spring source=one-click"}},
		{"sms STOP",
			channels.Event{Channel: channels.SMS, Type: channels.OptOut, Recipient: "+447700900123",
				Consent: &channels.Consent{Scope: channels.ScopeAll, Source: channels.SourceSMSKeyword, Keyword: "STOP"}},
			channels.Verdict{Outcome: channels.OutcomeIgnored, Reason: channels.ReasonOptedOut, Rule: "consent.opt_out@1",
				Evidence: "scope=all source=sms-keyword keyword=STOP"}},
		{"confirmation of a list",
			channels.Event{Channel: channels.Email, Type: channels.OptIn, Recipient: "a@example.com",
				Consent: &channels.Consent{Scope: channels.ScopeList, List: "news", Source: channels.SourceConfirm}},
			channels.Verdict{Outcome: channels.OutcomeIgnored, Reason: channels.ReasonOptedIn, Rule: "consent.opt_in@1",
				Evidence: "scope=list name=news source=confirm"}},
		{"inbound text",
			channels.Event{Channel: channels.SMS, Type: channels.Inbound, Recipient: "+447700900123", Consent: &channels.Consent{Scope: channels.ScopeAll}},
			channels.Verdict{Outcome: channels.OutcomeIgnored, Reason: channels.ReasonInbound, Rule: "consent.inbound@1", Evidence: "scope=all"}},
	} {
		if got := set.Classify(tt.e); got != tt.want {
			t.Errorf("%s: Classify = %+v, want %+v", tt.name, got, tt.want)
		}
		if got := set.Explain(tt.e).Verdict; got != tt.want {
			t.Errorf("%s: Explain = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
