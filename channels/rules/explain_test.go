package rules

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

func TestExplain(t *testing.T) {
	t.Parallel()
	const soft, hard = channels.OutcomeSoft, channels.OutcomeHard
	set := newSet(t,
		emailRule("typed", 50, Match{Types: []channels.Type{channels.Deferred}, Codes: []int{421}}, soft, "a"),
		emailRule("provider", 40, Match{Provider: "ses", Codes: []int{550}}, soft, "b"),
		emailRule("status", 30, Match{Status: []string{"5.1.1"}}, hard, "user_unknown"),
		emailRule("text", 20, Match{Codes: []int{550}, Text: `no such user`}, hard, "user_unknown"),
		emailRule("last", 10, Match{Codes: []int{554}}, soft, "c"),
		smsRule("err", 20, Match{Stat: []string{"UNDELIV"}, Err: []string{"1"}, Dialect: "map"}, hard, "unknown_subscriber"),
		smsRule("state", 10, Match{MessageState: []int{5}}, soft, "d"),
		smsRule("neterr", 5, Match{NetworkError: []string{"03"}}, soft, "e"),
	)
	step := func(rule string, prio int, failed, detail string) Step {
		return Step{Rule: rule + "@1", Priority: prio, Failed: failed, Detail: detail}
	}
	match := func(rule string, prio int) Step { return Step{Rule: rule + "@1", Priority: prio, Matched: true} }
	tests := []struct {
		name       string
		event      channels.Event
		steps      []Step
		fallback   bool
		notReached int
	}{
		{"text decides after three misses", mail(channels.Failed, 550, "", "550 No such user here"), []Step{
			step("typed", 50, "types", `type "failed" is not one of [deferred]`),
			step("provider", 40, "provider", `the event has no provider`),
			step("status", 30, "status", "the event has no status"),
			match("text", 20),
		}, false, 1},
		{"wrong status, wrong text", mail(channels.Failed, 550, "5.7.1", "relay denied"), []Step{
			step("typed", 50, "types", `type "failed" is not one of [deferred]`),
			step("provider", 40, "provider", `the event has no provider`),
			step("status", 30, "status", `status "5.7.1" has none of the prefixes [5.1.1]`),
			step("text", 20, "text", `text "relay denied" does not match /no such user/i`),
			step("last", 10, "codes", "code 550 is not one of [554]"),
		}, true, 0},
		{"provider differs", channels.Event{Channel: channels.Email, Type: channels.Failed, Provider: "sendgrid",
			SMTP: &channels.SMTPReply{Code: 554}}, []Step{
			step("typed", 50, "types", `type "failed" is not one of [deferred]`),
			step("provider", 40, "provider", `provider "sendgrid" is not "ses"`),
			step("status", 30, "status", "the event has no status"),
			step("text", 20, "text", "the event has no text"),
			match("last", 10),
		}, false, 0},
		{"sms err in another dialect", receipt(channels.Failed, "UNDELIV", "1", "twilio-smpp", "030001", -1), []Step{
			step("err", 20, "dialect", `dialect "twilio-smpp" is not "map"`),
			step("state", 10, "message_state", "the event has no message_state"),
			match("neterr", 5),
		}, false, 0},
		{"sms err and state", receipt(channels.Failed, "UNDELIV", "002", "map", "", 4), []Step{
			step("err", 20, "err", `err "002" is not one of [1]`),
			step("state", 10, "message_state", "message_state 4 is not one of [5]"),
			step("neterr", 5, "network_error", "the event has no network_error"),
		}, true, 0},
		{"unknown channel", channels.Event{Channel: "fax", Type: channels.Failed}, []Step{}, true, 0},
	}
	for _, tc := range tests {
		tr := set.Explain(tc.event)
		if diff := cmp.Diff(tc.steps, tr.Steps); diff != "" {
			t.Errorf("%s: steps (-want +got):\n%s", tc.name, diff)
		}
		if tr.Fallback != tc.fallback || tr.NotReached != tc.notReached {
			t.Errorf("%s: fallback %v not reached %d, want %v %d", tc.name, tr.Fallback, tr.NotReached, tc.fallback, tc.notReached)
		}
		if want := set.Classify(tc.event); tr.Verdict != want {
			t.Errorf("%s: Explain's verdict %+v, Classify's %+v", tc.name, tr.Verdict, want)
		}
	}
}

// TestExplainAgreesWithClassify runs the shipped rules over many events:
// Explain's verdict is always Classify's, exactly one step matched unless
// the fallback applied, and every failed step names its condition.
func TestExplainAgreesWithClassify(t *testing.T) {
	t.Parallel()
	set := loadShipped(t)
	var events []channels.Event
	for _, typ := range []channels.Type{channels.Sent, channels.Delivered, channels.Failed, channels.Deferred, channels.Complaint} {
		for _, code := range []int{0, 250, 421, 450, 452, 550, 551, 552, 553, 554} {
			for _, status := range []string{"", "4.2.2", "5.1.1", "5.1.10", "5.7.1", "4.4.1", "5.0.0"} {
				for _, text := range []string{"", "user unknown", "mailbox full", "spam detected", "blocked by spamhaus", "quota exceeded (in reply to end of DATA command)"} {
					events = append(events, mail(typ, code, status, text))
				}
			}
		}
		for _, stat := range []string{"", "DELIVRD", "UNDELIV", "EXPIRED", "REJECTD", "ACCEPTD", "weird"} {
			for _, errCode := range []string{"", "001", "27", "34"} {
				for _, dialect := range []string{"", "map", "twilio-smpp"} {
					events = append(events, receipt(typ, stat, errCode, dialect, "", -1), receipt(typ, stat, errCode, dialect, "030001", 5))
				}
			}
		}
	}
	for _, e := range events {
		tr, want := set.Explain(e), set.Classify(e)
		if tr.Verdict != want {
			t.Fatalf("%+v: Explain %+v, Classify %+v", e, tr.Verdict, want)
		}
		matched := 0
		for _, st := range tr.Steps {
			if st.Matched {
				matched++
			} else if st.Failed == "" || st.Detail == "" {
				t.Fatalf("%+v: step %+v names no failed condition", e, st)
			}
		}
		if tr.Fallback == (matched == 1) || matched > 1 {
			t.Fatalf("%+v: %d steps matched, fallback %v", e, matched, tr.Fallback)
		}
		if total := len(tr.Steps) + tr.NotReached; total != len(set.of(e.Channel).live) {
			t.Fatalf("%+v: %d steps + %d not reached, the channel has %d live rules", e, len(tr.Steps), tr.NotReached, len(set.of(e.Channel).live))
		}
	}
}

