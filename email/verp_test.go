package email_test

import (
	"strings"
	"testing"

	"github.com/rebond/rebond/email"
)

func TestVERPRoundTrip(t *testing.T) {
	t.Parallel()
	v := email.VERP{Secret: []byte("s3cret"), Domain: "Bounce.Example.com"}
	tests := []struct{ id, rcpt string }{
		{"m1", "ann@example.com"},
		{"01HX5Z8Q4F3B7N2M", "Bob.Smith+tag@Example.org"},
		{"", "x@y.example"},
		{"id with spaces and ünïcode", "c@d.example"},
	}
	for _, tt := range tests {
		addr := v.Address(tt.id, tt.rcpt)
		if !strings.HasPrefix(addr, "bounces+") || !strings.HasSuffix(addr, "@bounce.example.com") {
			t.Errorf("Address(%q, %q) = %q, want bounces+...@bounce.example.com", tt.id, tt.rcpt, addr)
		}
		if addr != strings.ToLower(addr) {
			t.Errorf("Address(%q, %q) = %q is not lower case", tt.id, tt.rcpt, addr)
		}
		// Servers may fold the case of a local part and add brackets.
		for _, form := range []string{addr, strings.ToUpper(addr), "<" + addr + ">"} {
			id, rcpt, ok := v.Decode(form)
			if !ok || id != tt.id || rcpt != strings.ToLower(tt.rcpt) {
				t.Errorf("Decode(%q) = %q, %q, %v; want %q, %q, true", form, id, rcpt, ok, tt.id, strings.ToLower(tt.rcpt))
			}
		}
	}
}

func TestVERPRefuses(t *testing.T) {
	t.Parallel()
	v := email.VERP{Secret: []byte("s3cret"), Domain: "bounce.example.com", Local: "rb"}
	good := v.Address("m1", "ann@example.com")
	at := strings.IndexByte(good, '@')
	flipped := []byte(good)
	if flipped[at-1] == 'a' {
		flipped[at-1] = 'b'
	} else {
		flipped[at-1] = 'a'
	}
	tests := []struct{ name, addr string }{
		{"tampered token", string(flipped)},
		{"other secret", email.VERP{Secret: []byte("other"), Domain: "bounce.example.com", Local: "rb"}.Address("m1", "ann@example.com")},
		{"other domain", strings.Replace(good, "bounce.example.com", "evil.example", 1)},
		{"other local part", strings.Replace(good, "rb+", "bounces+", 1)},
		{"not base32", "rb+!!!!@bounce.example.com"},
		{"no token", "rb@bounce.example.com"},
		{"short token", "rb+aaaa@bounce.example.com"},
		{"not an address", "hello"},
	}
	for _, tt := range tests {
		if id, rcpt, ok := v.Decode(tt.addr); ok {
			t.Errorf("%s: Decode(%q) = %q, %q, true; want false", tt.name, tt.addr, id, rcpt)
		}
	}
	if a := (email.VERP{Domain: "x.example"}).Address("m", "r@x.example"); a != "" {
		t.Errorf("Address without a secret = %q, want \"\"", a)
	}
	if _, _, ok := (email.VERP{}).Decode(good); ok {
		t.Error("Decode without a secret succeeded")
	}
}
