package phone

import (
	"errors"
	"testing"
)

func TestE164(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, region, want string
	}{
		{"international", "+44 7700 900123", "", "447700900123"},
		{"00 prefix", "0044 7700 900123", "", "447700900123"},
		{"00 prefix in a region", "00447700900123", "FR", "447700900123"},
		{"bare international digits", "447700900123", "", "447700900123"},
		{"bare international digits in another region", "447700900123", "FR", "447700900123"},
		{"national with its region", "07700 900123", "GB", "447700900123"},
		{"national, dotted", "06.12.34.56.78", "FR", "33612345678"},
		{"country code without + in its region", "447700900123", "GB", "447700900123"},
		{"US national with its region", "(202) 555-0123", "US", "12025550123"},
		{"US international call prefix", "011 44 7700 900123", "US", "447700900123"},
		{"the same number already in E.164 digits", "33612345678", "GB", "33612345678"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := E164(tc.in, tc.region)
			if err != nil || got != tc.want {
				t.Errorf("E164(%q, %q) = %q, %v; want %q", tc.in, tc.region, got, err, tc.want)
			}
		})
	}
	for _, bad := range []struct{ in, region string }{
		{"07700 900123", ""}, {"+44 77", ""}, {"0770", "GB"}, {"call me", "GB"}, {"", "GB"}, {"+999 1234 5678", ""},
		{"1234567890123456789012345678901234567890123456789012345678901234567", "GB"},
	} {
		if got, err := E164(bad.in, bad.region); !errors.Is(err, ErrNotANumber) {
			t.Errorf("E164(%q, %q) = %q, %v; want ErrNotANumber", bad.in, bad.region, got, err)
		}
	}
}

func FuzzE164(f *testing.F) {
	for _, s := range []string{"+44 7700 900123", "0044 7700 900123", "07700 900123", "(202) 555-0123", "+", "00", "0"} {
		f.Add(s, "GB")
	}
	f.Fuzz(func(t *testing.T, s, region string) {
		got, err := E164(s, region)
		if err != nil {
			return
		}
		again, err := E164(got, "")
		if err != nil || again != got {
			t.Fatalf("E164(%q) = %q, which reads back as %q, %v", s, got, again, err)
		}
	})
}

func TestRegionOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"33612345678":   "FR",
		"+447700900123": "GB",
		"14155550100":   "US", // a 555 test range: the country code's main region
		"15145550100":   "CA", // Montreal's area code
		"34612345678":   "ES",
		"5511987654321": "BR",
		"":              "",
		"999123":        "",
		"not a number":  "",
	} {
		if got := RegionOf(in); got != want {
			t.Errorf("RegionOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCountry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, number, want string }{
		{"single country code", "33612345678", "FR"},
		{"three-digit code", "351912345678", "PT"},
		{"+44 test range", "447700900123", "GB"},
		{"+1 Canada by area code", "12505550199", "CA"},
		{"+1 fictional range, main country", "15555550100", "US"},
		{"+7 Kazakhstan", "77012345678", "KZ"},
		{"+7 Russia", "79161234567", "RU"},
		{"non-geographic +800", "80012345678", ""},
		{"too short", "999", ""},
		{"empty", "", ""},
		{"not digits", "33a12345678", ""},
	} {
		if got := Country(tc.number); got != tc.want {
			t.Errorf("%s: Country(%q) = %q, want %q", tc.name, tc.number, got, tc.want)
		}
	}
}

func BenchmarkCountry(b *testing.B) {
	for _, n := range []string{"33612345678", "12125550123"} {
		b.Run(n[:2], func(b *testing.B) {
			for b.Loop() {
				Country(n)
			}
		})
	}
}
