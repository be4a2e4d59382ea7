package api

import (
	"fmt"
	"slices"
	"strings"
)

// rateGroups are the values of group_by, in the order the OpenAPI
// document's enum lists them (a test holds the two equal).
var rateGroups = []string{"channel", "campaign", "domain", "provider", "route", "country", "carrier", "day", "hour", "reason", "reason_group"}

// RateGroups lists the groups GET /v1/rates?group_by= and `rebond rates
// --group-by` accept: one declaration, so the API, the CLI, their errors
// and the OpenAPI document name the same ones. A row's keys are its
// channel and exactly the groups asked (store.RatesQuery); channel is
// always a key, so naming it adds nothing but is not an error.
func RateGroups() []string { return slices.Clone(rateGroups) }

// ParseGroupBy checks the groups of a rates query, each trimmed (empty
// ones dropped, repeated ones kept once), and returns them in the order
// given. The error names the offending group and the valid ones, or the
// combination that has no meaning: day with hour (one time bucket),
// reason with reason_group, either with provider (reasons are read
// from the messages, mailbox providers regrouped from rate buckets), and
// provider (email) with country or carrier (SMS).
func ParseGroupBy(groups []string) ([]string, error) {
	var out []string
	for _, g := range groups {
		g = strings.TrimSpace(g)
		switch {
		case g == "" || slices.Contains(out, g):
			continue
		case !slices.Contains(rateGroups, g):
			return nil, fmt.Errorf("unknown group %q (want any of %s)", g, strings.Join(rateGroups, ", "))
		}
		out = append(out, g)
	}
	has := func(g string) bool { return slices.Contains(out, g) }
	switch {
	case has("day") && has("hour"):
		return nil, fmt.Errorf("choose one of day and hour")
	case has("reason") && has("reason_group"):
		return nil, fmt.Errorf("choose one of reason and reason_group")
	case (has("reason") || has("reason_group")) && has("provider"):
		return nil, fmt.Errorf("reason and reason_group combine with campaign, domain, route, country, carrier, day or hour, not provider")
	case (has("country") || has("carrier")) && has("provider"):
		return nil, fmt.Errorf("provider is an email notion, country and carrier SMS ones: choose one")
	}
	return out, nil
}
