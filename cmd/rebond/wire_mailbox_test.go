package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateMailboxes(t *testing.T) {
	t.Parallel()
	ok := MailboxConfig{Name: "acme", Addr: "imap.example.com:993", Username: "u", Password: "short"}
	for _, tc := range []struct {
		name  string
		boxes []MailboxConfig
		want  string // "" = valid
	}{
		{"a short provider password", []MailboxConfig{ok}, ""},
		{"password_file", []MailboxConfig{{Name: "a", Addr: "h:993", Username: "u", PasswordFile: "/run/x"}}, ""},
		{"placeholder", []MailboxConfig{{Name: "a", Addr: "h:993", Username: "u", Password: placeholderPrefix + "imap"}}, "mailboxes[0].password"},
		{"twice", []MailboxConfig{ok, ok}, `mailboxes[1].name: "acme" is used twice`},
		{"bad tenant", []MailboxConfig{{Name: "a", Tenant: "A B", Addr: "h:993", Username: "u", Password: "p"}}, "mailboxes[0].tenant"},
		{"plain text over a network", []MailboxConfig{{Name: "a", TLS: "none", Addr: "h:143", Username: "u", Password: "p"}}, "mailboxes[0].tls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Config{Mailboxes: tc.boxes}.validateMailboxes()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid mailboxes refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestMailboxPasswordFile: the file's content is the password, without
// its trailing newline; the default tenant is empty on the wire.
func TestMailboxPasswordFile(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(f, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := MailboxConfig{Name: "a", Tenant: "default", Addr: "h:993", Username: "u", PasswordFile: f}.mailbox(1 << 20)
	if err != nil || c.Password != "s3cret" || c.Tenant != "" {
		t.Fatalf("got %+v, %v", c, err)
	}
}
