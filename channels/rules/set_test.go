package rules

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

func TestNewSetValidation(t *testing.T) {
	t.Parallel()
	ok := func() Rule {
		return emailRule("r", 1, Match{Status: []string{"5.1.1"}}, channels.OutcomeHard, channels.ReasonUserUnknown)
	}
	okSMS := func() Rule {
		return smsRule("s", 1, Match{Stat: []string{"UNDELIV"}}, channels.OutcomeSoft, "undeliverable")
	}
	tests := []struct {
		name  string
		rules []Rule
		want  string // substring of the error; "" means valid
	}{
		{"valid", []Rule{ok(), okSMS()}, ""},
		{"no id", []Rule{with(ok(), func(r *Rule) { r.ID = "" })}, "rule without id (version 1): id: required"},
		{"id with @", []Rule{with(ok(), func(r *Rule) { r.ID = "a@b" })}, `id: "a@b" must not contain`},
		{"version 0", []Rule{with(ok(), func(r *Rule) { r.Version = 0 })}, `rule "r@0": version: must be 1 or more`},
		{"duplicate", []Rule{ok(), ok()}, `rule "r@1": version: r@1 is defined twice`},
		{"two versions", []Rule{ok(), with(ok(), func(r *Rule) { r.Version = 2 })}, ""},
		{"bad channel", []Rule{with(ok(), func(r *Rule) { r.Channel = "fax" })}, `rule "r@1": channel: "fax"`},
		{"bad outcome", []Rule{with(ok(), func(r *Rule) { r.Verdict.Outcome = "bounced" })}, `rule "r@1": verdict.outcome: "bounced"`},
		{"no reason", []Rule{with(ok(), func(r *Rule) { r.Verdict.Reason = "" })}, `rule "r@1": verdict.reason: required`},
		{"reason not snake_case", []Rule{with(ok(), func(r *Rule) { r.Verdict.Reason = "UserUnknown" })}, `verdict.reason: "UserUnknown"`},
		{"no condition", []Rule{with(ok(), func(r *Rule) { r.Match = Match{} })}, `rule "r@1": match: at least one condition`},
		{"bad type", []Rule{with(ok(), func(r *Rule) { r.Match.Types = []channels.Type{"bounced"} })}, `match.types: "bounced"`},
		{"bad status", []Rule{with(ok(), func(r *Rule) { r.Match.Status = []string{"5.1."} })}, `rule "r@1": match.status: "5.1."`},
		{"status class 3", []Rule{with(ok(), func(r *Rule) { r.Match.Status = []string{"3.1.1"} })}, `match.status: "3.1.1"`},
		{"bad code", []Rule{with(ok(), func(r *Rule) { r.Match.Codes = []int{5501} })}, `rule "r@1": match.codes: 5501`},
		{"bad regexp", []Rule{with(ok(), func(r *Rule) { r.Match.Text = "user (unknown" })}, `rule "r@1": match.text: error parsing regexp`},
		{"sms condition on email", []Rule{with(ok(), func(r *Rule) { r.Match.Stat = []string{"UNDELIV"} })}, `rule "r@1": match.stat: only for sms rules`},
		{"email condition on sms", []Rule{with(okSMS(), func(r *Rule) { r.Match.Codes = []int{550} })}, `rule "s@1": match.codes: only for email rules`},
		{"err without dialect", []Rule{with(okSMS(), func(r *Rule) { r.Match.Err = []string{"001"} })}, `rule "s@1": match.err: err codes are vendor-specific`},
		{"err range backwards", []Rule{with(okSMS(), func(r *Rule) { r.Match.Err, r.Match.Dialect = []string{"1796-1024"}, "infobip" })}, `match.err: "1796-1024" is not a range`},
		{"err range not decimal", []Rule{with(okSMS(), func(r *Rule) { r.Match.Err, r.Match.Dialect = []string{"a-f"}, "infobip" })}, `match.err: "a-f" is not a range`},
		{"empty stat", []Rule{with(okSMS(), func(r *Rule) { r.Match.Stat = []string{" "} })}, `match.stat: empty value`},
		{"bad network error", []Rule{with(okSMS(), func(r *Rule) { r.Match.NetworkError = []string{"03001b7"} })}, `match.network_error: "03001b7"`},
		{"bad message state", []Rule{with(okSMS(), func(r *Rule) { r.Match.MessageState = []int{256} })}, `match.message_state: 256`},
		{"every error is reported", []Rule{with(ok(), func(r *Rule) { r.Version = 0 }), with(okSMS(), func(r *Rule) { r.Channel = "" })}, `rule "s@1": channel`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewSet(tt.rules)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("NewSet: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("NewSet error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// with returns r changed by f.
func with(r Rule, f func(*Rule)) Rule {
	f(&r)
	return r
}

func TestOrder(t *testing.T) {
	t.Parallel()
	const soft = channels.OutcomeSoft
	set := newSet(t,
		emailRule("class", 50, Match{Status: []string{"5"}}, soft, "on_hold"),
		emailRule("subject", 50, Match{Status: []string{"5.1"}}, soft, "on_hold"),
		emailRule("exact", 50, Match{Status: []string{"5.1.1"}}, channels.OutcomeHard, "user_unknown"),
		emailRule("exact.b", 50, Match{Status: []string{"5.1.1"}}, soft, "on_hold"),
		emailRule("exact.text", 50, Match{Status: []string{"5.1.1"}, Text: "quota"}, soft, "mailbox_full"),
		emailRule("urgent", 90, Match{Status: []string{"5"}, Text: "spam"}, soft, "spam_detected"),
		emailRule("mixed", 50, Match{Status: []string{"5", "4.1.1"}}, soft, "undefined"),
	)
	tests := []struct {
		name  string
		event channels.Event
		want  string
	}{
		{"longer prefix first", mail(channels.Failed, 0, "5.1.1", ""), "exact@1"},
		{"more conditions first", mail(channels.Failed, 0, "5.1.1", "over quota"), "exact.text@1"},
		{"priority beats specificity", mail(channels.Failed, 0, "5.1.1", "spam"), "urgent@1"},
		{"subject prefix", mail(channels.Failed, 0, "5.1.7", ""), "subject@1"},
		{"prefix is dot-aligned", mail(channels.Failed, 0, "5.10.1", ""), "class@1"},
		{"a list is as specific as its shortest value", mail(channels.Failed, 0, "5.2.2", ""), "class@1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := set.Classify(tt.event).Rule; got != tt.want {
				t.Errorf("rule = %s, want %s", got, tt.want)
			}
		})
	}
	var ids []string
	for _, r := range set.Rules(channels.Email) {
		ids = append(ids, r.ID)
	}
	want := []string{"urgent", "exact.text", "exact", "exact.b", "subject", "class", "mixed"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("Rules order (-want +got):\n%s", diff)
	}
}

func TestVersionsAndDisabled(t *testing.T) {
	t.Parallel()
	m := Match{Status: []string{"5.2.2"}}
	v1 := emailRule("full", 1, m, channels.OutcomeHard, "mailbox_full")
	v2 := with(v1, func(r *Rule) { r.Version, r.Verdict.Outcome = 2, channels.OutcomeSoft })
	off := emailRule("off", 9, m, channels.OutcomeHard, "user_unknown")
	off.Disabled = true
	set := newSet(t, v2, v1, off)

	got := set.Classify(mail(channels.Failed, 0, "5.2.2", ""))
	if got.Rule != "full@2" || got.Outcome != channels.OutcomeSoft {
		t.Errorf("Classify = %+v, want full@2 soft (latest version, disabled rule skipped)", got)
	}
	if r, ok := set.Rule("full@1"); !ok || r.Verdict.Outcome != channels.OutcomeHard {
		t.Errorf("Rule(full@1) = %+v, %v; old versions must stay explainable", r, ok)
	}
	if n := len(set.Rules(channels.Email)); n != 3 {
		t.Errorf("Rules: %d rules, want all 3 (every version, disabled included)", n)
	}
	set.Rules(channels.Email)[0].Match.Status[0] = "4"
	if got := set.Classify(mail(channels.Failed, 0, "5.2.2", "")); got.Rule != "full@2" {
		t.Errorf("changing a returned rule changed the set: %+v", got)
	}
	disabledLatest := newSet(t, v1, with(v2, func(r *Rule) { r.Disabled = true }))
	if got := disabledLatest.Classify(mail(channels.Failed, 0, "5.2.2", "")); got.Rule != "fallback.email@1" {
		t.Errorf("disabling the latest version must turn the id off, got %+v", got)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"rules/a.yaml": {Data: []byte("channel: email\nrules:\n  - {id: a, version: 1, match: {codes: 550}, verdict: {outcome: soft, reason: on_hold}}\n")},
		"rules/b.yaml": {Data: []byte("channel: sms\nrules:\n  - {id: b, version: 1, match: {stat: undeliv}, verdict: {outcome: soft, reason: undeliverable}}\n")},
		"rules/c.yaml": {Data: []byte("rules:\n  - {id: c, version: 1, mach: {}}\n")},
		"dup/1.yaml":   {Data: []byte("channel: email\nrules:\n  - {id: a, version: 1, match: {codes: 550}, verdict: {outcome: soft, reason: on_hold}}\n")},
	}
	if _, err := Load(fsys, "rules/[ab].yaml"); err != nil {
		t.Fatalf("Load: %v", err)
	}
	for pattern, want := range map[string]string{
		"rules/*.yaml":   `rules/c.yaml: parse rules: rule "c": line 2: unknown key "mach"`,
		"none/*.yaml":    "no file matches",
		"[":              "syntax error in pattern",
		"*/[a1].yaml":    `rule "a@1": version: a@1 is defined twice`,
		"rules/a.yaml ":  "no file matches",
		"rules/[a].yaml": "",
	} {
		_, err := Load(fsys, pattern)
		if (want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%q) error = %v, want %q", pattern, err, want)
		}
	}
}
