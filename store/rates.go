package store

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
)

// dayOfHour is the day of an hourly bucket, for rates by day read from
// rate_buckets (the daily roll-ups group by their own day column).
// The rates query is the one statement built in Go rather than kept in a
// .sql file, because its GROUP BY varies; only fixed fragments of this
// file ever reach the SQL text, and every value is a bind parameter.
const dayOfHour = "date_trunc('day', hour, 'UTC')"

// DefaultRateGroups are the keys of a rates row, besides its channel,
// when a query names none: one row per channel and campaign, what
// GET /v1/rates and `rebond rates` have always answered without group_by.
func DefaultRateGroups() []string { return []string{"campaign"} }

// rateKeys are the keys a query groups by beyond the channel: exactly
// its groups (DefaultRateGroups when it names none), plus the campaign
// and the route when it filters on one, so that every row names the
// campaign or route it was read for (one value, so no more rows).
type rateKeys struct {
	campaign, domain, route, hour, day bool
	reason, reasonGroup                bool
	country, carrier                   bool
}

// keysOf reads q.GroupBy; a group it does not know is an error naming it.
func keysOf(q RatesQuery) (rateKeys, error) {
	groups := q.GroupBy
	if len(groups) == 0 {
		groups = DefaultRateGroups()
	}
	k := rateKeys{campaign: q.Campaign != "", route: q.Route != ""}
	for _, g := range groups {
		switch g {
		case "channel": // always a key
		case "campaign":
			k.campaign = true
		case "domain":
			k.domain = true
		case "route":
			k.route = true
		case "country":
			k.country = true
		case "carrier":
			k.carrier = true
		case "hour", "day":
			if k.hour || k.day {
				return k, fmt.Errorf("group_by: choose one of hour and day")
			}
			k.hour, k.day = g == "hour", g == "day"
		case "reason":
			k.reason = true
		case "reason_group":
			k.reasonGroup = true
		default:
			return k, fmt.Errorf("group_by: unknown group %q", g)
		}
	}
	if k.reason && k.reasonGroup {
		return k, fmt.Errorf("group_by: choose one of reason and reason_group")
	}
	return k, nil
}

// Rates sums rate buckets by channel and the groups of q (RatesQuery):
// a row's keys are exactly those. Rows are ordered by channel, campaign,
// domain, route, bucket.
func (s *Store) Rates(ctx context.Context, q RatesQuery) ([]RateRow, error) {
	if q.Tenant == "" {
		q.Tenant = channels.Tenant(ctx)
	}
	k, err := keysOf(q)
	if err != nil {
		return nil, err
	}
	if k.reason || k.reasonGroup {
		return s.ratesByReason(ctx, q, k)
	}
	stmt, args := ratesSQL(q, k)
	rows, err := s.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("query rates: %w", err)
	}
	defer rows.Close()
	out := []RateRow{}
	for rows.Next() {
		var r RateRow
		var bucket *time.Time
		if err := rows.Scan(&r.Channel, &r.Campaign, &r.Domain, &r.Route, &bucket, &r.Sent, &r.Delivered, &r.Soft, &r.Hard, &r.Complaints, &r.Unverified, &r.Unsubscribed); err != nil {
			return nil, fmt.Errorf("scan rates: %w", err)
		}
		if bucket != nil {
			b := bucket.UTC()
			r.Bucket = &b
		}
		if k.route {
			r.Route = lifecycle.Route(r.Route)
		}
		k.network(&r)
		r.finish(q.MinVolume)
		out = append(out, r)
	}
	return out, rows.Err()
}

func ratesSQL(q RatesQuery, k rateKeys) (string, []any) {
	src := rateSource(q, k.domain || k.route || k.country || k.carrier, k.hour)
	campaign, domain, route, bucket := "''", k.domainKey(), "''", "NULL::timestamptz"
	keys := []string{"channel"}
	if k.campaign {
		campaign = "campaign"
		keys = append(keys, campaign)
	}
	if domain != "''" {
		keys = append(keys, domain)
	}
	if k.route {
		route = "route"
		keys = append(keys, route)
	}
	switch {
	case k.hour:
		bucket = "hour"
	case k.day && src.time == "day":
		bucket = "day"
	case k.day:
		bucket = dayOfHour
	}
	if bucket != "NULL::timestamptz" {
		keys = append(keys, bucket)
	}
	where, args := rateFilters(q, src.time)
	sql := "SELECT channel, " + campaign + " AS campaign, " + domain + " AS domain, " + route + " AS route, " + bucket + " AS bucket," +
		" sum(sent), sum(delivered), sum(soft), sum(hard), sum(complaints), sum(unverified), sum(unsubscribed) FROM " + src.table
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	group := strings.Join(keys, ", ")
	// A delivery that learns its route leaves zeros in the bucket it
	// left (lifecycle, "Routes"): a group of nothing but zeros says
	// nothing, and is no row.
	having := " HAVING (sum(sent), sum(delivered), sum(soft), sum(hard), sum(complaints), sum(unverified), sum(unsubscribed)) <> (0, 0, 0, 0, 0, 0, 0)"
	return sql + " GROUP BY " + group + having + " ORDER BY " + group, args
}

