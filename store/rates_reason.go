package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
)

// ratesByReason answers group_by=reason and reason_group from the
// messages' final outcomes (rate buckets carry no reason): one row per
// reason (or group) with the messages whose status has it, and Sent the
// total of the surrounding group, so each row's rates are its share of
// what was sent and the rows of a group add up to the group's rates.
// Delivered and pending messages count under the reasons "delivered" and
// "pending". It reads the messages table, so a campaign filter keeps it
// quick on large stores.
func (s *Store) ratesByReason(ctx context.Context, q RatesQuery, k rateKeys) ([]RateRow, error) {
	stmt, args := ratesReasonSQL(q, k)
	rows, err := s.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("query rates by reason: %w", err)
	}
	defer rows.Close()
	var out []RateRow
	var pending []int64
	for rows.Next() {
		var r RateRow
		var bucket *time.Time
		var p int64
		if err := rows.Scan(&r.Channel, &r.Campaign, &r.Domain, &r.Route, &bucket, &r.Reason,
			&r.Delivered, &r.Soft, &r.Hard, &r.Complaints, &p, &r.Sent); err != nil {
			return nil, fmt.Errorf("scan rates by reason: %w", err)
		}
		if k.route {
			r.Route = lifecycle.Route(r.Route)
		}
		if bucket != nil {
			b := bucket.UTC()
			r.Bucket = &b
		}
		out = append(out, r)
		pending = append(pending, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if k.reasonGroup {
		out, pending = byReasonGroup(out, pending)
	}
	for i := range out {
		k.network(&out[i])
		out[i].finish(q.MinVolume)
		out[i].Pending = pending[i] // finish derives it for whole groups; here it is the row's own
	}
	return out, nil
}

// ratesReasonSQL is the query of ratesByReason. Provider is no key of
// the store (api.Rates regroups domains), so reason rows never have one.
func ratesReasonSQL(q RatesQuery, k rateKeys) (string, []any) {
	campaign, domain, route, bucket := "''", k.domainKey(), "''", "NULL::timestamptz"
	if k.campaign {
		campaign = "campaign"
	}
	if k.route {
		route = "route"
	}
	switch {
	case k.day:
		bucket = "date_trunc('day', sent_at, 'UTC')"
	case k.hour:
		bucket = "date_trunc('hour', sent_at, 'UTC')"
	}
	where, args := rateFilters(q, "sent_at")
	where = append(where, "sent_at IS NOT NULL")
	reason := "CASE status WHEN 'delivered' THEN 'delivered' WHEN 'pending' THEN 'pending' ELSE reason END"
	// Only real expressions in PARTITION BY (PostgreSQL refuses constants
	// there); GROUP BY and ORDER BY use output positions.
	partition := []string{"channel"}
	for _, e := range []string{campaign, domain, route, bucket} {
		if !strings.HasPrefix(e, "''") && !strings.HasPrefix(e, "NULL") {
			partition = append(partition, e)
		}
	}
	sql := "SELECT channel, " + campaign + " AS campaign, " + domain + " AS domain, " + route + " AS route, " + bucket + " AS bucket, " + reason + " AS reason," +
		" count(*) FILTER (WHERE status = 'delivered'), count(*) FILTER (WHERE status = 'soft')," +
		" count(*) FILTER (WHERE status = 'hard'), count(*) FILTER (WHERE complained)," +
		" count(*) FILTER (WHERE status = 'pending')," +
		" (sum(count(*)) OVER (PARTITION BY " + strings.Join(partition, ", ") + "))::bigint" +
		" FROM messages WHERE " + strings.Join(where, " AND ") +
		" GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
	return sql, args
}

// byReasonGroup sums reason rows into their groups (REASONS.md); Sent is
// the surrounding group's total, the same on every row, so it is kept.
func byReasonGroup(rows []RateRow, pending []int64) ([]RateRow, []int64) {
	type key struct {
		ch                      channels.Channel
		campaign, domain, route string
		bucket                  time.Time
		group                   string
	}
	idx := map[key]int{}
	var out []RateRow
	var outPending []int64
	for i, r := range rows {
		k := key{ch: r.Channel, campaign: r.Campaign, domain: r.Domain, route: r.Route, group: channels.ReasonGroup(r.Channel, channels.Reason(r.Reason))}
		if r.Bucket != nil {
			k.bucket = *r.Bucket
		}
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			out = append(out, RateRow{Channel: r.Channel, Campaign: r.Campaign, Domain: r.Domain, Route: r.Route, Bucket: r.Bucket,
				ReasonGroup: k.group, Sent: r.Sent})
			outPending = append(outPending, 0)
		}
		o := &out[j]
		o.Delivered, o.Soft, o.Hard, o.Complaints = o.Delivered+r.Delivered, o.Soft+r.Soft, o.Hard+r.Hard, o.Complaints+r.Complaints
		outPending[j] += pending[i]
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := out[a], out[b]
		xb, yb := time.Time{}, time.Time{}
		if x.Bucket != nil {
			xb = *x.Bucket
		}
		if y.Bucket != nil {
			yb = *y.Bucket
		}
		return cmp.Or(cmp.Compare(x.Channel, y.Channel), cmp.Compare(x.Campaign, y.Campaign), cmp.Compare(x.Domain, y.Domain),
			cmp.Compare(x.Route, y.Route), xb.Compare(yb), cmp.Compare(x.ReasonGroup, y.ReasonGroup))
	})
	sorted, sortedPending := make([]RateRow, len(out)), make([]int64, len(out))
	for i, j := range order {
		sorted[i], sortedPending[i] = out[j], outPending[j]
	}
	return sorted, sortedPending
}
