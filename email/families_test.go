package email_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
)

// moduleFamilies maps a corpus module (Sisimai's lhost-*/rhost-* name) to
// the families (rules.Rule.Family) whose own wordings its mails carry: the
// sending MTA for lhost, the replying provider for rhost. A module absent
// here has no family of its own rules.
var moduleFamilies = map[string][]string{
	"lhost-ezweb": {"ezweb", "kddi"}, "lhost-kddi": {"kddi"}, "rhost-kddi": {"kddi"},
	"lhost-outlook": {"outlook", "exchange"}, "rhost-outlook": {"outlook", "exchange"},
	"lhost-postfix": {"postfix"}, "lhost-sendmail": {"sendmail"}, "lhost-v5sendmail": {"sendmail"},
	"lhost-yahoo": {"yahoo"}, "rhost-yahooinc": {"yahoo"}, "rhost-gsuite": {"gmail"},
	"rhost-franceptt": {"orange"}, "lhost-receivingses": {"ses"},
}

// withoutFamilies returns the shipped rules less every rule (all versions
// of its id) whose latest version belongs to one of fams.
func withoutFamilies(tb testing.TB, all []rules.Rule, fams []string) (*rules.Set, int) {
	tb.Helper()
	drop := map[string]bool{}
	latest := map[string]rules.Rule{}
	for _, r := range all {
		if r.Version > latest[r.ID].Version {
			latest[r.ID] = r
		}
	}
	for id, r := range latest {
		for _, f := range fams {
			drop[id] = drop[id] || r.Family == f
		}
	}
	var keep []rules.Rule
	for _, r := range all {
		if !drop[r.ID] {
			keep = append(keep, r)
		}
	}
	set, err := rules.NewSet(keep)
	if err != nil {
		tb.Fatalf("rules without %v: %v", fams, err)
	}
	n := 0
	for _, d := range drop {
		n += b2i(d)
	}
	return set, n
}

// TestCorpusLeaveFamilyOut scores each module's rows twice: with every
// shipped rule, and with the rules of the module's own families left out,
// the second being an estimate of how the rest of the rules do on an MTA
// or provider they were not written for. Only modules with rules of their
// own are listed. The test fails only if leaving rules out ever gains
// rows, which would mean a family's rules make verdicts worse.
func TestCorpusLeaveFamilyOut(t *testing.T) {
	t.Parallel()
	rows := scoreCorpus(t, "testdata/corpus")
	names := sisimaiReasons(t)
	all := loadRules(t).Rules(channels.Email)
	byModule := map[string][]scored{}
	for _, s := range rows {
		byModule[s.row.module] = append(byModule[s.row.module], s)
	}
	modules := make([]string, 0, len(byModule))
	for m := range byModule {
		if len(moduleFamilies[m]) > 0 {
			modules = append(modules, m)
		}
	}
	sort.Strings(modules)
	t.Logf("%-20s %-18s %5s %5s %15s %15s", "module", "families", "rules", "rows", "reason in/out", "outcome in/out")
	var tot [5]int
	for _, m := range modules {
		set, dropped := withoutFamilies(t, all, moduleFamilies[m])
		var n, rIn, rOut, oIn, oOut int
		for _, s := range byModule[m] {
			if !s.found {
				continue
			}
			n++
			rIn, oIn = rIn+b2i(s.reason), oIn+b2i(s.outcome)
			r, o := judge(s.row, set.Classify(s.got), names, s.delayed)
			rOut, oOut = rOut+b2i(r), oOut+b2i(o)
		}
		if dropped == 0 {
			continue
		}
		t.Logf("%-20s %-18s %5d %5d %7d/%-7d %7d/%-7d", m, strings.Join(moduleFamilies[m], ","), dropped, n, rIn, rOut, oIn, oOut)
		for i, v := range []int{n, rIn, rOut, oIn, oOut} {
			tot[i] += v
		}
		if rOut > rIn || oOut > oIn {
			t.Errorf("%s: leaving out its family's rules gains rows (reason %d>%d, outcome %d>%d)", m, rOut, rIn, oOut, oIn)
		}
	}
	t.Logf("%-20s %-18s %5s %5d %7d/%-7d %7d/%-7d", "TOTAL", "", "", tot[0], tot[1], tot[2], tot[3], tot[4])
	t.Log(fmt.Sprintf("reason with own rules %.1f%%, without %.1f%%", pct(tot[1], tot[0]), pct(tot[2], tot[0])))
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}
