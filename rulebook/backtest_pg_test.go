package rulebook_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/rulebook"
)

// TestBacktest is the acceptance test of the backtest: a candidate rule
// that reclassifies a stored diagnostic shows in the verdict changes, the
// recipients and the campaign rates, and the database is left exactly as
// it was.
func TestBacktest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	c, _ := f.reloaded(t)
	const gone = "Mailbox permanently closed by the Acme gateway (ref 8812)"
	v := f.apply(t, c,
		sent("m1", "ann@example.com", "spring", t0), sent("m2", "bob@example.com", "spring", t0),
		sent("m3", "cy@example.com", "autumn", t0),
		failed("m1", "ann@example.com", gone, t0.Add(time.Minute)),
		failed("m3", "cy@example.com", "Mailbox permanently closed by the Acme gateway (ref 9901)", t0.Add(2*time.Minute)),
		bounced("m2", "bob@example.com", 550, "5.1.1", "user unknown", t0.Add(3*time.Minute)),
	)
	var fallbackIDs []string
	for id, verdict := range v {
		if verdict.Rule == "fallback.email@1" && verdict.Outcome == channels.OutcomeSoft {
			fallbackIDs = append(fallbackIDs, id)
		}
	}
	if len(fallbackIDs) != 2 {
		t.Fatalf("the Acme texts must be unknown to the built-in rules: %+v", v)
	}
	before := f.dump(t)

	candidate := rules.Rule{ID: "email.text.acme.closed", Channel: channels.Email, Priority: 210,
		Match:   rules.Match{Text: `mailbox permanently closed by the acme gateway`},
		Verdict: rules.Verdict{Outcome: channels.OutcomeHard, Reason: "user_unknown"}}
	rep, err := f.book.Backtest(ctx, rulebook.BacktestRequest{Channel: channels.Email, From: t0, To: t0.Add(time.Hour),
		Rules: []rules.Rule{candidate}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events != 6 || rep.Changed != 2 || rep.StoredDiffers != 0 {
		t.Errorf("events %d changed %d stored_differs %d, want 6 2 0", rep.Events, rep.Changed, rep.StoredDiffers)
	}
	wantChange := rulebook.Change{
		From:  rulebook.VerdictKey{Rule: "fallback.email@1", Outcome: channels.OutcomeSoft, Reason: "undefined"},
		To:    rulebook.VerdictKey{Rule: "email.text.acme.closed@1", Outcome: channels.OutcomeHard, Reason: "user_unknown"},
		Count: 2,
	}
	if len(rep.Changes) != 1 || !cmp.Equal(rep.Changes[0].From, wantChange.From) || !cmp.Equal(rep.Changes[0].To, wantChange.To) ||
		rep.Changes[0].Count != 2 || len(rep.Changes[0].Examples) != 2 {
		t.Errorf("changes = %+v, want %+v", rep.Changes, wantChange)
	}
	if rep.QuarantinedTotal != 2 || len(rep.Quarantined) != 2 || rep.Quarantined[0].Address != "ann@example.com" ||
		rep.Quarantined[0].Rule != "email.text.acme.closed@1" || rep.Quarantined[1].Address != "cy@example.com" || rep.ReleasedTotal != 0 {
		t.Errorf("quarantined %d %+v, released %d", rep.QuarantinedTotal, rep.Quarantined, rep.ReleasedTotal)
	}
	wantCampaigns := []rulebook.CampaignDelta{
		{Campaign: "autumn", Before: rulebook.Counts{Sent: 1, Soft: 1, SoftRate: 1}, After: rulebook.Counts{Sent: 1, Hard: 1, HardRate: 1},
			Delta: rulebook.Counts{Soft: -1, Hard: 1, SoftRate: -1, HardRate: 1}},
		{Campaign: "spring", Before: rulebook.Counts{Sent: 2, Soft: 1, Hard: 1, SoftRate: 0.5, HardRate: 0.5},
			After: rulebook.Counts{Sent: 2, Hard: 2, HardRate: 1}, Delta: rulebook.Counts{Soft: -1, Hard: 1, SoftRate: -0.5, HardRate: 0.5}},
	}
	if diff := cmp.Diff(wantCampaigns, rep.Campaigns); diff != "" {
		t.Errorf("campaigns (-want +got):\n%s", diff)
	}

	// A new version of the built-in rule that decided m2, soft, releases
	// bob; disabling that rule changes the verdict to the next rule's.
	hardID := ruleID(t, v, channels.OutcomeHard)
	hardRule, ok := f.builtin.Rule(v[eventOf(t, v, channels.OutcomeHard)].Rule)
	if !ok {
		t.Fatal("the hard verdict names no built-in rule")
	}
	softer := hardRule
	softer.Version, softer.Verdict = 0, rules.Verdict{Outcome: channels.OutcomeSoft, Reason: "mailbox_full"}
	rep, err = f.book.Backtest(ctx, rulebook.BacktestRequest{Channel: channels.Email, From: t0, To: t0.Add(time.Hour), Rules: []rules.Rule{softer}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed != 1 || rep.ReleasedTotal != 1 || rep.Released[0].Address != "bob@example.com" || rep.Released[0].After != "active" ||
		rep.Rules[0].Version != hardRule.Version+1 {
		t.Errorf("softer override: changed %d released %+v rules %+v", rep.Changed, rep.Released, rep.Rules)
	}
	rep, err = f.book.Backtest(ctx, rulebook.BacktestRequest{Channel: channels.Email, From: t0, To: t0.Add(time.Hour), Disable: []string{hardID}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed != 1 || rep.Changes[0].From.Rule != hardRule.Key() || rep.Changes[0].To.Rule == hardRule.Key() || !rep.Rules[0].Disabled {
		t.Errorf("disable %s: %+v", hardID, rep.Changes)
	}

	// A candidate that matches nothing changes nothing; a window without
	// events replays nothing.
	quiet := candidate
	quiet.Match.Text = `never written by anyone`
	rep, err = f.book.Backtest(ctx, rulebook.BacktestRequest{Channel: channels.Email, From: t0, To: t0.Add(time.Hour), Rules: []rules.Rule{quiet}})
	if err != nil || rep.Changed != 0 || len(rep.Campaigns) != 0 || rep.QuarantinedTotal != 0 {
		t.Errorf("quiet candidate: %v %+v", err, rep)
	}
	rep, err = f.book.Backtest(ctx, rulebook.BacktestRequest{Channel: channels.Email, From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour), Rules: []rules.Rule{candidate}})
	if err != nil || rep.Events != 0 || rep.Changed != 0 {
		t.Errorf("empty window: %v %+v", err, rep)
	}
	for name, req := range map[string]rulebook.BacktestRequest{
		"bad rule":        {Channel: channels.Email, From: t0, To: t0.Add(time.Hour), Rules: []rules.Rule{{ID: "x", Channel: channels.Email}}},
		"unknown id":      {Channel: channels.Email, From: t0, To: t0.Add(time.Hour), Disable: []string{"no.such.rule"}},
		"no window":       {Channel: channels.Email, Rules: []rules.Rule{candidate}},
		"unknown channel": {Channel: "fax", From: t0, To: t0.Add(time.Hour)},
	} {
		if _, err := f.book.Backtest(ctx, req); !errors.Is(err, rulebook.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}

	if diff := cmp.Diff(before, f.dump(t)); diff != "" {
		t.Errorf("a backtest changed the database (-before +after):\n%s", diff)
	}
}

// ruleID returns the id (without version) of the rule that gave an event
// outcome o.
func ruleID(t *testing.T, v map[string]channels.Verdict, o channels.Outcome) string {
	t.Helper()
	id, _, _ := strings.Cut(v[eventOf(t, v, o)].Rule, "@")
	return id
}

// eventOf returns the id of the event with outcome o.
func eventOf(t *testing.T, v map[string]channels.Verdict, o channels.Outcome) string {
	t.Helper()
	for id, verdict := range v {
		if verdict.Outcome == o {
			return id
		}
	}
	t.Fatalf("no event with outcome %s in %+v", o, v)
	return ""
}
