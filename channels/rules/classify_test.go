package rules

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

func TestClassifyConditions(t *testing.T) {
	t.Parallel()
	const soft, no = channels.OutcomeSoft, -1
	set := newSet(t,
		emailRule("status", 1, Match{Status: []string{"5.1"}}, soft, "a"),
		emailRule("code.text", 1, Match{Codes: []int{550, 554}, Text: `no such (user|mailbox)`}, soft, "b"),
		emailRule("typed", 1, Match{Types: []channels.Type{channels.Deferred}, Codes: []int{421}}, soft, "c"),
		emailRule("provider", 1, Match{Provider: "SES", Codes: []int{421}}, soft, "d"),
		emailRule("empty.text", 1, Match{Text: `.*`}, soft, "e"),
		smsRule("stat", 1, Match{Stat: []string{"delivered to carrier"}}, soft, "f"),
		smsRule("err", 2, Match{Stat: []string{"UNDELIV"}, Err: []string{"001"}, Dialect: "MAP"}, channels.OutcomeHard, "unknown_subscriber"),
		smsRule("neterr", 3, Match{NetworkError: []string{"03001B"}}, channels.OutcomeHard, "unknown_subscriber"),
		smsRule("err.range", 2, Match{Err: []string{"1024-1796"}, Dialect: "infobip"}, soft, "i"),
		smsRule("neterr.prefix", 3, Match{NetworkError: []string{"06"}}, soft, "g"),
		smsRule("state", 1, Match{MessageState: []int{0}}, soft, "h"),
	)
	long := strings.Repeat("x", 200) + " No such user " + strings.Repeat("é", 100)
	tests := []classifyCase{
		{"status prefix", mail(channels.Failed, 0, " 5.1.7 ", ""), verdict(soft, "a", "status@1", "status=5.1.7")},
		{"status prefix is dot-aligned", mail(channels.Failed, 0, "5.10.1", ""), fallbackFailed(channels.Email)},
		{"code and text", mail(channels.Failed, 554, "", "554 No Such Mailbox here"), verdict(soft, "b", "code.text@1", `code=554 text~"No Such Mailbox"`)},
		{"text but other code", mail(channels.Failed, 551, "", "no such user"), verdict(soft, "e", "empty.text@1", `text~"no such user"`)},
		{"text never matches a missing text", mail(channels.Failed, 551, "", ""), fallbackFailed(channels.Email)},
		{"evidence is clipped", mail(channels.Failed, 550, "", long), verdict(soft, "b", "code.text@1", `code=550 text~"No such user"`)},
		{"long match is clipped", mail(channels.Failed, 551, "", long), verdict(soft, "e", "empty.text@1", `text~"`+strings.Repeat("x", 120)+`"`)},
		{"type", mail(channels.Deferred, 421, "", ""), verdict(channels.OutcomePending, "c", "typed@1", "type=deferred code=421")},
		{"provider, any case", withProvider(mail(channels.Failed, 421, "", ""), "ses"), verdict(soft, "d", "provider@1", "code=421 provider=ses")},
		{"stat, case and spaces", receipt(channels.Deferred, "Delivered To  Carrier", "", "", "", no), verdict(soft, "f", "stat@1", "stat=Delivered To  Carrier")},
		{"err with dialect", receipt(channels.Failed, "UNDELIV", "1", "map", "", no), verdict(channels.OutcomeHard, "unknown_subscriber", "err@1", "stat=UNDELIV err=1 dialect=map")},
		{"err of another dialect", receipt(channels.Failed, "UNDELIV", "001", "twilio-smpp", "", no), fallbackFailed(channels.SMS)},
		{"err range, low end", receipt(channels.Failed, "", "1024", "infobip", "", no), verdict(soft, "i", "err.range@1", "err=1024 dialect=infobip")},
		{"err range, high end, zero-padded", receipt(channels.Failed, "", "01796", "infobip", "", no), verdict(soft, "i", "err.range@1", "err=01796 dialect=infobip")},
		{"err range, below", receipt(channels.Failed, "", "1023", "infobip", "", no), fallbackFailed(channels.SMS)},
		{"err range, above", receipt(channels.Failed, "", "1797", "infobip", "", no), fallbackFailed(channels.SMS)},
		{"err range, not a number", receipt(channels.Failed, "", "1024-1796", "infobip", "", no), fallbackFailed(channels.SMS)},
		{"network error", receipt(channels.Failed, "", "", "", "03001b", no), verdict(channels.OutcomeHard, "unknown_subscriber", "neterr@1", "network_error=03001b")},
		{"network error prefix", receipt(channels.Failed, "", "", "", "060020", no), verdict(soft, "g", "neterr.prefix@1", "network_error=060020")},
		{"message state 0", receipt(channels.Failed, "", "", "", "", 0), verdict(soft, "h", "state@1", "message_state=0")},
		{"no message state is not 0", receipt(channels.Failed, "X", "", "", "", no), fallbackFailed(channels.SMS)},
	}
	checkClassify(t, set, tests)
}

