package email_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/configs"
	"github.com/rebond/rebond/email"
)

// Score floors of the corpus golden test over testdata/corpus (the train
// half of the email corpus, labels from Sisimai's test suite; see its
// README.md). The targets were reason 0.97, hard/soft 0.99, status 0.97,
// recipient 0.99; the floors are what the parser and rules reached last
// (315, 319, 321 and 320 of 322 rows), all four above their targets. The
// rows still missed are labels that contradict the shipped rules or the
// mail's own words: Gmail's "you tried to reach does not exist" under a
// bare 5.0.0 (its RCPT TO reply, user_unknown here, filtered in Sisimai);
// X.2.1 with "User Unknown" is suspend or filtered by which module read it;
// EZweb's "account is disabled" template above a reply to RCPT TO that says
// the address does not exist; a text part's "Not enough disk space" against
// its own DSN's 5.1.1; a 421 to QUIT labelled over the 554 that refused
// the mail; "You cannot send E-Mail to yourself" after DATA labelled a
// block of the sending host; and a delay notice under a bare 4.4.0 (expired in Sisimai),
// which only a class-4 rule against channels/rules' "class 4 gives the
// reason of class 5" would meet; and two ARF reports whose recipient is
// only a placeholder (go test -v lists every miss). Never lower a
// floor to let a change through, and never edit a label.
const (
	reasonFloor    = 0.978
	hardSoftFloor  = 0.990
	statusFloor    = 0.996
	recipientFloor = 0.993
)

// corpusRow is one line of a manifest in the format of
// testdata/corpus/manifest.tsv (the lab's, testdata/lab/manifest.tsv, too).
type corpusRow struct {
	path, module, reason, hard, status, code, feedback, recipient string
	index                                                         int
}

