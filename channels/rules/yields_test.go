package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

// yieldingSet is a coarse status rule that yields to one reason, a text
// rule of that reason, and a text rule of another reason between them.
func yieldingSet(tb testing.TB) *Set {
	tb.Helper()
	coarse := emailRule("status.5.1.1", 300, Match{Status: []string{"5.1.1"}}, channels.OutcomeHard, "user_unknown")
	coarse.Yields = []channels.Reason{"mailbox_full"}
	return newSet(tb, coarse,
		emailRule("text.spam", 250, Match{Text: `spam`}, channels.OutcomeSoft, "spam_detected"),
		emailRule("text.full", 200, Match{Text: `mailbox (is )?full`}, channels.OutcomeSoft, "mailbox_full"),
		emailRule("status.5.2.2", 300, Match{Status: []string{"5.2.2"}, Codes: []int{552}}, channels.OutcomeSoft, "mailbox_full"),
	)
}

func TestClassifyYields(t *testing.T) {
	t.Parallel()
	set := yieldingSet(t)
	const f = channels.Failed
	tests := []struct {
		name  string
		event channels.Event
		want  channels.Verdict
	}{
		{"the text of a yielded reason overrides the status", mail(f, 550, "5.1.1", "550 5.1.1 Mailbox is full"),
			verdict(channels.OutcomeSoft, "mailbox_full", "text.full@1", `text~"Mailbox is full" over status=5.1.1 (status.5.1.1@1)`)},
		{"a text of another reason does not", mail(f, 550, "5.1.1", "550 5.1.1 user unknown, spam"),
			verdict(channels.OutcomeHard, "user_unknown", "status.5.1.1@1", "status=5.1.1")},
		{"a yielded reason without text does not", mail(f, 552, "5.1.1", ""),
			verdict(channels.OutcomeHard, "user_unknown", "status.5.1.1@1", "status=5.1.1")},
		{"no contradiction, the status decides", mail(f, 550, "5.1.1", "user unknown"),
			verdict(channels.OutcomeHard, "user_unknown", "status.5.1.1@1", "status=5.1.1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, set.Classify(tt.event)); diff != "" {
				t.Errorf("Classify (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, set.Explain(tt.event).Verdict); diff != "" {
				t.Errorf("Explain (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExplainYields(t *testing.T) {
	t.Parallel()
	set := yieldingSet(t)
	tr := set.Explain(mail(channels.Failed, 550, "5.1.1", "spam? no: mailbox full"))
	var got []string
	for _, st := range tr.Steps {
		got = append(got, st.Rule+" "+st.Failed)
	}
	// status.5.2.2 sorts first (equal priority, more specific) and fails on
	// its status; status.5.1.1 matched but yielded; text.spam matched but
	// gives a reason the status does not yield to; text.full decided.
	want := []string{"status.5.2.2@1 codes", "status.5.1.1@1 yields", "text.spam@1 yields", "text.full@1 "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if tr.NotReached != 0 || !tr.Steps[len(tr.Steps)-1].Matched {
		t.Errorf("trace %+v: want the last step matched and nothing left", tr)
	}
}

func TestValidateYieldsAndFamily(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		yields []channels.Reason
		family string
	}{
		{"not a reason word", []channels.Reason{"Mailbox Full"}, ""},
		{"family with spaces", nil, "Office 365"},
	} {
		r := emailRule("x", 1, Match{Status: []string{"5.1.1"}}, channels.OutcomeHard, "user_unknown")
		r.Yields, r.Family = tt.yields, tt.family
		if _, err := NewSet([]Rule{r}); err == nil {
			t.Errorf("%s: NewSet accepted yields %q family %q", tt.name, tt.yields, tt.family)
		}
	}
}