// TestClassifyWildcards pins AnyErr and AnyDialect: below the rules of a
// dialect's known codes, they catch every other code but zero, in any
// dialect a connection names, and never a receipt without a dialect.
func TestClassifyWildcards(t *testing.T) {
	t.Parallel()
	const soft, no = channels.OutcomeSoft, -1
	set := newSet(t,
		smsRule("known", 2, Match{Err: []string{"5"}, Dialect: "map"}, channels.OutcomeHard, "a"),
		smsRule("any", 1, Match{Err: []string{AnyErr}, Dialect: AnyDialect}, soft, "b"),
	)
	tests := []classifyCase{
		{"known code", receipt(channels.Failed, "", "005", "map", "", no), verdict(channels.OutcomeHard, "a", "known@1", "err=005 dialect=map")},
		{"code missing from the dialect", receipt(channels.Failed, "", "7", "map", "", no), verdict(soft, "b", "any@1", "err=7 dialect=map")},
		{"hex code", receipt(channels.Failed, "", "00d", "w2wts", "", no), verdict(soft, "b", "any@1", "err=00d dialect=w2wts")},
		{"dialect without rules", receipt(channels.Failed, "", "5", "acme", "", no), verdict(soft, "b", "any@1", "err=5 dialect=acme")},
		{"zero is no error", receipt(channels.Failed, "", "000", "map", "", no), fallbackFailed(channels.SMS)},
		{"zero, one digit", receipt(channels.Failed, "", "0", "acme", "", no), fallbackFailed(channels.SMS)},
		{"no dialect", receipt(channels.Failed, "", "7", "", "", no), fallbackFailed(channels.SMS)},
		{"no err", receipt(channels.Failed, "UNDELIV", "", "map", "", no), fallbackFailed(channels.SMS)},
	}
	checkClassify(t, set, tests)
}

func TestFallback(t *testing.T) {
	t.Parallel()
	var empty *Set
	tests := []struct {
		name  string
		event channels.Event
		want  channels.Verdict
	}{
		{"email sent", mail(channels.Sent, 0, "", ""), verdict(channels.OutcomePending, "sent", "fallback.email@1", "type=sent")},
		{"sms sent", receipt(channels.Sent, "", "", "", "", -1), verdict(channels.OutcomePending, "accepted_by_smsc", "fallback.sms@1", "type=sent")},
		{"delivered", mail(channels.Delivered, 0, "", ""), verdict(channels.OutcomeDelivered, "delivered", "fallback.email@1", "type=delivered")},
		{"complaint", mail(channels.Complaint, 0, "", ""), verdict(channels.OutcomeComplaint, "complaint", "fallback.email@1", "type=complaint")},
		{"deferred", mail(channels.Deferred, 451, "4.3.0", ""), verdict(channels.OutcomePending, "undefined", "fallback.email@1", "type=deferred")},
		{"sms deferred", receipt(channels.Deferred, "", "", "", "", -1), verdict(channels.OutcomeSoft, "undefined", "fallback.sms@1", "type=deferred")},
		{"unknown channel", channels.Event{Channel: "fax", Type: channels.Failed}, verdict(channels.OutcomeSoft, "undefined", "fallback.unknown@1", "type=failed")},
		{"zero event", channels.Event{}, verdict(channels.OutcomeSoft, "undefined", "fallback.unknown@1", "type=")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, empty.Classify(tt.event)); diff != "" {
				t.Errorf("Classify on a nil Set (-want +got):\n%s", diff)
			}
		})
	}
	if empty.Rules(channels.Email) != nil {
		t.Error("Rules on a nil Set must be nil")
	}
}

// classifyCase is an event and the verdict a Set must give it.
type classifyCase struct {
	name  string
	event channels.Event
	want  channels.Verdict
}

// checkClassify runs each case as a parallel subtest of t.
func checkClassify(t *testing.T, set *Set, tests []classifyCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, set.Classify(tt.event)); diff != "" {
				t.Errorf("Classify (-want +got):\n%s", diff)
			}
		})
	}
}

func verdict(o channels.Outcome, r channels.Reason, rule, evidence string) channels.Verdict {
	return channels.Verdict{Outcome: o, Reason: r, Rule: rule, Evidence: evidence}
}

func fallbackFailed(ch channels.Channel) channels.Verdict {
	return verdict(channels.OutcomeSoft, channels.ReasonUndefined, "fallback."+string(ch)+"@1", "type=failed")
}

func withProvider(e channels.Event, p string) channels.Event {
	e.Provider = p
	return e
}

func TestClip(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"short", "abc", 5, "abc"},
		{"ascii", "abcdef", 3, "abc"},
		{"rune boundary", "aé", 2, "a"},
		{"whole rune", "aéb", 3, "aé"},
	} {
		if got := clip(tt.in, tt.n); got != tt.want {
			t.Errorf("%s: clip(%q, %d) = %q, want %q", tt.name, tt.in, tt.n, got, tt.want)
		}
	}
}
