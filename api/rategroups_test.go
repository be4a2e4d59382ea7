package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/store"
)

func TestParseGroupBy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []string
		want []string
		err  string // in the error; "" for none
	}{
		{"none", nil, nil, ""},
		{"empty ones dropped", []string{"", " "}, nil, ""},
		{"one", []string{"domain"}, []string{"domain"}, ""},
		{"trimmed, in order, repeats kept once", []string{" route", "campaign ", "route"}, []string{"route", "campaign"}, ""},
		{"channel is a key already, accepted", []string{"channel"}, []string{"channel"}, ""},
		{"every group", []string{"channel", "campaign", "domain", "provider", "route", "day"},
			[]string{"channel", "campaign", "domain", "provider", "route", "day"}, ""},
		{"reason with campaign, domain, route and hour", []string{"reason", "campaign", "domain", "route", "hour"},
			[]string{"reason", "campaign", "domain", "route", "hour"}, ""},
		{"unknown, with every valid one", []string{"colour"}, nil,
			`unknown group "colour" (want any of channel, campaign, domain, provider, route, day, hour, reason, reason_group)`},
		{"case matters", []string{"Domain"}, nil, `unknown group "Domain"`},
		{"day and hour", []string{"day", "hour"}, nil, "choose one of day and hour"},
		{"reason and reason_group", []string{"reason_group", "reason"}, nil, "choose one of reason and reason_group"},
		{"reason and provider", []string{"provider", "reason"}, nil, "not provider"},
		{"reason_group and provider", []string{"reason_group", "provider"}, nil, "not provider"},
	} {
		got, err := ParseGroupBy(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one with %q", tc.name, err, tc.err)
		case !cmp.Equal(got, tc.want):
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestGetRatesGroupBy: the store is asked for exactly the groups of the
// query, in its order; none leaves the store's default.
func TestGetRatesGroupBy(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{}, nil)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", nil},
		{"group_by=", nil},
		{"group_by=domain", []string{"domain"}},
		{"group_by=channel", []string{"channel"}},
		{"group_by=campaign,%20domain,domain", []string{"campaign", "domain"}},
		{"group_by=domain&group_by=day", []string{"domain", "day"}},
		{"group_by=route,reason&channel=sms", []string{"route", "reason"}},
		{"group_by=provider,campaign", []string{"domain", "campaign"}},
		{"group_by=provider,domain", []string{"domain"}},
	} {
		f.reader.query = store.RatesQuery{}
		code, body := f.authed("GET", "/v1/rates?"+tc.query, "")
		if code != http.StatusOK || !cmp.Equal(f.reader.query.GroupBy, tc.want) {
			t.Errorf("%q: %d %s, store asked %q, want %q", tc.query, code, body, f.reader.query.GroupBy, tc.want)
		}
	}
}
