package channels

import (
	"os"
	"regexp"
	"testing"
)

func TestReasonGroup(t *testing.T) {
	for _, tc := range []struct {
		ch   Channel
		r    Reason
		want string
	}{
		{Email, "user_unknown", "unknown user"}, {Email, "mailbox_full", "mailbox full"}, {Email, "blocked", "refused"},
		{Email, "suppressed", "quarantined address"}, {SMS, "absent_subscriber", "unreachable handset"},
		{SMS, "unknown_subscriber", "invalid number"}, {SMS, "expired", "message state"}, {Email, "expired", "unreachable"},
		{Email, "made_up", "other"},
	} {
		if got := ReasonGroup(tc.ch, tc.r); got != tc.want {
			t.Errorf("ReasonGroup(%s, %s) = %q, want %q", tc.ch, tc.r, got, tc.want)
		}
	}
}

// TestEveryDocumentedReasonHasAGroup reads docs/REASONS.md: every email
// reason of its table is grouped, so the vocabulary and the groups cannot
// drift apart silently.
func TestEveryDocumentedReasonHasAGroup(t *testing.T) {
	doc, err := os.ReadFile("../docs/REASONS.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| (delivered|soft|hard|complaint|ignored|hard \\(soft on 4xx\\)) \\|").FindAllStringSubmatch(string(doc), -1)
	if len(rows) < 30 {
		t.Fatalf("found %d email reasons in REASONS.md", len(rows))
	}
	for _, m := range rows {
		if g := ReasonGroup(Email, Reason(m[1])); g == "other" {
			t.Errorf("email reason %s has no group", m[1])
		}
	}
}
