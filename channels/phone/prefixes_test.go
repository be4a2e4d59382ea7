package phone

import (
	"slices"
	"strings"
	"testing"
)

func TestPrefixes(t *testing.T) {
	t.Parallel()
	if got := Prefixes("GB"); len(got) != 100 || got[0] != "4400" || got[99] != "4499" {
		t.Errorf("GB: %v", got)
	}
	if got := Prefixes("CA"); !slices.Contains(got, "1204") || slices.Contains(got, "1212") {
		t.Errorf("CA: %v", got)
	}
	for _, none := range []string{"JE", "XX", ""} {
		if got := Prefixes(none); len(got) != 0 {
			t.Errorf("%q: %v, want none (Country never answers it)", none, got)
		}
	}
	// A number has the country Country gives it iff one of that
	// country's prefixes starts it.
	numbers := []string{"447700900123", "33612345678", "12045551234", "12125551234", "18765551234", "14165551234",
		"79161234567", "77011234567", "4915112345678", "61412345678", "5511912345678", "8613800138000"}
	for _, region := range []string{"GB", "FR", "US", "CA", "JM", "RU", "KZ", "DE", "AU", "BR", "CN"} {
		p := Prefixes(region)
		for _, pre := range p {
			if len(pre) != PrefixLen {
				t.Fatalf("%s: prefix %q", region, pre)
			}
		}
		for _, n := range numbers {
			has := slices.ContainsFunc(p, func(pre string) bool { return strings.HasPrefix(n, pre) })
			if is := Country(n) == region; has != is {
				t.Errorf("%s: %s matches its prefixes %v, Country says %q", region, n, has, Country(n))
			}
		}
	}
}
