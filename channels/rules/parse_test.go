package rules

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

func TestParse(t *testing.T) {
	t.Parallel()
	data := `
channel: email
rules:
  - id: one
    version: 2
    priority: 300
    description: RFC 3463 X.1.1
    match: {status: 5.1.1, codes: 550, types: failed}
    verdict: {outcome: hard, reason: user_unknown}
  - id: two
    version: 1
    channel: sms
    disabled: true
    match:
      stat: [UNDELIV, "undeliverable"]
      err: ["001"]
      dialect: map
      network_error: "03"
      message_state: 5
    verdict: {outcome: hard, reason: unknown_subscriber}
`
	got, err := Parse([]byte(data))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []Rule{
		{
			ID: "one", Version: 2, Channel: channels.Email, Priority: 300, Description: "RFC 3463 X.1.1",
			Match:   Match{Status: []string{"5.1.1"}, Codes: []int{550}, Types: []channels.Type{channels.Failed}},
			Verdict: Verdict{channels.OutcomeHard, channels.ReasonUserUnknown},
		},
		{
			ID: "two", Version: 1, Channel: channels.SMS, Disabled: true,
			Match: Match{
				Stat: []string{"UNDELIV", "undeliverable"}, Err: []string{"001"}, Dialect: "map",
				NetworkError: []string{"03"}, MessageState: []int{5},
			},
			Verdict: Verdict{channels.OutcomeHard, "unknown_subscriber"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "empty document"},
		{"not a mapping", "- a\n", "want a mapping with a rules list"},
		{"no rules", "channel: email\n", "want a top-level rules list"},
		{"rules not a list", "rules: {id: a}\n", "want a top-level rules list"},
		{"unknown top-level key", "rulez: []\n", `line 1: unknown top-level key "rulez"`},
		{"unknown rule key", "rules:\n  - id: r1\n    verion: 2\n", `rule "r1": line 3: unknown key "verion"`},
		{"unknown match key", "rules:\n  - id: r1\n    match: {staus: 5.1.1}\n", `rule "r1": line 3: unknown key "match.staus"`},
		{"unknown verdict key", "rules:\n  - id: r1\n    verdict: {outcom: hard}\n", `rule "r1": line 3: unknown key "verdict.outcom"`},
		{"rule without id", "rules:\n  - {version: 1}\n  - {vers: 1}\n", `rule #2: line 3: unknown key "vers"`},
		{"rule not a mapping", "rules:\n  - 5\n", "rule #1: line 2: a rule must be a mapping"},
		{"match not a mapping", "rules:\n  - {id: r1, match: [1]}\n", `rule "r1": line 2: match. must be a mapping`},
		{"wrong type", "rules:\n  - {id: r1, version: one}\n", `rule "r1": yaml: unmarshal errors`},
		{"wrong list type", "rules:\n  - {id: r1, match: {codes: [five]}}\n", `rule "r1": yaml: unmarshal errors`},
		{"duplicate key", "rules:\n  - {id: r1, id: r2}\n", `already defined`},
		{"bad yaml", "rules: [\n", "parse rules: yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// FuzzParse feeds Parse and NewSet arbitrary bytes, seeded with the head of
// each shipped file (whole files make the fuzzer crawl): they must return
// an error, never panic.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"../../configs/rules/email.yaml", "../../configs/rules/sms.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(head(data, 4))
	}
	f.Add([]byte("rules:\n  - &a {id: x, match: *a}\n"))
	f.Add([]byte("channel: sms\nrules:\n  - {id: x, version: 1, match: {stat: 5}, verdict: {outcome: soft, reason: x}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Parse(data)
		if err != nil {
			return
		}
		if s, err := NewSet(rs); err == nil {
			s.Classify(mail(channels.Failed, 550, "5.1.1", "user unknown"))
			s.Classify(receipt(channels.Failed, "UNDELIV", "1", "map", "030001", 5))
		}
	})
}

// head returns data cut before its nth rule.
func head(data []byte, n int) []byte {
	at := 0
	for range n {
		i := bytes.Index(data[at+1:], []byte("\n  - id:"))
		if i < 0 {
			return data
		}
		at += 1 + i
	}
	return data[:at+1]
}
