package mailbox

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	ok := Config{Name: "acme", Addr: "imap.example.com:993", Username: "u", Password: "p"}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string // "" = valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"starttls", func(c *Config) { c.TLS = TLSStartTLS; c.Addr = "imap.example.com:143" }, ""},
		{"none on loopback", func(c *Config) { c.TLS = TLSNone; c.Addr = "127.0.0.1:143" }, ""},
		{"none on localhost", func(c *Config) { c.TLS = TLSNone; c.Addr = "localhost:143" }, ""},
		{"none on ::1", func(c *Config) { c.TLS = TLSNone; c.Addr = "[::1]:143" }, ""},
		{"none over a network", func(c *Config) { c.TLS = TLSNone }, "tls: none is allowed only to a loopback"},
		{"unknown tls", func(c *Config) { c.TLS = "ssl" }, "tls: \"ssl\""},
		{"no name", func(c *Config) { c.Name = "" }, "name:"},
		{"slash in name", func(c *Config) { c.Name = "a/b" }, "name:"},
		{"no port", func(c *Config) { c.Addr = "imap.example.com" }, "addr:"},
		{"no password", func(c *Config) { c.Password = "" }, "username and password"},
		{"processed is folder", func(c *Config) { c.Processed = "INBOX" }, "processed and unparsed"},
		{"poll too often", func(c *Config) { c.PollInterval = 100_000_000 }, "poll_interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid config refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestID(t *testing.T) {
	t.Parallel()
	p := &Poller{cfg: Config{Name: "a", Addr: "h:993", Username: "u", Folder: "INBOX"}}
	q := &Poller{cfg: Config{Name: "b", Addr: "h:993", Username: "u", Folder: "INBOX"}}
	ids := map[string]bool{p.ID(1, 1): true, p.ID(1, 2): true, p.ID(2, 1): true, q.ID(1, 1): true, p.ID(11, 1): true}
	if len(ids) != 5 {
		t.Fatalf("ids collide: %v", ids)
	}
	if p.ID(1, 1) != p.ID(1, 1) {
		t.Fatal("id not stable")
	}
}
