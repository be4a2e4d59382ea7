package rulebook_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/rulebook"
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

// TestQualifyUnknownSMSCode follows an err code that its dialect's table
// does not list: soft unknown_error (never hard), into the queue grouped by
// stat, err and dialect; kept, its rule outranks the unknown-code rules,
// with a message_state TLV too.
func TestQualifyUnknownSMSCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	c, reloader := f.reloaded(t)
	five := 5
	receipt := func(msg, rcpt, stat, code string, state *int, at time.Time) channels.Event {
		return channels.Event{Channel: channels.SMS, Type: channels.Failed, MessageID: msg, Recipient: rcpt, OccurredAt: at,
			SMS: &channels.SMSReceipt{Stat: stat, Err: code, Dialect: "map", MessageState: state}}
	}
	evs := []channels.Event{
		receipt("s1", "447700900001", "UNDELIV", "099", nil, t0),
		receipt("s2", "447700900002", "UNDELIV", "099", nil, t0.Add(time.Minute)),
		receipt("s3", "447700900003", "UNDELIV", "001", nil, t0),
		receipt("s4", "447700900004", "EXPIRED", "099", nil, t0),
	}
	v := f.apply(t, c, evs...) // apply fills the ids of evs
	want := []string{
		"soft unknown_error fallback.sms.err@1", "soft unknown_error fallback.sms.err@1",
		"hard unknown_subscriber sms.err.map.unknown_subscriber@2", "soft expired sms.stat.expired@1",
	}
	for i, e := range evs {
		verdict := v[e.ID]
		if got := string(verdict.Outcome) + " " + string(verdict.Reason) + " " + verdict.Rule; got != want[i] {
			t.Errorf("%s: verdict %q, want %q", e.MessageID, got, want[i])
		}
	}

	groups, err := f.book.Qualification(ctx, rulebook.QualifyQuery{Channel: channels.SMS})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].Text != "stat=UNDELIV err=099 dialect=map" || groups[0].Count != 2 {
		t.Fatalf("sms groups = %+v, want one of 2 receipts, stat=UNDELIV err=099 dialect=map", groups)
	}
	kept, err := f.book.Keep(ctx, groups[0].ID, rulebook.KeepRequest{Outcome: channels.OutcomeSoft, Reason: "handset_error"}, "ops")
	if err != nil {
		t.Fatal(err)
	}
	if kept.Rule.Priority != rulebook.KeepErrPriority {
		t.Errorf("kept rule priority = %d, want %d", kept.Rule.Priority, rulebook.KeepErrPriority)
	}
	if changed, err := reloader.Reload(ctx); err != nil || !changed {
		t.Fatalf("reload after keep: %v %v", changed, err)
	}
	v = f.apply(t, c,
		receipt("s5", "447700900005", "UNDELIV", "99", nil, t0.Add(time.Hour)),
		receipt("s6", "447700900006", "UNDELIV", "099", &five, t0.Add(time.Hour)),
	)
	for id, verdict := range v {
		if verdict.Rule != kept.Key || verdict.Reason != "handset_error" || verdict.Outcome != channels.OutcomeSoft {
			t.Errorf("event %s after keep: %+v, want %s soft handset_error", id, verdict, kept.Key)
		}
	}
}
