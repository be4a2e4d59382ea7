package api

import (
	"encoding/json"
	"net/http"
	"net/url"
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
			`unknown group "colour" (want any of channel, campaign, domain, provider, route, country, carrier, day, hour, reason, reason_group)`},
		{"case matters", []string{"Domain"}, nil, `unknown group "Domain"`},
		{"day and hour", []string{"day", "hour"}, nil, "choose one of day and hour"},
		{"reason and reason_group", []string{"reason_group", "reason"}, nil, "choose one of reason and reason_group"},
		{"reason and provider", []string{"provider", "reason"}, nil, "not provider"},
		{"reason_group and provider", []string{"reason_group", "provider"}, nil, "not provider"},
		{"country and carrier with reason and day", []string{"country", "carrier", "reason", "day"},
			[]string{"country", "carrier", "reason", "day"}, ""},
		{"carrier and provider", []string{"carrier", "provider"}, nil, "choose one"},
		{"country and provider", []string{"provider", "country"}, nil, "choose one"},
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

// groupByParameter is the group_by parameter of GET /v1/rates in the
// OpenAPI document.
type groupByParameter struct {
	Style   string `json:"style"`
	Explode *bool  `json:"explode"`
	Schema  struct {
		Type  string `json:"type"`
		Items struct {
			Enum []string `json:"enum"`
		} `json:"items"`
		Default []string `json:"default"`
	} `json:"schema"`
}

func openAPIGroupBy(t *testing.T) groupByParameter {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	var op struct {
		Parameters []json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(doc.Paths["/v1/rates"]["get"], &op); err != nil {
		t.Fatal(err)
	}
	for _, raw := range op.Parameters {
		var p struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		if p.Name == "group_by" {
			var g groupByParameter
			if err := json.Unmarshal(raw, &g); err != nil {
				t.Fatal(err)
			}
			return g
		}
	}
	t.Fatal("openapi.json: GET /v1/rates has no group_by parameter")
	return groupByParameter{}
}

// TestRatesGroupByMatchesOpenAPI: the OpenAPI document's group_by is
// what the server takes: a comma-separated list of exactly RateGroups,
// each accepted and handed to the store as asked (provider as domain,
// which api.Rates regroups), the store's default as its default, and any
// other value refused with 400 naming every valid group.
func TestRatesGroupByMatchesOpenAPI(t *testing.T) {
	t.Parallel()
	g := openAPIGroupBy(t)
	if g.Schema.Type != "array" || g.Style != "form" || g.Explode == nil || *g.Explode {
		t.Errorf("group_by is a comma-separated list: want type array, style form, explode false; got %+v", g)
	}
	if !cmp.Equal(g.Schema.Items.Enum, RateGroups()) {
		t.Errorf("openapi.json group_by enum %q, the server takes %q", g.Schema.Items.Enum, RateGroups())
	}
	if !cmp.Equal(g.Schema.Default, store.DefaultRateGroups()) {
		t.Errorf("openapi.json group_by default %q, the store's %q", g.Schema.Default, store.DefaultRateGroups())
	}
	f := newFixture(t, Config{}, nil)
	for _, v := range g.Schema.Items.Enum {
		code, body := f.authed("GET", "/v1/rates?group_by="+v, "")
		want := []string{v}
		if v == "provider" {
			want = []string{"domain"}
		}
		if code != http.StatusOK || !cmp.Equal(f.reader.query.GroupBy, want) {
			t.Errorf("group_by=%s: %d %s, store asked %q, want 200 and %q", v, code, body, f.reader.query.GroupBy, want)
		}
	}
	for _, v := range []string{"colour", "Campaign", "domains", "provider;", "campaign,colour", "tenant", "bucket", "reason,provider"} {
		code, body := f.authed("GET", "/v1/rates?group_by="+url.QueryEscape(v), "")
		if code != http.StatusBadRequest || !strings.Contains(body, "group_by:") {
			t.Errorf("group_by=%s: %d %s, want 400 about group_by", v, code, body)
		}
		if !strings.Contains(v, "reason") && !strings.Contains(body, strings.Join(g.Schema.Items.Enum, ", ")) {
			t.Errorf("group_by=%s: %s does not name every valid group", v, body)
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
