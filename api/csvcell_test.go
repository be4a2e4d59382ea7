package api

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

func TestCSVText(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"formula", `=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"plus", "+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"minus", "-2+3", "'-2+3"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"tab", "\t=1", "'\t=1"},
		{"carriage return", "\r=1", "'\r=1"},
		{"quoted formula", "'=1", "''=1"},
		{"plain", "spring", "spring"},
		{"inner equals", "a=b", "a=b"},
		{"quote alone", "'", "'"},
		{"quoted text", "'tis", "'tis"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		got := csvText(tc.in)
		if got != tc.want {
			t.Errorf("%s: csvText(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
		if back := csvUntext(got); back != tc.in {
			t.Errorf("%s: csvUntext(%q) = %q, want %q", tc.name, got, back, tc.in)
		}
	}
}

// TestCSVExportsNeutralizeFormulas: a campaign, domain, list value or
// reason chosen by a sender or an operator cannot run as a formula in the
// spreadsheet that opens an export, while numbers stay numbers.
func TestCSVExportsNeutralizeFormulas(t *testing.T) {
	t.Parallel()
	op := &fakeOperator{}
	f := newFixture(t, Config{Operator: op}, nil)
	f.reader.rates = []store.RateRow{{Channel: channels.Email, Campaign: "=cmd|' /C calc'!A0", Domain: "@x", Provider: "+p",
		Reason: "-r", ReasonGroup: "\tg", Route: "=route", Sent: -3, SoftRate: -0.5}}
	code, body := f.authed("GET", "/v1/rates?format=csv", "")
	if code != http.StatusOK {
		t.Fatalf("rates csv: %d %s", code, body)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("rates csv: %v %q", err, body)
	}
	row := map[string]string{}
	for i, c := range recs[0] {
		row[c] = recs[1][i]
	}
	for col, want := range map[string]string{"campaign": "'=cmd|' /C calc'!A0", "domain": "'@x", "provider": "'+p",
		"reason": "'-r", "reason_group": "'\tg", "route": "'=route", "sent": "-3", "soft_rate": "-0.500000"} {
		if row[col] != want {
			t.Errorf("rates csv %s = %q, want %q", col, row[col], want)
		}
	}
	op.entries = []store.ListEntry{{Channel: channels.Email, List: "deny", Kind: "domain", Value: "-x.example", Reason: "=1+1"}}
	code, body = f.authed("GET", "/v1/lists/deny?format=csv", "")
	if want := "channel,kind,value,reason,expires_at\nemail,domain,'-x.example,'=1+1,\n"; code != 200 || body != want {
		t.Errorf("list csv: %d %q, want %q", code, body, want)
	}
	// Imported again, the list keeps its values.
	op.entries = nil
	if code, resp := f.authed("POST", "/v1/lists/deny", body, "Content-Type", "text/csv"); code != 200 {
		t.Fatalf("re-import: %d %s", code, resp)
	}
	if len(op.entries) != 1 || op.entries[0].Value != "-x.example" || op.entries[0].Reason != "=1+1" {
		t.Errorf("re-imported %+v", op.entries)
	}
}
