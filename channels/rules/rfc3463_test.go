package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
)

// rfc3463 is every subject.detail RFC 3463 section 3 defines (3.1 to 3.8),
// written out by hand from the RFC rather than derived from the rule files.
var rfc3463 = []string{
	"0.0",
	"1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8",
	"2.0", "2.1", "2.2", "2.3", "2.4",
	"3.0", "3.1", "3.2", "3.3", "3.4", "3.5",
	"4.0", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7",
	"5.0", "5.1", "5.2", "5.3", "5.4", "5.5",
	"6.0", "6.1", "6.2", "6.3", "6.4", "6.5",
	"7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "7.7",
}

// later holds codes registered after RFC 3463 (RFC 4468, 4954, 5248, 6531,
// 6710, 7293, 7372, 7505) that the shipped rules name exactly.
var later = []string{
	"1.10", "5.6", "6.6", "6.7", "6.8", "6.9",
	"7.8", "7.9", "7.10", "7.11", "7.12", "7.13", "7.14", "7.15", "7.16", "7.17", "7.18", "7.19",
	"7.20", "7.21", "7.22", "7.23", "7.24", "7.25", "7.26", "7.27",
}

// recipientHard are the codes whose class 5 is the recipient's address.
var recipientHard = []string{"1.1", "1.2", "1.3", "1.4", "1.6", "1.10", "4.4", "7.17", "7.18"}

// TestRFC3463Coverage checks that every code, class 4 and 5, is decided by
// a rule naming that exact code, not by a prefix, and that only recipient
// address codes of class 5 are hard.
func TestRFC3463Coverage(t *testing.T) {
	t.Parallel()
	set := loadShipped(t)
	for _, class := range []string{"5", "4"} {
		for _, sd := range slices.Concat(rfc3463, later) {
			code := class + "." + sd
			t.Run(code, func(t *testing.T) {
				t.Parallel()
				v := set.Classify(mail(channels.Failed, 0, code, ""))
				r, ok := set.Rule(v.Rule)
				if !ok {
					t.Fatalf("verdict rule %q is not in the set (%+v)", v.Rule, v)
				}
				if !slices.Contains(r.Match.Status, code) {
					t.Errorf("decided by %s (status %v), want a rule for %s exactly", v.Rule, r.Match.Status, code)
				}
				wantHard := class == "5" && slices.Contains(recipientHard, sd)
				if got := v.Outcome == channels.OutcomeHard; got != wantHard {
					t.Errorf("%s: outcome %s, hard=%v want hard=%v", code, v.Outcome, got, wantHard)
				}
				if !strings.Contains(r.Description, "RFC") {
					t.Errorf("%s: description cites no RFC: %q", v.Rule, r.Description)
				}
			})
		}
	}
}

// TestTransientSameReason checks that class 4 gives the reason of class 5,
// soft in a failure and pending in a delay notice (a deferred event).
func TestTransientSameReason(t *testing.T) {
	t.Parallel()
	set := loadShipped(t)
	for _, sd := range slices.Concat(rfc3463, later) {
		v5 := set.Classify(mail(channels.Failed, 0, "5."+sd, ""))
		v4 := set.Classify(mail(channels.Failed, 0, "4."+sd, ""))
		if v4.Reason != v5.Reason || v4.Outcome != channels.OutcomeSoft {
			t.Errorf("X.%s: class 4 gives %s %s, class 5 %s %s", sd, v4.Outcome, v4.Reason, v5.Outcome, v5.Reason)
		}
		delay := set.Classify(mail(channels.Deferred, 0, "4."+sd, ""))
		if delay.Reason != v5.Reason || delay.Outcome != channels.OutcomePending {
			t.Errorf("X.%s: a delay notice gives %s %s, class 5 %s %s", sd, delay.Outcome, delay.Reason, v5.Outcome, v5.Reason)
		}
	}
}
