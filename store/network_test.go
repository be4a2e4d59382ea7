package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// smsEvent is an SMS event of campaign c1; mccmnc, when set, is the
// carrier its gateway reported; status drives statusClassifier.
func smsEvent(typ channels.Type, msg, number, status, mccmnc string, at time.Time) channels.Event {
	e := event(typ, msg, "a@example.com", status, at)
	e.Channel, e.Recipient, e.ID = channels.SMS, number, ""
	if mccmnc != "" {
		e.SMS = &channels.SMSReceipt{MCCMNC: mccmnc}
	}
	if err := e.Normalize(); err != nil {
		panic(err)
	}
	return e
}

// networkRows renders rate rows as "country carrier[ reason] sent/delivered/soft/hard".
func networkRows(rows []store.RateRow) []string {
	var out []string
	for _, r := range rows {
		s := fmt.Sprintf("%s|%s", r.Country, r.Carrier)
		if r.Domain != "" {
			s += " " + r.Domain
		}
		if r.Reason != "" {
			s += " " + r.Reason
		}
		out = append(out, fmt.Sprintf("%s %d/%d/%d/%d", s, r.Sent, r.Delivered, r.Soft, r.Hard))
	}
	return out
}

// TestRatesByCarrier: SMS sends counted under their numbers' countries,
// then receipts naming carriers in a later batch: each delivery moves once
// to its carrier, and the hourly buckets, the daily roll-ups and the
// deliveries (group_by reason) agree by country and carrier; email rows
// name neither.
func TestRatesByCarrier(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	const gb1, gb2, gb3, fr, ca = "447700900001", "447700900002", "447700900003", "33612345678", "12505550199"
	insertApply(t, s,
		smsEvent(channels.Sent, "s1", gb1, "", "", t0), smsEvent(channels.Sent, "s2", gb2, "", "", t0),
		smsEvent(channels.Sent, "s3", gb3, "", "", t0), smsEvent(channels.Sent, "s4", fr, "", "", t0),
		smsEvent(channels.Sent, "s5", ca, "", "", t0.Add(time.Hour)),
		event(channels.Sent, "e1", "u@example.com", "", t0))
	insertApply(t, s,
		smsEvent(channels.Delivered, "s1", gb1, "", "23410", t0.Add(2*time.Hour)),
		smsEvent(channels.Failed, "s2", gb2, "5.1.1", "23410", t0.Add(2*time.Hour)),
		smsEvent(channels.Delivered, "s3", gb3, "", "23415", t0.Add(2*time.Hour)),
		smsEvent(channels.Failed, "s4", fr, "5.1.1", "", t0.Add(2*time.Hour)))
	// A later receipt naming another network moves nothing.
	insertApply(t, s, smsEvent(channels.Failed, "s1", gb1, "4.2.2", "23420", t0.Add(3*time.Hour)))

	day := t0.Truncate(24 * time.Hour)
	rates := func(q store.RatesQuery) []string {
		t.Helper()
		rows, err := s.Rates(ctx, q)
		if err != nil {
			t.Fatalf("rates %+v: %v", q, err)
		}
		return networkRows(rows)
	}
	sms := channels.SMS
	for _, tc := range []struct {
		name string
		q    store.RatesQuery
		want []string
	}{
		{"by country, hourly buckets", store.RatesQuery{Channel: sms, GroupBy: []string{"country"}},
			[]string{"CA| 1/0/0/0", "FR| 1/0/0/1", "GB| 3/2/0/1"}},
		{"by country, daily roll-ups", store.RatesQuery{Channel: sms, GroupBy: []string{"country"}, From: day, To: day.Add(24 * time.Hour)},
			[]string{"CA| 1/0/0/0", "FR| 1/0/0/1", "GB| 3/2/0/1"}},
		{"by carrier", store.RatesQuery{Channel: sms, GroupBy: []string{"carrier"}, From: day, To: day.Add(24 * time.Hour)},
			[]string{"|unknown 2/0/0/1", "|23410 2/1/0/1", "|23415 1/1/0/0"}},
		{"by country and carrier", store.RatesQuery{Channel: sms, GroupBy: []string{"country", "carrier"}},
			[]string{"CA|unknown 1/0/0/0", "FR|unknown 1/0/0/1", "GB|23410 2/1/0/1", "GB|23415 1/1/0/0"}},
		{"by carrier and domain: the network key", store.RatesQuery{Channel: sms, GroupBy: []string{"carrier", "domain"}},
			[]string{"|unknown CA 1/0/0/0", "|unknown FR 1/0/0/1", "|23410 GB/23410 2/1/0/1", "|23415 GB/23415 1/1/0/0"}},
		{"by carrier and reason, from the deliveries", store.RatesQuery{Channel: sms, GroupBy: []string{"carrier", "reason"}},
			[]string{"|unknown pending 2/0/0/0", "|unknown user_unknown 2/0/0/1", "|23410 delivered 2/1/0/0",
				"|23410 user_unknown 2/0/0/1", "|23415 delivered 1/1/0/0"}},
		{"email rows name no country", store.RatesQuery{Channel: channels.Email, GroupBy: []string{"country"}},
			[]string{"| 1/0/0/0"}},
	} {
		if diff := cmp.Diff(tc.want, rates(tc.q)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
