package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// keyRows renders rate rows as "channel campaign domain [bucket ][reason ]
// sent/delivered/soft/hard", an empty key as "-".
func keyRows(rows []store.RateRow) []string {
	var out []string
	for _, r := range rows {
		cell := func(s string) string {
			if s == "" {
				return "-"
			}
			return s
		}
		s := strings.Join([]string{string(r.Channel), cell(r.Campaign), cell(r.Domain)}, " ")
		if r.Bucket != nil {
			s += " " + r.Bucket.Format("01-02")
		}
		if r.Reason != "" {
			s += " " + r.Reason
		}
		out = append(out, fmt.Sprintf("%s %d/%d/%d/%d", s, r.Sent, r.Delivered, r.Soft, r.Hard))
	}
	return out
}

// TestRatesGroupKeys: a row's keys are its channel and exactly the groups
// asked: campaign when none is, a domain summed over every campaign when
// only domain is, the channel alone for "channel"; a campaign filtered on
// is named on its rows; reasons follow the same keys.
func TestRatesGroupKeys(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	in := func(campaign string, e channels.Event) channels.Event {
		e.Campaign = campaign
		return e
	}
	sms := channels.Event{Channel: channels.SMS, Type: channels.Sent, MessageID: "s1", Recipient: "+447700900123", Campaign: "c1", OccurredAt: t0}
	if err := sms.Normalize(); err != nil {
		t.Fatal(err)
	}
	insertApply(t, s,
		in("c1", event(channels.Sent, "m1", "u1@a.example", "", t0)),
		in("c1", event(channels.Sent, "m2", "u2@b.example", "", t0)),
		in("c2", event(channels.Sent, "m3", "u3@a.example", "", t0)),
		in("c2", event(channels.Sent, "m4", "u4@a.example", "", t0)),
		sms)
	insertApply(t, s,
		in("c1", event(channels.Failed, "m1", "u1@a.example", "5.1.1", t0.Add(time.Minute))),
		in("c1", event(channels.Delivered, "m2", "u2@b.example", "", t0.Add(time.Minute))),
		in("c2", event(channels.Failed, "m3", "u3@a.example", "4.2.2", t0.Add(time.Minute))))

	day := t0.Truncate(24 * time.Hour)
	for _, tc := range []struct {
		name string
		q    store.RatesQuery
		want []string // nil: an error
	}{
		{"no group: campaign", store.RatesQuery{},
			[]string{"email c1 - 2/1/0/1", "email c2 - 2/0/1/0", "sms c1 - 1/0/0/0"}},
		{"campaign", store.RatesQuery{GroupBy: []string{"campaign"}},
			[]string{"email c1 - 2/1/0/1", "email c2 - 2/0/1/0", "sms c1 - 1/0/0/0"}},
		{"channel alone", store.RatesQuery{GroupBy: []string{"channel"}},
			[]string{"email - - 4/1/1/1", "sms - - 1/0/0/0"}},
		{"domain, over every campaign", store.RatesQuery{GroupBy: []string{"domain"}},
			[]string{"email - a.example 3/0/1/1", "email - b.example 1/1/0/0", "sms - GB 1/0/0/0"}}, // an SMS domain is its network (channels.Network)
		{"channel adds nothing", store.RatesQuery{GroupBy: []string{"channel", "domain"}},
			[]string{"email - a.example 3/0/1/1", "email - b.example 1/1/0/0", "sms - GB 1/0/0/0"}},
		{"campaign and domain", store.RatesQuery{Channel: channels.Email, GroupBy: []string{"campaign", "domain"}},
			[]string{"email c1 a.example 1/0/0/1", "email c1 b.example 1/1/0/0", "email c2 a.example 2/0/1/0"}},
		{"a filtered campaign is named", store.RatesQuery{Campaign: "c2", GroupBy: []string{"domain"}},
			[]string{"email c2 a.example 2/0/1/0"}},
		{"day, from the campaign roll-up", store.RatesQuery{GroupBy: []string{"day"}, From: day},
			[]string{"email - - 11-02 4/1/1/1", "sms - - 11-02 1/0/0/0"}},
		{"day, from the hourly buckets", store.RatesQuery{GroupBy: []string{"day"}, From: t0.Truncate(time.Hour)},
			[]string{"email - - 11-02 4/1/1/1", "sms - - 11-02 1/0/0/0"}},
		{"reason, over every campaign", store.RatesQuery{Channel: channels.Email, GroupBy: []string{"reason"}},
			[]string{"email - - delivered 4/1/0/0", "email - - mailbox_full 4/0/1/0", "email - - pending 4/0/0/0", "email - - user_unknown 4/0/0/1"}},
		{"campaign and reason", store.RatesQuery{Channel: channels.Email, GroupBy: []string{"campaign", "reason"}},
			[]string{"email c1 - delivered 2/1/0/0", "email c1 - user_unknown 2/0/0/1", "email c2 - mailbox_full 2/0/1/0", "email c2 - pending 2/0/0/0"}},
		{"an unknown group", store.RatesQuery{GroupBy: []string{"planet"}}, nil},
		{"provider is the API's", store.RatesQuery{GroupBy: []string{"provider"}}, nil},
		{"day and hour", store.RatesQuery{GroupBy: []string{"day", "hour"}}, nil},
		{"reason and reason_group", store.RatesQuery{GroupBy: []string{"reason", "reason_group"}}, nil},
	} {
		rows, err := s.Rates(ctx, tc.q)
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s: accepted, want an error", tc.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, keyRows(rows)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
