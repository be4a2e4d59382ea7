package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestAdminTokenScriptWritesOwnerOnly: the token `make run` generates is
// readable by its owner only, and a token an older version left 0644 is
// tightened, not regenerated.
func TestAdminTokenScriptWritesOwnerOnly(t *testing.T) {
	t.Parallel()
	script, err := filepath.Abs("../../deploy/local/admin-token.sh")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	run := func() {
		t.Helper()
		cmd := exec.Command("bash", script, dir)
		if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
			t.Fatalf("admin-token.sh: %v, output %q", err, out)
		}
	}
	mode := func(p string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	file := filepath.Join(dir, "admin-token")
	run()
	tok, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) < 16 {
		t.Errorf("token of %d bytes, want at least %d", len(tok), 16)
	}
	if m := mode(file); m != 0o600 {
		t.Errorf("admin-token mode %o, want 600", m)
	}
	if m := mode(dir); m&0o077 != 0 {
		t.Errorf("data dir mode %o, readable by others", m)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	run()
	again, _ := os.ReadFile(file)
	if string(again) != string(tok) {
		t.Error("an existing token was replaced")
	}
	if m := mode(file); m != 0o600 {
		t.Errorf("an existing 0644 token stays %o, want 600", m)
	}
}