func TestLive(t *testing.T) {
	t.Parallel()
	var zero Live
	e := mail(channels.Failed, 550, "", "no such user")
	if v := zero.Classify(e); v.Rule != "fallback.email@1" {
		t.Errorf("zero Live: %+v", v)
	}
	a := newSet(t, emailRule("a", 1, Match{Codes: []int{550}}, channels.OutcomeSoft, "a"))
	b := newSet(t, emailRule("b", 1, Match{Codes: []int{550}}, channels.OutcomeHard, "user_unknown"))
	l := NewLive(a)
	if v := l.Classify(e); v.Rule != "a@1" {
		t.Errorf("before swap: %+v", v)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { // readers during a swap see one set or the other, whole
			defer wg.Done()
			for range 1000 {
				if r := l.Classify(e).Rule; r != "a@1" && r != "b@1" {
					t.Errorf("mid-swap verdict from %q", r)
					return
				}
			}
		}()
	}
	if old := l.Swap(b); old != a {
		t.Error("Swap must return the replaced set")
	}
	wg.Wait()
	if v := l.Classify(e); v.Rule != "b@1" || l.Set() != b {
		t.Errorf("after swap: %+v", v)
	}
}

func TestParseRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     Rule
		err      string
	}{
		{"yaml", "id: x.y\nchannel: email\npriority: 5\nmatch: {status: 5.1.1, codes: 550}\nverdict: {outcome: hard, reason: user_unknown}\n",
			Rule{ID: "x.y", Channel: channels.Email, Priority: 5, Match: Match{Status: []string{"5.1.1"}, Codes: []int{550}},
				Verdict: Verdict{channels.OutcomeHard, "user_unknown"}}, ""},
		{"json", `{"id":"s","version":2,"channel":"sms","match":{"stat":["UNDELIV"]},"verdict":{"outcome":"soft","reason":"undeliverable"}}`,
			Rule{ID: "s", Version: 2, Channel: channels.SMS, Match: Match{Stat: []string{"UNDELIV"}},
				Verdict: Verdict{channels.OutcomeSoft, "undeliverable"}}, ""},
		{"unknown key", "id: x\nmatch: {stauts: 5.1.1}\n", Rule{}, `unknown key "match.stauts"`},
		{"a list is no rule", "- id: x\n", Rule{}, "must be a mapping"},
		{"empty", "", Rule{}, "empty document"},
		{"too large", "id: " + strings.Repeat("x", MaxRuleBytes), Rule{}, "at most"},
	}
	for _, tc := range tests {
		got, err := ParseRule([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestAllRebuildsTheSet: All gives back every rule, so a Set built from it
// classifies as the original does.
func TestAllRebuildsTheSet(t *testing.T) {
	t.Parallel()
	set := loadShipped(t)
	again := newSet(t, set.All()...)
	if len(set.All()) != len(set.Rules(channels.Email))+len(set.Rules(channels.SMS)) {
		t.Fatal("All must hold both channels")
	}
	for _, e := range []channels.Event{mail(channels.Failed, 550, "5.1.1", "user unknown"), receipt(channels.Failed, "UNDELIV", "1", "map", "", -1)} {
		if a, b := set.Classify(e), again.Classify(e); a != b {
			t.Errorf("%+v: %+v vs %+v", e, a, b)
		}
	}
}

// FuzzParseRule feeds arbitrary documents to ParseRule, the parser of the
// rules API: it never panics, and a rule that parses and validates builds
// a Set whose Explain agrees with Classify.
func FuzzParseRule(f *testing.F) {
	f.Add("id: x.y\nchannel: email\nmatch: {status: 5.1.1, codes: 550, text: 'user (unknown|not found)'}\nverdict: {outcome: hard, reason: user_unknown}\n")
	f.Add(`{"id":"s","channel":"sms","match":{"stat":["UNDELIV"],"err":["001"],"dialect":"map","message_state":[5]},"verdict":{"outcome":"soft","reason":"x"}}`)
	f.Add("id: &a x\nchannel: *a\n")
	events := []channels.Event{
		mail(channels.Failed, 550, "5.1.1", "User unknown here"),
		receipt(channels.Failed, "UNDELIV", "1", "map", "030001", 5),
	}
	f.Fuzz(func(t *testing.T, doc string) {
		r, err := ParseRule([]byte(doc))
		if err != nil {
			return
		}
		if r.Version == 0 {
			r.Version = 1
		}
		s, err := NewSet([]Rule{r})
		if err != nil {
			return
		}
		for _, e := range events {
			if tr, v := s.Explain(e), s.Classify(e); tr.Verdict != v {
				t.Fatalf("rule %+v: Explain %+v, Classify %+v", r, tr.Verdict, v)
			}
		}
	})
}
