package rulebook_test

import (
	"fmt"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/configs"
	"github.com/rebond/rebond/rulebook"
	"github.com/rebond/rebond/store"
)

func loadBuiltin(b *testing.B) *rules.Set {
	b.Helper()
	s, err := rules.Load(configs.Files, "rules/*.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return s
}

var benchEvent = channels.Event{ID: "ev1", Channel: channels.Email, Type: channels.Failed, Recipient: "a@example.com",
	SMTP: &channels.SMTPReply{Code: 550, Status: "5.1.1", Text: "<a@example.com>: Recipient address rejected: User unknown in virtual mailbox table"}}

// BenchmarkClassifier is the worker's hot path: the live rules alone, and
// with a shadow set evaluated beside them.
func BenchmarkClassifier(b *testing.B) {
	builtin := loadBuiltin(b)
	shadow, err := rules.NewSet(append(builtin.All(), rules.Rule{ID: "email.text.shadow", Version: 1, Channel: channels.Email, Priority: 900,
		Match: rules.Match{Text: "virtual mailbox table"}, Verdict: rules.Verdict{Outcome: channels.OutcomeSoft, Reason: "filtered"}}))
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		shadow *rules.Set
	}{{"live", nil}, {"live+shadow", shadow}} {
		b.Run(tc.name, func(b *testing.B) {
			c := rulebook.NewClassifier(builtin)
			c.Swap(builtin, tc.shadow)
			b.ReportAllocs()
			for b.Loop() {
				c.Classify(benchEvent)
			}
		})
	}
}

// BenchmarkSets is what a reload (and each explain) costs: compiling the
// built-in rules and the operator rules into a Set.
func BenchmarkSets(b *testing.B) {
	builtin := loadBuiltin(b)
	var overrides []store.RuleOverride
	for i := range 50 {
		overrides = append(overrides, store.RuleOverride{State: store.RuleActive, Rule: rules.Rule{ID: fmt.Sprintf("email.op.%d", i), Version: 1,
			Channel: channels.Email, Priority: 200, Match: rules.Match{Text: rulebook.Pattern(fmt.Sprintf("Acme gateway %d refused <a@b.c> at 10:00", i))},
			Verdict: rules.Verdict{Outcome: channels.OutcomeSoft, Reason: "blocked"}}})
	}
	book := rulebook.New(fakeStore{overrides: overrides}, builtin, rulebook.Config{})
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := book.Sets(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	text := "host mx.example.net[192.0.2.7] said: 550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)"
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		rulebook.Normalize(text)
	}
}

// BenchmarkCompare replays 10,000 stored events (5,000 messages) under two
// rule sets, the in-memory part of a backtest.
func BenchmarkCompare(b *testing.B) {
	builtin := loadBuiltin(b)
	cand, err := rules.NewSet(append(builtin.All(), rules.Rule{ID: "email.text.acme", Version: 1, Channel: channels.Email, Priority: 210,
		Match: rules.Match{Text: "acme"}, Verdict: rules.Verdict{Outcome: channels.OutcomeHard, Reason: "user_unknown"}}))
	if err != nil {
		b.Fatal(err)
	}
	var rp store.Replay
	for i := range 5000 {
		msg, rcpt := fmt.Sprintf("m%d", i), fmt.Sprintf("r%d@example.com", i%2000)
		fail := failed(msg, rcpt, "refused by acme", t0.Add(1))
		if i%2 == 0 {
			fail = bounced(msg, rcpt, 452, "4.2.2", "mailbox full", t0.Add(1))
		}
		fail.ID, fail.Campaign = "f"+msg, fmt.Sprintf("c%d", i%10)
		s := sent(msg, rcpt, fail.Campaign, t0)
		s.ID = "s" + msg
		rp.Events = append(rp.Events, store.StoredEvent{Event: s, InWindow: true}, store.StoredEvent{Event: fail, InWindow: true})
	}
	b.ReportAllocs()
	for b.Loop() {
		if rep := rulebook.Compare(testPolicy, builtin, cand, rp, 5); rep.Changed != 2500 {
			b.Fatalf("changed %d", rep.Changed)
		}
	}
}
