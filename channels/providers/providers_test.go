package providers

import (
	"strings"
	"testing"
)

// TestOf: the shipped table maps every domain the brief names to its MX
// operator, patterns take any public suffix but not subdomains, and
// unknown domains group as other.
func TestOf(t *testing.T) {
	t.Parallel()
	tbl, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, domain, want string }{
		{"gmail", "gmail.com", "Google"},
		{"googlemail", "googlemail.com", "Google"},
		{"upper case and trailing dot", "GMail.COM.", "Google"},
		{"an address", "ann@gmail.com", "Google"},
		{"outlook", "outlook.com", "Microsoft"},
		{"hotmail fr", "hotmail.fr", "Microsoft"},
		{"hotmail co.uk", "hotmail.co.uk", "Microsoft"},
		{"live", "live.com", "Microsoft"},
		{"msn", "msn.com", "Microsoft"},
		{"yahoo fr", "yahoo.fr", "Yahoo"},
		{"yahoo co.jp", "yahoo.co.jp", "Yahoo"},
		{"ymail", "ymail.com", "Yahoo"},
		{"aol", "aol.com", "Yahoo"},
		{"icloud", "icloud.com", "Apple"},
		{"me", "me.com", "Apple"},
		{"mac", "mac.com", "Apple"},
		{"gmx", "gmx.de", "GMX/Web.de"},
		{"web.de", "web.de", "GMX/Web.de"},
		{"orange", "orange.fr", "Orange"},
		{"wanadoo", "wanadoo.fr", "Orange"},
		{"free", "free.fr", "Free"},
		{"la poste", "laposte.net", "La Poste"},
		{"yandex", "yandex.ru", "Yandex"},
		{"mail.ru", "mail.ru", "Mail.ru"},
		{"qq", "qq.com", "QQ"},
		{"163", "163.com", "163"},
		{"126", "126.com", "163"},
		{"naver", "naver.com", "Naver"},
		{"comcast", "comcast.net", "Comcast"},
		{"subdomain of a pattern is not the provider", "mail.yahoo.fr", Other},
		{"subdomain of an exact domain is not the provider", "eu.gmail.com", Other},
		{"unknown", "example.org", Other},
		{"empty", "", Other},
		{"look-alike", "gmail.co", Other},
	} {
		if got := tbl.Of(tc.domain); got != tc.want {
			t.Errorf("%s: Of(%q) = %q, want %q", tc.name, tc.domain, got, tc.want)
		}
	}
	var none *Table
	if got := none.Of("gmail.com"); got != Other {
		t.Errorf("nil table: Of(gmail.com) = %q, want other", got)
	}
}

// TestParseErrors: a table that is ambiguous or malformed is refused with
// an error naming the culprit, never half loaded.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, yaml, want string }{
		{"duplicate domain", "providers:\n- {name: A, domains: [a.com]}\n- {name: B, domains: [A.com]}\n", `"A.com": already listed under A`},
		{"duplicate pattern", "providers:\n- {name: A, domains: [\"a.*\"]}\n- {name: B, domains: [\"a.*\"]}\n", "already listed under A"},
		{"reserved name", "providers:\n- {name: other, domains: [a.com]}\n", "reserved"},
		{"empty name", "providers:\n- {name: '', domains: [a.com]}\n", "empty or reserved"},
		{"no domains", "providers:\n- {name: A}\n", "domains: empty"},
		{"address, not domain", "providers:\n- {name: A, domains: [x@a.com]}\n", "not a domain"},
		{"inner wildcard", "providers:\n- {name: A, domains: [\"*.a.com\"]}\n", "not a domain"},
		{"unknown key", "providers:\n- {name: A, domain: [a.com]}\n", "not found"},
		{"not yaml", "providers: [", "providers:"},
		{"too large", "#" + strings.Repeat("x", maxTableBytes), "exceeds"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

// TestNames keeps the shipped order and never lists other.
func TestNames(t *testing.T) {
	t.Parallel()
	tbl, err := Parse([]byte("providers:\n- {name: B, domains: [b.com]}\n- {name: A, domains: [\"a.*\"]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tbl.Names(), ","); got != "B,A" {
		t.Errorf("Names = %s", got)
	}
	if tbl.Of("a.co.uk") != "A" || tbl.Of("b.com") != "B" {
		t.Errorf("custom table: a.co.uk → %s, b.com → %s", tbl.Of("a.co.uk"), tbl.Of("b.com"))
	}
	if got, err := Or(tbl); err != nil || got != tbl {
		t.Errorf("Or(t) = %p, %v; want t", got, err)
	}
	if got, err := Or(nil); err != nil || got.Of("gmail.com") != "Google" {
		t.Errorf("Or(nil) must give the shipped table: %v", err)
	}
}
