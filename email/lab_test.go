package email_test

import (
	"testing"
)

// Floors of the lab golden test over testdata/lab (bounces made by real
// MTAs on loopback, labelled by the cause the lab provoked; see its
// README.md). They are rebond's score today (the lab's README gives the
// score at its creation, before any rule change), so they guard against
// regressions; raise them as the classifier improves. softAsHardCeiling
// and hardAsSoftCeiling bound the two error directions of the outcome
// (a soft failure read as hard quarantines a good address; a
// hard failure read as soft keeps mailing a dead one). Never lower a floor
// or raise a ceiling to let a change through, and never edit a label.
const (
	labReasonFloor     = 0.991
	labHardSoftFloor   = 1.0
	labStatusFloor     = 0.947
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
	perMTA, all, mtas := tallyRows(t, scoreCorpus(t, "testdata/lab"))
	t.Logf("%-10s %5s %7s %7s %7s %5s %9s %9s %7s %8s %6s", "MTA", "rows", "reason", "outcome", "status", "rcpt", "soft>hard", "hard>soft", "delays", "pending", "soft")
	for _, name := range append(mtas, "TOTAL") {
		m := perMTA[name]
		if name == "TOTAL" {
			m = all
		}
		t.Logf("%-10s %5d %7d %7d %7d %5d %9d %9d %7d %8d %6d", name, m.n, m.reason, m.outcome, m.status, m.rcpt, m.softAsHard, m.hardAsSoft, m.delays, m.delayPending, m.delaySoft)
	}
	if all.n == 0 {
		t.Fatal("testdata/lab/manifest.tsv has no rows")
	}
	checkFloors(t, all.n, []floor{{"reason", all.reason, labReasonFloor}, {"hard/soft", all.outcome, labHardSoftFloor}, {"status", all.status, labStatusFloor}, {"recipient", all.rcpt, labRecipientFloor}})
	n := float64(all.n)
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
