// Package phone writes telephone numbers in one form, E.164 (ITU-T
// E.164: country code and national number, at most 15 digits), whatever
// form a sender, a gateway or an operator gave: "+44 7700 900123",
// "0044 7700 900123", "447700900123", or the national "07700 900123" with
// the default region of whoever wrote it. Recipient state is keyed by that
// form (channels.NormalizeRecipient keeps it), so every form of one number
// is one recipient.
//
// Parsing and the per-country rules (trunk prefixes, international call
// prefixes, possible lengths) are libphonenumber's, through
// github.com/nyaruka/phonenumbers.
package phone

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrNotANumber is returned for text that cannot be read as a number in
// international form: letters, a national number without a default
// region, an unknown country code or a length no number of the country
// has.
var ErrNotANumber = errors.New("not a phone number")

// maxInput bounds what is parsed: no written number is longer.
const maxInput = 64

// E164 returns s in E.164 as digits without the "+" (the form
// channels.Event carries). region is the ISO 3166-1 alpha-2 code of the
// country whose national forms and international call prefix s may use
// ("GB": "07700 900123", "00 33 6…"); "" reads s as international only,
// "+", "00" or the bare country code first. Bare digits are read in the
// region first when they form a valid number there, else as international.
func E164(s, region string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxInput {
		return "", fmt.Errorf("%q: %w", truncate(s), ErrNotANumber)
	}
	region = strings.ToUpper(strings.TrimSpace(region))
	digits := strings.TrimLeft(s, "+")
	for _, r := range digits {
		if !(r >= '0' && r <= '9' || r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\t') {
			return "", fmt.Errorf("%q: %w", truncate(s), ErrNotANumber)
		}
	}
	var candidates []string
	switch {
	case strings.HasPrefix(s, "+"):
		candidates = []string{"+" + digits}
	case region != "":
		// The region's own reading (trunk prefix, international call
		// prefix, its country code written without "+"), then "00" or
		// bare digits as international.
		candidates = []string{s, international(digits)}
	default:
		candidates = []string{international(digits)}
	}
	var possible *phonenumbers.PhoneNumber
	for _, c := range candidates {
		n, err := phonenumbers.Parse(c, parseRegion(c, region))
		if err != nil {
			continue
		}
		if !stable(n) {
			continue
		}
		if phonenumbers.IsValidNumber(n) {
			return format(n), nil
		}
		// Local-only lengths (a number dialled without its area code)
		// name no handset.
		if possible == nil && phonenumbers.IsPossibleNumberWithReason(n) == phonenumbers.IS_POSSIBLE {
			possible = n
		}
	}
	if possible != nil {
		// Ranges libphonenumber's metadata does not list yet (or test
		// ranges) still have the country's length: keep them.
		return format(possible), nil
	}
	if region == "" && !strings.HasPrefix(s, "+") && strings.HasPrefix(strings.TrimSpace(digits), "0") && !strings.HasPrefix(digits, "00") {
		return "", fmt.Errorf("%q is a national number and no default region is configured: %w", truncate(s), ErrNotANumber)
	}
	return "", fmt.Errorf("%q: %w", truncate(s), ErrNotANumber)
}

// international writes digits as an international number: "00" is the
// international call prefix ITU-T E.164 recommends, so it stands for "+".
func international(digits string) string {
	d := strings.TrimSpace(digits)
	if strings.HasPrefix(d, "00") {
		return "+" + d[2:]
	}
	return "+" + d
}

func parseRegion(candidate, region string) string {
	if strings.HasPrefix(candidate, "+") || region == "" {
		return "ZZ"
	}
	return region
}

// stable reports whether n's E.164 form reads back as itself: a national
// part that starts with the country's trunk prefix ("+81 0…") would lose
// it on the next reading, and is no number.
func stable(n *phonenumbers.PhoneNumber) bool {
	e := format(n)
	m, err := phonenumbers.Parse("+"+e, "ZZ")
	return err == nil && format(m) == e
}

func format(n *phonenumbers.PhoneNumber) string {
	return strings.TrimPrefix(phonenumbers.Format(n, phonenumbers.E164), "+")
}

// ValidRegion reports whether region is a region libphonenumber knows
// ("" is valid: none).
func ValidRegion(region string) bool {
	if region == "" {
		return true
	}
	return phonenumbers.GetCountryCodeForRegion(strings.ToUpper(region)) != 0
}

func truncate(s string) string {
	if len(s) > maxInput {
		return s[:maxInput]
	}
	return s
}

// Regions are the default regions numbers are read in: per tenant, else
// Default ("" for none: international forms only).
type Regions struct {
	Default string
	Tenants map[string]string
}

// For returns tenant's region.
func (r Regions) For(tenant string) string {
	if reg, ok := r.Tenants[tenant]; ok {
		return reg
	}
	return r.Default
}

// Validate names the region libphonenumber does not know.
func (r Regions) Validate() error {
	if !ValidRegion(r.Default) {
		return fmt.Errorf("default_region: %q is not an ISO 3166-1 alpha-2 region", r.Default)
	}
	for t, reg := range r.Tenants {
		if !ValidRegion(reg) {
			return fmt.Errorf("regions.%s: %q is not an ISO 3166-1 alpha-2 region", t, reg)
		}
	}
	return nil
}

// RegionOf returns the region (ISO 3166-1 alpha-2, upper case) of a number
// in E.164 digits, with or without its "+": Country's answer. "" when the
// digits name no country. An SMS keyword is read in the languages of that
// region (a French number's "ARRET"), wherever its gateway is.
func RegionOf(e164 string) string {
	return Country(strings.TrimPrefix(strings.TrimSpace(e164), "+"))
}

// Country returns the ISO 3166-1 alpha-2 code of the country an E.164
// number (digits, as E164 writes it) belongs to; "" when its digits start
// with no country code of a country (+800 and other non-geographic codes,
// or no digits). Rates by country key on it, once per SMS delivery, so
// it is cheap: a country code answers without parsing (about 30 ns), and
// only the codes shared by countries of weight, +1 (US, CA and the
// Caribbean) and +7 (RU, KZ), ask libphonenumber which plan holds the
// number (6 to 15 µs). The other shared codes answer their main country
// (+44 GB for Guernsey, Jersey and Man too; +47 NO, +61 AU, +358 FI…):
// asking cost 30 µs for +44, a third of the apply's CPU per event
// (docs/perf-log.md), for territories a rate seldom needs apart.
func Country(e164 string) string {
	if len(e164) < 4 || len(e164) > 15 {
		return ""
	}
	for i := 0; i < len(e164); i++ {
		if e164[i] < '0' || e164[i] > '9' {
			return ""
		}
	}
	// Country codes are prefix-free (ITU-T E.164), 1 to 3 digits.
	for n := 1; n <= 3; n++ {
		cc, _ := strconv.Atoi(e164[:n])
		regions := phonenumbers.GetRegionCodesForCountryCode(cc)
		switch {
		case len(regions) == 0:
			continue
		case regions[0] == "001":
			return ""
		case cc == 1 || cc == 7:
			return regionOf(int32(cc), e164[n:], regions[0])
		}
		return regions[0]
	}
	return ""
}

// regionOf asks libphonenumber which region of a shared country code
// holds the national number, main when none does.
func regionOf(cc int32, national, main string) string {
	nn, err := strconv.ParseUint(national, 10, 64)
	if err != nil {
		return main
	}
	// +1 and +7 national numbers have no leading zero to keep.
	num := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &nn}
	if r := phonenumbers.GetRegionCodeForNumber(num); r != "" && r != "ZZ" {
		return r
	}
	return main
}
