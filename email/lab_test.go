package email_test

import (
	"sort"
	"testing"

	"github.com/rebond/rebond/channels"
)

// Floors of the lab golden test over testdata/lab (bounces made by real
// MTAs on loopback, labelled by the cause the lab provoked; see its
// README.md). They are rebond's score when the lab was created, before any
// rule was written for it, so they guard against regressions; the
// coordinator raises them as the classifier improves. softAsHardCeiling
// and hardAsSoftCeiling bound the two error directions of the outcome
// (issue 14: a soft failure read as hard quarantines a good address; a
// hard failure read as soft keeps mailing a dead one). Never lower a floor
// or raise a ceiling to let a change through, and never edit a label.
const (
	labReasonFloor     = 0.916
	labHardSoftFloor   = 0.791
	labStatusFloor     = 0.916
	labRecipientFloor  = 1.0
	labSoftAsHardLimit = 0.0
	labHardAsSoftLimit = 0.0
)

// TestLabGolden scores rebond on the lab as TestCorpusGolden scores the
// corpus, with a table per sending MTA, the two error directions of the
// outcome apart, and what became of the delay notices (pending is right;
// soft is the error that feeds soft rates).
func TestLabGolden(t *testing.T) {
	t.Parallel()
	rows := scoreCorpus(t, "testdata/lab")
	type tally struct{ n, reason, outcome, status, rcpt, softAsHard, hardAsSoft, delays, delayPending, delaySoft int }
	perMTA := map[string]*tally{}
	var all tally
	for _, s := range rows {
		m := perMTA[s.row.module]
		if m == nil {
			m = &tally{}
			perMTA[s.row.module] = m
		}
		want, got := wantOutcome(s.row), s.verdict.Outcome
		for _, tl := range []*tally{m, &all} {
			tl.n++
			tl.reason += b2i(s.reason)
			tl.outcome += b2i(s.outcome)
			tl.status += b2i(s.status)
			tl.rcpt += b2i(s.rcp)
			tl.softAsHard += b2i(want != channels.OutcomeHard && got == channels.OutcomeHard)
			tl.hardAsSoft += b2i(want == channels.OutcomeHard && got != channels.OutcomeHard)
			if want == channels.OutcomePending {
				tl.delays++
				tl.delayPending += b2i(got == channels.OutcomePending)
				tl.delaySoft += b2i(got == channels.OutcomeSoft)
			}
		}
		if !(s.reason && s.outcome && s.status && s.rcp) {
			t.Logf("miss %s#%d: want %s/%s %s %s %s; got %s/%s %s %d %s (%s: %s)%s",
				s.row.path, s.row.index, s.row.reason, want, s.row.status, s.row.code, s.row.recipient,
				got, s.verdict.Reason, status(s.got), code(s.got), s.got.Recipient, s.verdict.Rule, s.verdict.Evidence, notFound(s.found))
		}
	}
	mtas := make([]string, 0, len(perMTA))
	for m := range perMTA {
		mtas = append(mtas, m)
	}
	sort.Strings(mtas)
	t.Logf("%-10s %5s %7s %7s %7s %5s %9s %9s %7s %8s %6s", "MTA", "rows", "reason", "outcome", "status", "rcpt", "soft>hard", "hard>soft", "delays", "pending", "soft")
	for _, name := range append(mtas, "TOTAL") {
		m := perMTA[name]
		if name == "TOTAL" {
			m = &all
		}
		t.Logf("%-10s %5d %7d %7d %7d %5d %9d %9d %7d %8d %6d", name, m.n, m.reason, m.outcome, m.status, m.rcpt, m.softAsHard, m.hardAsSoft, m.delays, m.delayPending, m.delaySoft)
	}
	if all.n == 0 {
		t.Fatal("testdata/lab/manifest.tsv has no rows")
	}
	n := float64(all.n)
	for _, c := range []struct {
		name  string
		ok    int
		floor float64
	}{{"reason", all.reason, labReasonFloor}, {"hard/soft", all.outcome, labHardSoftFloor}, {"status", all.status, labStatusFloor}, {"recipient", all.rcpt, labRecipientFloor}} {
		t.Logf("%-9s %3d/%d = %.1f%% (floor %.1f%%)", c.name, c.ok, all.n, 100*float64(c.ok)/n, 100*c.floor)
		if float64(c.ok)/n < c.floor {
			t.Errorf("%s accuracy %.3f below the floor %.3f", c.name, float64(c.ok)/n, c.floor)
		}
	}
	for _, c := range []struct {
		name  string
		bad   int
		limit float64
	}{{"soft read as hard", all.softAsHard, labSoftAsHardLimit}, {"hard read as soft", all.hardAsSoft, labHardAsSoftLimit}} {
		t.Logf("%-17s %3d/%d = %.1f%% (ceiling %.1f%%)", c.name, c.bad, all.n, 100*float64(c.bad)/n, 100*c.limit)
		if float64(c.bad)/n > c.limit {
			t.Errorf("%s: %.3f above the ceiling %.3f", c.name, float64(c.bad)/n, c.limit)
		}
	}
	t.Logf("delay notices %d: read as pending %d, as soft %d", all.delays, all.delayPending, all.delaySoft)
}