// domainKey is the expression a rates query reads the domain slot of its
// rows from: the domain column when grouped by domain; for rates by
// country or carrier, that part of an SMS delivery's network key
// (channels.Network: "GB/23410"), the whole key when both are asked, and
// nothing for email, whose domain column holds domains. ” when none.
func (k rateKeys) domainKey() string {
	sms := func(expr string) string { return "CASE WHEN channel = 'sms' THEN " + expr + " ELSE '' END" }
	switch {
	case k.domain:
		return "domain"
	case k.country && k.carrier:
		return sms("domain")
	case k.country:
		return sms("split_part(domain, '" + channels.NetworkSep + "', 1)")
	case k.carrier:
		return sms("split_part(domain, '" + channels.NetworkSep + "', 2)")
	}
	return "''"
}

// network sets an SMS row's Country and Carrier from what domainKey read
// into its Domain, naming an unknown one lifecycle.UnknownNetwork, and
// clears the Domain unless it was asked for.
func (k rateKeys) network(r *RateRow) {
	if !k.country && !k.carrier {
		return
	}
	if r.Channel == channels.SMS {
		country, carrier := channels.SplitNetwork(r.Domain)
		if !k.domain && !k.country {
			country, carrier = "", r.Domain // the carrier alone
		}
		unknown := func(s string) string { return cmp.Or(s, lifecycle.UnknownNetwork) }
		if k.country {
			r.Country = unknown(country)
		}
		if k.carrier {
			r.Carrier = unknown(carrier)
		}
	}
	if !k.domain {
		r.Domain = ""
	}
}

// rateFilters is the WHERE of a rates query: tenant, channel, campaign,
// route and the time range on timeCol (a column name of the code, never
// input), every value a bind parameter.
func rateFilters(q RatesQuery, timeCol string) (where []string, args []any) {
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	add("tenant = $%d", q.Tenant)
	if q.Channel != "" {
		add("channel = $%d", string(q.Channel))
	}
	if q.Campaign != "" {
		add("campaign = $%d", q.Campaign)
	}
	if q.Route != "" {
		add("route = $%d", storedRoute(q.Route))
	}
	if !q.From.IsZero() {
		add(timeCol+" >= $%d", q.From)
	}
	if !q.To.IsZero() {
		add(timeCol+" < $%d", q.To)
	}
	return where, args
}

// rateTable is one of the tables the same counters live in, and its time
// column.
type rateTable struct{ table, time string }

// rateSource picks the smallest table that answers q exactly: the daily
// roll-ups (24 times fewer rows; without the domain and route, fewer
// still) unless the query needs hours — grouped by hour, or a range that
// does not start and end on UTC midnights. byKey says the query groups
// by domain or route, which only rate_buckets and rate_days key.
func rateSource(q RatesQuery, byKey, byHour bool) rateTable {
	midnight := func(t time.Time) bool { return t.IsZero() || t.UTC().Equal(t.UTC().Truncate(24*time.Hour)) }
	switch {
	case byHour || !midnight(q.From) || !midnight(q.To):
		return rateTable{"rate_buckets", "hour"}
	case byKey || q.Route != "":
		return rateTable{"rate_days", "day"}
	default:
		return rateTable{"rate_campaign_days", "day"}
	}
}

// storedRoute is the stored route a RatesQuery.Route names: rows name
// the empty route of the deliveries no event named a provider for
// lifecycle.UnknownRoute (lifecycle.Route), as sender incidents do.
func storedRoute(label string) string {
	if label == lifecycle.UnknownRoute {
		return ""
	}
	return label
}

// finish derives a row's pending count, rates, intervals and volume flag
// from its counters.
func (r *RateRow) finish(minVolume int64) {
	r.Pending = max(0, r.Sent-r.Delivered-r.Soft-r.Hard)
	if r.Sent > 0 {
		n := float64(r.Sent)
		r.SoftRate, r.HardRate, r.ComplaintRate = float64(r.Soft)/n, float64(r.Hard)/n, float64(r.Complaints)/n
		r.UnsubscribeRate = float64(r.Unsubscribed) / n
	}
	r.SoftRateCI, r.HardRateCI, r.ComplaintRateCI = channels.Wilson(r.Soft, r.Sent), channels.Wilson(r.Hard, r.Sent), channels.Wilson(r.Complaints, r.Sent)
	r.UnsubscribeRateCI = channels.Wilson(r.Unsubscribed, r.Sent)
	r.LowVolume = r.Sent < minVolume
}

// ValidChannel is a small guard used by read paths.
func validChannel(ch channels.Channel) error {
	if !ch.Valid() {
		return fmt.Errorf("channel %q is not one of email, sms", ch)
	}
	return nil
}
