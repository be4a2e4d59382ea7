package phone

import (
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// PrefixLen is the length of Prefixes' prefixes: four digits, the fewest
// a number Country answers has, enough for +1's and +7's area codes.
const PrefixLen = 4

// prefixes caches Prefixes by region: at most one entry per two-letter
// code, and the +1 and +7 regions cost a thousand Country calls each
// (about 10 ms).
var prefixes sync.Map

// Prefixes returns the first PrefixLen digits of the E.164 numbers
// (digits without "+", as channels.Event carries them) that Country
// gives to region, an upper-case ISO 3166-1 alpha-2 code; none when
// Country never answers it (an unknown code, or a territory sharing its
// main country's code, such as JE under +44). It lets a store filter
// stored numbers by country in SQL, the answer rates count them under,
// with one equality on their first four digits, which PostgreSQL hashes
// (a regular expression of the same prefixes costs 100 times more per
// row: docs/ARCHITECTURE.md). Exact but for +1 and +7, where it reads the
// three national digits (a NANP area code, a Russian or Kazakh prefix)
// of a sample number, which is what decides the country of a valid one.
func Prefixes(region string) []string {
	if p, ok := prefixes.Load(region); ok {
		return p.([]string)
	}
	var out []string
	cc := int(phonenumbers.GetCountryCodeForRegion(region))
	code := strconv.Itoa(cc)
	switch regions := phonenumbers.GetRegionCodesForCountryCode(cc); {
	case cc == 0 || len(regions) == 0:
	case cc == 1 || cc == 7:
		for n := range 1000 {
			national := strconv.Itoa(1000 + n)[1:]
			if Country(code+national+"2345678") == region {
				out = append(out, code+national)
			}
		}
	case regions[0] == region:
		out = extend(code)
	}
	prefixes.Store(region, out)
	return out
}

// extend returns every PrefixLen-digit string that starts with p.
func extend(p string) []string {
	if len(p) >= PrefixLen {
		return []string{p[:PrefixLen]}
	}
	var out []string
	for d := '0'; d <= '9'; d++ {
		out = append(out, extend(p+string(d))...)
	}
	return out
}
