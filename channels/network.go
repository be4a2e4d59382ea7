package channels

import "strings"

// NetworkSep separates the country from the carrier in a Network key.
const NetworkSep = "/"

// Network is the key an SMS delivery's recipient network is counted
// under: its country (ISO 3166-1 alpha-2), then, when a gateway reported
// it, NetworkSep and the carrier's MCC-MNC ("GB/23410"); "" when neither
// is known. It lives in the domain column of messages and rate buckets,
// which SMS deliveries otherwise leave empty, so rates by country and by
// carrier cost no new key column (docs/ARCHITECTURE.md, "Carriers").
func Network(country, mccmnc string) string {
	if mccmnc == "" {
		return country
	}
	return country + NetworkSep + mccmnc
}

// SplitNetwork returns the country and the carrier of a Network key.
func SplitNetwork(key string) (country, mccmnc string) {
	country, mccmnc, _ = strings.Cut(key, NetworkSep)
	return country, mccmnc
}

// ValidMCCMNC reports whether s is an E.212 MCC-MNC as gateways write it:
// 5 or 6 ASCII digits, a 3-digit mobile country code then a 2- or 3-digit
// network code.
func ValidMCCMNC(s string) bool {
	if len(s) != 5 && len(s) != 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidCountry reports whether s is written as an ISO 3166-1 alpha-2
// code: two upper-case ASCII letters.
func ValidCountry(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// normalizeNetwork upper-cases the country and checks both network
// fields: they key rate buckets, so a malformed one is refused rather
// than counted as a country or carrier of its own.
func (e *Event) normalizeNetwork() error {
	if e.Country != "" {
		e.Country = strings.ToUpper(strings.TrimSpace(e.Country))
		if !ValidCountry(e.Country) {
			return &FieldError{"country", "an ISO 3166-1 alpha-2 code, two letters"}
		}
	}
	if e.SMS != nil && e.SMS.MCCMNC != "" {
		e.SMS.MCCMNC = strings.ReplaceAll(strings.TrimSpace(e.SMS.MCCMNC), "-", "")
		if !ValidMCCMNC(e.SMS.MCCMNC) {
			return &FieldError{"sms.mcc_mnc", "an MCC-MNC, 5 or 6 digits"}
		}
	}
	return nil
}