// readManifest reads dir's manifest.tsv (TAB-separated, one header line).
func readManifest(tb testing.TB, dir string) []corpusRow {
	tb.Helper()
	f, err := os.Open(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		tb.Fatalf("open manifest: %v", err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if n == 1 {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 9 {
			tb.Fatalf("manifest line %d: %d fields, want 9", n, len(c))
		}
		r := corpusRow{path: c[0], module: c[2], reason: c[3], hard: c[4], status: c[5], code: c[6], feedback: c[7], recipient: c[8]}
		if _, err := fmt.Sscan(c[1], &r.index); err != nil {
			tb.Fatalf("manifest line %d: index %q: %v", n, c[1], err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read manifest: %v", err)
	}
	return rows
}

// sisimaiReasons maps Sisimai's reason names to rebond's, read from the
// email table of docs/REASONS.md (its "Sisimai" column), so the test scores
// against the documented mapping and nothing else.
func sisimaiReasons(tb testing.TB) map[string]channels.Reason {
	tb.Helper()
	doc, err := os.ReadFile("../docs/REASONS.md")
	if err != nil {
		tb.Fatalf("read REASONS.md: %v", err)
	}
	_, emailTable, _ := strings.Cut(string(doc), "## Email reasons")
	emailTable, _, _ = strings.Cut(emailTable, "\n## ")
	m := map[string]channels.Reason{}
	for _, line := range strings.Split(emailTable, "\n") {
		c := strings.Split(line, "|")
		if len(c) < 5 || !strings.HasPrefix(strings.TrimSpace(c[1]), "`") {
			continue
		}
		m[strings.TrimSpace(c[3])] = channels.Reason(strings.Trim(strings.TrimSpace(c[1]), "`"))
	}
	if len(m) < 30 {
		tb.Fatalf("REASONS.md: read %d email reasons, want the whole table", len(m))
	}
	return m
}

// wantOutcome is the outcome a row's labels call for under rebond's
// policy. Sisimai's hard flag is followed, with one documented difference:
// configs/rules/email.yaml (header) makes every class 4 status soft, "the
// same reason, soft", so a user_unknown labelled hard with a 4.x.x status
// (Postfix's 450 4.1.1) is soft here. A row that is not a bounce (hard
// flag "-") with any other reason is a delay notice (testdata/lab/README.md):
// the message is still queued, pending (RFC 3464 §2.3.3, action delayed).
func wantOutcome(r corpusRow) channels.Outcome {
	switch {
	case r.reason == "delivered":
		return channels.OutcomeDelivered
	case r.reason == "feedback":
		return channels.OutcomeComplaint
	case r.reason == "vacation":
		return channels.OutcomeIgnored
	case r.hard == "-":
		return channels.OutcomePending
	case r.hard == "1" && strings.HasPrefix(r.status, "4."):
		return channels.OutcomeSoft
	case r.hard == "1":
		return channels.OutcomeHard
	}
	return channels.OutcomeSoft
}

// statusMatches compares a status with the label. Sisimai writes a pseudo
// status X.0.9NN when the bounce carries none (README.md), where rebond's
// event says X.0.0 of the same class (see email.Report.Events).
func statusMatches(got, want string) bool {
	if want == "-" {
		return got == ""
	}
	if strings.HasPrefix(want[1:], ".0.9") {
		return got == want[:1]+".0.0"
	}
	return got == want
}

// scored is one row's outcome in the golden test.
type scored struct {
	row                          corpusRow
	got                          channels.Event
	verdict                      channels.Verdict
	found                        bool
	reason, outcome, status, rcp bool
}

// scoreCorpus parses every mail of dir's manifest (paths relative to dir)
// and scores each row.
func scoreCorpus(tb testing.TB, dir string) []scored {
	tb.Helper()
	set := loadRules(tb)
	names := sisimaiReasons(tb)
	events := map[string][]channels.Event{}
	var out []scored
	for _, row := range readManifest(tb, dir) {
		evs, ok := events[row.path]
		if !ok {
			raw, err := os.ReadFile(filepath.Join(dir, row.path))
			if err != nil {
				tb.Fatalf("%s: %v", row.path, err)
			}
			// A file may be an mbox of several mails (RFC 4155), as
			// Sisimai reads it: its recipients are numbered across them.
			for _, msg := range email.SplitMbox(raw) {
				rep, err := email.Parse(msg)
				if err != nil {
					tb.Errorf("%s: Parse: %v", row.path, err)
					continue
				}
				evs = append(evs, rep.Events(email.EventOptions{MaxRaw: -1})...)
			}
			events[row.path] = evs
		}
		s := scored{row: row}
		if row.index <= len(evs) {
			s.found, s.got = true, evs[row.index-1]
			s.verdict = set.Classify(s.got)
			s.reason, s.outcome = judge(row, s.verdict, names)
			st := ""
			if s.got.SMTP != nil {
				st = s.got.SMTP.Status
			}
			s.status = statusMatches(st, row.status)
			s.rcp = row.recipient == "-" || s.got.Recipient == row.recipient
		}
		out = append(out, s)
	}
	return out
}

// loadRules loads the shipped rules (configs/rules/*.yaml).
func loadRules(tb testing.TB) *rules.Set {
	tb.Helper()
	set, err := rules.Load(configs.Files, "rules/*.yaml")
	if err != nil {
		tb.Fatalf("load rules: %v", err)
	}
	return set
}

// judge says whether verdict v gives the row's reason (through
// REASONS.md's Sisimai column) and its outcome.
func judge(row corpusRow, v channels.Verdict, names map[string]channels.Reason) (reason, outcome bool) {
	want, known := names[row.reason]
	if row.reason == "feedback" {
		want, known = channels.ReasonComplaint, true
	}
	return known && v.Reason == want, v.Outcome == wantOutcome(row)
}

// TestCorpusGolden parses and classifies every labelled row of the corpus
// and checks the shares of right reasons, outcomes (hard/soft), statuses
// and recipients against the floors. With -v it logs every miss and a
// per-module table.
func TestCorpusGolden(t *testing.T) {
	t.Parallel()
	perModule, all, modules := tallyRows(t, scoreCorpus(t, "testdata/corpus"))
	t.Logf("%-24s %5s %7s %7s %7s %7s", "module", "rows", "reason", "outcome", "status", "rcpt")
	for _, name := range append(modules, "TOTAL") {
		m := perModule[name]
		if name == "TOTAL" {
			m = all
		}
		t.Logf("%-24s %5d %7d %7d %7d %7d", name, m.n, m.reason, m.outcome, m.status, m.rcpt)
	}
	t.Logf("outcome errors: soft read as hard %d, hard read as soft %d", all.softAsHard, all.hardAsSoft)
	checkFloors(t, all.n, []floor{{"reason", all.reason, reasonFloor}, {"hard/soft", all.outcome, hardSoftFloor}, {"status", all.status, statusFloor}, {"recipient", all.rcpt, recipientFloor}})
}

// tally counts the right rows of a golden test, the outcome's errors in
// each direction (issue 14: a soft failure read as hard quarantines a good
// address; a hard one read as soft keeps mailing a dead one), and the
// delay notices (rows whose expected outcome is pending) by what they
// were read as.
type tally struct {
	n, reason, outcome, status, rcpt int
	softAsHard, hardAsSoft           int
	delays, delayPending, delaySoft  int
}

func (tl *tally) add(s scored) {
	want, got := wantOutcome(s.row), s.verdict.Outcome
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

// tallyRows tallies scored rows per module (the manifest's mta_module)
// and in total, logs every row with a miss, and returns the module names
// sorted.
func tallyRows(t *testing.T, rows []scored) (map[string]*tally, *tally, []string) {
	t.Helper()
	perModule := map[string]*tally{}
	all := &tally{}
	var modules []string
	for _, s := range rows {
		m := perModule[s.row.module]
		if m == nil {
			m = &tally{}
			perModule[s.row.module] = m
			modules = append(modules, s.row.module)
		}
		m.add(s)
		all.add(s)
		if !(s.reason && s.outcome && s.status && s.rcp) {
			t.Logf("miss %s#%d [%s]: want %s/%s %s %s %s; got %s/%s %s %d %s (%s: %s)%s",
				s.row.path, s.row.index, s.row.module, s.row.reason, wantOutcome(s.row), s.row.status, s.row.code, s.row.recipient,
				s.verdict.Outcome, s.verdict.Reason, status(s.got), code(s.got), s.got.Recipient, s.verdict.Rule, s.verdict.Evidence, notFound(s.found))
		}
	}
	sort.Strings(modules)
	return perModule, all, modules
}

// floor is one score of a golden test: ok right rows out of the total,
// and the share that must at least be reached.
type floor struct {
	name  string
	ok    int
	share float64
}

// checkFloors logs each score over n rows and fails the ones below their floor.
func checkFloors(t *testing.T, n int, floors []floor) {
	t.Helper()
	for _, c := range floors {
		got := float64(c.ok) / float64(n)
		t.Logf("%-9s %3d/%d = %.1f%% (floor %.1f%%)", c.name, c.ok, n, 100*got, 100*c.share)
		if got < c.share {
			t.Errorf("%s accuracy %.3f below the floor %.3f", c.name, got, c.share)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func status(e channels.Event) string {
	if e.SMTP == nil {
		return "-"
	}
	return e.SMTP.Status
}

func code(e channels.Event) int {
	if e.SMTP == nil {
		return 0
	}
	return e.SMTP.Code
}

func notFound(found bool) string {
	if found {
		return ""
	}
	return " NO EVENT"
}
