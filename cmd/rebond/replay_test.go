package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/rebond/rebond/internal/testsvc"
)

// TestReplayCLI drives `rebond replay` against a real database (the
// replay itself is tested in rulebook). It sets
// REBOND_DATABASE_URL, so it does not run in parallel.
func TestReplayCLI(t *testing.T) {
	t.Setenv("REBOND_DATABASE_URL", testsvc.Postgres(t))
	if _, err := rebondCLI(t, "migrate"); err != nil {
		t.Fatal(err)
	}
	// go test's stdin is not a terminal: without --yes a replay refuses.
	if _, err := rebondCLI(t, "replay", "--from", "2026-11-01", "--to", "2026-11-02"); !errors.Is(err, errNotConfirmed) {
		t.Errorf("replay without --yes: %v, want errNotConfirmed", err)
	}
	for _, s := range []struct {
		args []string
		want string
	}{
		{[]string{"replay", "--from", "2026-11-01", "--to", "2026-11-02", "--dry-run"}, "0 applied events replayed; 0 verdicts would change"},
		{[]string{"replay", "--channel", "email", "--from", "2026-11-01", "--to", "2026-11-02", "--yes"}, "0 verdicts changed, 0 message statuses changed"},
		{[]string{"replay", "--from", "2026-11-01", "--to", "2026-11-02", "--yes", "--json"}, `"dry_run": false`},
	} {
		out, err := rebondCLI(t, s.args...)
		if err != nil || !strings.Contains(out, s.want) {
			t.Errorf("rebond %s: %v\n%s\nwant %q", strings.Join(s.args, " "), err, out, s.want)
		}
	}
	if _, err := rebondCLI(t, "replay", "--channel", "fax", "--from", "2026-11-01", "--to", "2026-11-02", "--yes"); err == nil {
		t.Error("replay --channel fax: no error")
	}
}
