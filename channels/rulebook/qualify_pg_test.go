package rulebook_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rulebook"
	"github.com/rebond/rebond/store"
)

// TestQualificationToRule is the acceptance test of the queue: unknown
// diagnostics are grouped by their masked text; keeping the group
// publishes a rule that the worker's next reload applies to new events
// through the apply path; ignoring a group closes it.
func TestQualificationToRule(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	c, reloader := f.reloaded(t)
	greylist := func(rcpt, ip, ref string) string {
		return "Parked by Acme Shield: sender " + ip + " must retry <" + rcpt + "> ticket " + ref
	}
	v := f.apply(t, c,
		failed("m1", "ann@example.com", greylist("ann@example.com", "192.0.2.1", "7731"), t0),
		failed("m2", "bob@example.org", greylist("bob@example.org", "198.51.100.77", "88213"), t0.Add(time.Minute)),
		channels.Event{Channel: channels.Email, Type: channels.Deferred, MessageID: "m3", Recipient: "cy@example.net", OccurredAt: t0.Add(2 * time.Minute),
			SMTP: &channels.SMTPReply{Text: greylist("cy@example.net", "203.0.113.9", "1")}},
		failed("m4", "dee@example.com", "Frobnication quota of the gateway reached", t0.Add(3*time.Minute)),
		failed("m5", "eve@example.com", "550 5.1.1 user unknown", t0.Add(4*time.Minute)),
		channels.Event{Channel: channels.SMS, Type: channels.Failed, MessageID: "s1", Recipient: "447700900123", OccurredAt: t0,
			SMS: &channels.SMSReceipt{Stat: "WEIRDSTAT", Err: "77", Dialect: "acme"}},
	)
	for id, verdict := range v {
		if !strings.HasPrefix(verdict.Rule, "fallback.") {
			t.Fatalf("event %s must be unknown to the built-in rules: %+v", id, verdict)
		}
	}

	groups, err := f.book.Qualification(ctx, rulebook.QualifyQuery{Channel: channels.Email})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 3 {
		t.Fatalf("groups = %+v, want 3 (greylist x3, frobnication, the code-less 'user unknown')", groups)
	}
	g := groups[0]
	wantText := "parked by acme shield: sender <ip> must retry <<addr>> ticket <n>"
	if g.Text != wantText || g.Count != 3 || len(g.Examples) != 3 || g.State != "open" || !g.FirstSeen.Equal(t0) ||
		!g.LastSeen.Equal(t0.Add(2*time.Minute)) || g.Sample != greylist("cy@example.net", "203.0.113.9", "1") {
		t.Errorf("largest group = %+v", g)
	}
	sms, err := f.book.Qualification(ctx, rulebook.QualifyQuery{Channel: channels.SMS})
	if err != nil || len(sms) != 1 || sms[0].Text != "stat=WEIRDSTAT err=77 dialect=acme" {
		t.Errorf("sms groups: %v %+v", err, sms)
	}

	kept, err := f.book.Keep(ctx, g.ID, rulebook.KeepRequest{Outcome: channels.OutcomeSoft, Reason: "policy_violation"}, "ops@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if kept.Key != "email.qualified."+g.ID+"@1" || kept.State != store.RuleActive || kept.Rule.Priority != rulebook.KeepPriority {
		t.Errorf("kept = %+v", kept)
	}
	if _, err := f.book.Keep(ctx, g.ID, rulebook.KeepRequest{Outcome: channels.OutcomeSoft, Reason: "policy_violation"}, "x"); !errors.Is(err, rulebook.ErrConflict) {
		t.Errorf("keeping twice: %v, want ErrConflict", err)
	}
	open, err := f.book.Qualification(ctx, rulebook.QualifyQuery{Channel: channels.Email})
	if err != nil || len(open) != 2 {
		t.Errorf("open groups after keep: %v %+v", err, open)
	}
	all, err := f.book.Qualification(ctx, rulebook.QualifyQuery{State: "kept"})
	if err != nil || len(all) != 1 || all[0].Rule != kept.Key {
		t.Errorf("kept groups: %v %+v", err, all)
	}

	// The worker's next reload picks the rule up; a new event with the same
	// text but other variable parts gets it through the apply path, and an
	// event of another text still falls back.
	if changed, err := reloader.Reload(ctx); err != nil || !changed {
		t.Fatalf("reload after keep: %v %v", changed, err)
	}
	v = f.apply(t, c,
		failed("m6", "fay@example.com", greylist("fay@example.com", "2001:db8::7", "424242"), t0.Add(time.Hour)),
		failed("m7", "gus@example.com", "Something else entirely", t0.Add(time.Hour)))
	for _, verdict := range v {
		switch verdict.Rule {
		case kept.Key:
			if verdict.Outcome != channels.OutcomeSoft || verdict.Reason != "policy_violation" || !strings.HasPrefix(verdict.Evidence, "type=failed text~") {
				t.Errorf("kept rule verdict = %+v", verdict)
			}
		case "fallback.email@1":
		default:
			t.Errorf("unexpected verdict %+v", verdict)
		}
	}
	if len(v) != 2 {
		t.Fatalf("verdicts = %+v, want two", v)
	}
	if n := countRule(v, kept.Key); n != 1 {
		t.Errorf("%d events got the kept rule, want 1: %+v", n, v)
	}
	if changed, err := reloader.Reload(ctx); err != nil || changed {
		t.Errorf("a reload with no new rule must not rebuild: %v %v", changed, err)
	}

	// Ignoring closes a group; a second decision is a conflict; an
	// unknown group is not found; a bad verdict is invalid.
	frob := open[0]
	if _, err := f.book.Keep(ctx, frob.ID, rulebook.KeepRequest{Outcome: "fatal", Reason: "x"}, "ops"); !errors.Is(err, rulebook.ErrInvalid) {
		t.Errorf("bad outcome: %v", err)
	}
	if _, err := f.book.Ignore(ctx, frob.ID, "ops"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.book.Ignore(ctx, frob.ID, "ops"); !errors.Is(err, rulebook.ErrConflict) {
		t.Errorf("ignoring twice: %v", err)
	}
	if _, err := f.book.Ignore(ctx, "qnothing", "ops"); !errors.Is(err, rulebook.ErrNotFound) {
		t.Errorf("unknown group: %v", err)
	}
	ignored, err := f.book.Qualification(ctx, rulebook.QualifyQuery{State: "ignored"})
	if err != nil || len(ignored) != 1 || ignored[0].ID != frob.ID {
		t.Errorf("ignored groups: %v %+v", err, ignored)
	}

	// An SMS group becomes a rule on stat, err and dialect.
	smsRule, err := f.book.Keep(ctx, sms[0].ID, rulebook.KeepRequest{Outcome: channels.OutcomeHard, Reason: "invalid_number"}, "ops")
	if err != nil {
		t.Fatal(err)
	}
	if m := smsRule.Rule.Match; m.Dialect != "acme" || len(m.Err) != 1 || m.Err[0] != "77" || m.Stat[0] != "WEIRDSTAT" {
		t.Errorf("sms rule match = %+v", m)
	}
}

func countRule(v map[string]channels.Verdict, key string) int {
	n := 0
	for _, verdict := range v {
		if verdict.Rule == key {
			n++
		}
	}
	return n
}
