package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/api"
	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms/smpp"
	"github.com/rebond/rebond/sms/smpp/smpptest"
	"github.com/rebond/rebond/store"
)

// TestRatesKnownMix loads a known mix — two campaigns, three domains, two
// send days, a late bounce a week after its send, a retry that was finally
// delivered, a complaint — and checks every counter, rate and interval of
// each grouping exactly.
func TestRatesKnownMix(t *testing.T) {
	t.Parallel()
	in := start(t, testConfig(t, 4, nil))
	day1 := time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	var events []map[string]any
	n := 0
	add := func(campaign, domain string, sent time.Time, outcome string) {
		n++
		msg, rcpt := fmt.Sprintf("mix-%d", n), fmt.Sprintf("u%d@%s", n, domain)
		events = append(events, ev("sent", msg, rcpt, campaign, sent, ""))
		switch outcome {
		case "delivered":
			events = append(events, ev("delivered", msg, rcpt, "", sent.Add(time.Minute), ""))
		case "hard":
			events = append(events, ev("failed", msg, rcpt, "", sent.Add(time.Minute), "5.1.1"))
		case "late-hard": // a bounce mail a week later
			events = append(events, ev("failed", msg, rcpt, "", sent.Add(7*24*time.Hour), "5.1.1"))
		case "soft":
			events = append(events, ev("failed", msg, rcpt, "", sent.Add(time.Minute), "4.2.2"))
		case "soft-then-delivered":
			events = append(events, ev("failed", msg, rcpt, "", sent.Add(time.Minute), "4.2.2"),
				ev("delivered", msg, rcpt, "", sent.Add(2*time.Hour), ""))
		case "complaint":
			events = append(events, ev("delivered", msg, rcpt, "", sent.Add(time.Minute), ""),
				ev("complaint", msg, rcpt, "", sent.Add(time.Hour), ""))
		}
	}
	// spring: 10 on day 1 at a.example (6 delivered, 2 hard, 1 soft, 1 pending),
	//         10 on day 2 at b.example (5 delivered, 1 late hard, 2 soft, 1 soft then delivered,
	//         1 delivered then complained: 7 delivered in all).
	for i, o := range []string{"delivered", "delivered", "delivered", "delivered", "delivered", "delivered", "hard", "hard", "soft", "pending"} {
		add("spring", "a.example", day1.Add(time.Duration(i)*time.Minute), o)
	}
	for i, o := range []string{"delivered", "delivered", "delivered", "delivered", "delivered", "late-hard", "soft", "soft", "soft-then-delivered", "complaint"} {
		add("spring", "b.example", day2.Add(time.Duration(i)*time.Minute), o)
	}
	// autumn: 4 on day 1 at c.example (3 delivered, 1 hard).
	for i, o := range []string{"delivered", "delivered", "delivered", "hard"} {
		add("autumn", "c.example", day1.Add(time.Duration(i)*time.Minute), o)
	}
	if code := in.do("POST", "/v1/events", events, nil); code != 202 {
		t.Fatalf("post: %d", code)
	}
	in.waitApplied(len(events), 30*time.Second)

	type row = store.RateRow
	get := func(q string) []row {
		t.Helper()
		var r struct{ Rows []row }
		if code := in.do("GET", "/v1/rates?channel=email&min_volume=15&"+q, nil, &r); code != 200 {
			t.Fatalf("rates %s: %d", q, code)
		}
		return r.Rows
	}
	check := func(name string, r row, sent, delivered, soft, hard, complaints, pending int64, low bool) {
		t.Helper()
		got := fmt.Sprintf("sent=%d delivered=%d soft=%d hard=%d complaints=%d pending=%d low=%v",
			r.Sent, r.Delivered, r.Soft, r.Hard, r.Complaints, r.Pending, r.LowVolume)
		want := fmt.Sprintf("sent=%d delivered=%d soft=%d hard=%d complaints=%d pending=%d low=%v",
			sent, delivered, soft, hard, complaints, pending, low)
		if got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
		for _, c := range []struct {
			what    string
			rate    float64
			ci      channels.Interval
			k, sent int64
		}{{"soft", r.SoftRate, r.SoftRateCI, soft, sent}, {"hard", r.HardRate, r.HardRateCI, hard, sent},
			{"complaint", r.ComplaintRate, r.ComplaintRateCI, complaints, sent}} {
			if math.Abs(c.rate-float64(c.k)/float64(c.sent)) > 1e-12 || c.ci != channels.Wilson(c.k, c.sent) {
				t.Errorf("%s %s: rate %v ci %+v, want %d/%d with its Wilson interval", name, c.what, c.rate, c.ci, c.k, c.sent)
			}
		}
	}

	byCampaign := get("group_by=campaign")
	if len(byCampaign) != 2 {
		t.Fatalf("by campaign: %+v", byCampaign)
	}
	check("autumn", byCampaign[0], 4, 3, 0, 1, 0, 0, true)
	check("spring", byCampaign[1], 20, 13, 3, 3, 1, 1, false)

	byDomain := get("campaign=spring&group_by=domain")
	if len(byDomain) != 2 || byDomain[0].Domain != "a.example" || byDomain[1].Domain != "b.example" {
		t.Fatalf("by domain: %+v", byDomain)
	}
	check("spring a.example", byDomain[0], 10, 6, 1, 2, 0, 1, true)
	check("spring b.example", byDomain[1], 10, 7, 2, 1, 1, 0, true)

	byDay := get("campaign=spring&group_by=day")
	if len(byDay) != 2 || !byDay[0].Bucket.Equal(time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("by day: %+v", byDay)
	}
	// The late bounce counts on its send's day, not on the day it arrived.
	check("spring day 2", byDay[1], 10, 7, 2, 1, 1, 0, true)

	window := get("from=" + url.QueryEscape(day2.Format(time.RFC3339)) + "&group_by=campaign")
	if len(window) != 1 || window[0].Campaign != "spring" {
		t.Fatalf("from day 2: %+v", window)
	}
	check("spring from day 2", window[0], 10, 7, 2, 1, 1, 0, true)

	byHour := get("campaign=autumn&group_by=domain,hour")
	if len(byHour) != 1 || !byHour[0].Bucket.Equal(day1) || byHour[0].Domain != "c.example" {
		t.Fatalf("by domain and hour: %+v", byHour)
	}
	check("autumn c.example 09:00", byHour[0], 4, 3, 0, 1, 0, 0, true)
}

// TestRatesByRoute: SMS sent events that name no provider, then their
// receipts through rebond's own SMPP bind (gateway gw1, fed by the bench's
// SMSC) and through the Kannel webhook: rates by route are exact, each
// send counted once on the route of its first receipt (a second route's
// report moves nothing), the one never reported on the unknown route.
func TestRatesByRoute(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 4, nil)
	const token = "kannel-route-token-0123"
	cfg.Webhooks = map[string]map[string]any{"kannel": {"provider": "kannel", "token": token, "dialect": "map"}}
	smscAddr := freeAddr(t)
	cfg.SMPP.Gateways = []smpp.Gateway{{Name: "gw1", Addr: smscAddr, SystemID: "rebond", Password: "route", Dialect: "map",
		Binds: 1, ReconnectMin: 50 * time.Millisecond, ReconnectMax: 200 * time.Millisecond}}
	in := start(t, cfg)
	at := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	number := func(i int) string { return fmt.Sprintf("4477009002%02d", i) }
	var sends []map[string]any
	for i := 1; i <= 6; i++ {
		e := smsEv("sent", fmt.Sprintf("rt-%d", i), "+"+number(i), "routes", at, "")
		delete(e, "provider") // as a sender posts them: it knows no route
		sends = append(sends, e)
	}
	if code := in.do("POST", "/v1/events", sends, nil); code != 202 {
		t.Fatalf("sent: %d", code)
	}
	in.waitApplied(len(sends), 30*time.Second)

	// rt-1..3 through the SMPP bind.
	jobs := make(chan smpptest.Receipt, 3)
	for i, stat := range []string{"DELIVRD", "UNDELIV", "DELIVRD"} {
		jobs <- smpptest.Receipt{MessageID: fmt.Sprintf("rt-%d", i+1), Recipient: number(i + 1), Stat: stat, Err: "001", Done: at.Add(time.Minute)}
	}
	close(jobs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var acked atomic.Int64
	if err := smpptest.DeliverReceipts(ctx, smscAddr, jobs, 20*time.Second, &acked); err != nil || acked.Load() != 3 {
		t.Fatalf("smpp receipts: %d acknowledged, %v", acked.Load(), err)
	}
	in.waitApplied(len(sends)+3, 30*time.Second)
	// rt-4, rt-5 through Kannel's dlr-url; then Kannel reports rt-1 too,
	// which keeps its route.
	for _, r := range []struct{ ref, typ, stat string }{{"rt-4", "1", "DELIVRD"}, {"rt-5", "2", "UNDELIV"}, {"rt-1", "1", "DELIVRD"}} {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.ref, "rt-"))
		q := url.Values{"token": {token}, "type": {r.typ}, "ref": {r.ref}, "fid": {"k-" + r.ref}, "from": {number(n)},
			"ts":     {fmt.Sprint(at.Add(2 * time.Minute).Unix())},
			"answer": {"id:k-" + r.ref + " sub:001 dlvrd:000 submit date:2611221200 done date:2611221201 stat:" + r.stat + " err:001 text:"}}
		resp, err := http.Get(in.base + "/v1/webhooks/kannel?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("kannel %s: %d", r.ref, resp.StatusCode)
		}
	}
	in.waitApplied(len(sends)+6, 30*time.Second)

	var rates struct{ Rows []store.RateRow }
	if code := in.do("GET", "/v1/rates?channel=sms&campaign=routes&group_by=route", nil, &rates); code != 200 {
		t.Fatalf("rates: %d", code)
	}
	got := map[string]string{}
	for _, r := range rates.Rows {
		got[r.Route] = fmt.Sprintf("sent=%d delivered=%d soft=%d hard=%d pending=%d", r.Sent, r.Delivered, r.Soft, r.Hard, r.Pending)
	}
	want := map[string]string{
		"smpp:gw1": "sent=3 delivered=2 soft=0 hard=1 pending=0",
		"kannel":   "sent=2 delivered=1 soft=0 hard=1 pending=0",
		"unknown":  "sent=1 delivered=0 soft=0 hard=0 pending=1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rates by route (-want +got):\n%s", diff)
	}
	var one struct{ Rows []store.RateRow }
	if code := in.do("GET", "/v1/rates?channel=sms&route=kannel", nil, &one); code != 200 || len(one.Rows) != 1 || one.Rows[0].Sent != 2 {
		t.Errorf("route=kannel: %d %+v, want one row of 2 sent", code, one.Rows)
	}
}

// TestPrintRatesByRoute: the table has a ROUTE column when the rows are
// grouped by route, and none otherwise.
func TestPrintRatesByRoute(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	g := &globals{stdout: &out}
	printRates(g, []store.RateRow{{Channel: "sms", Campaign: "c", Route: "smpp:gw1", Sent: 3, Delivered: 2, Hard: 1}})
	header, row, _ := strings.Cut(out.String(), "\n")
	if !strings.Contains(strings.Join(strings.Fields(header), " "), "DOMAIN ROUTE BUCKET") || !strings.Contains(row, " smpp:gw1 ") {
		t.Errorf("by route:\n%s", out.String())
	}
	out.Reset()
	printRates(g, []store.RateRow{{Channel: "sms", Campaign: "c", Sent: 3}})
	if strings.Contains(out.String(), "ROUTE") {
		t.Errorf("without route:\n%s", out.String())
	}
}

// TestRatesGroupByFlag: `rebond rates --group-by` takes the API's groups
// (api.RateGroups), says so in its help, and refuses another one naming
// every valid group, before it opens anything.
func TestRatesGroupByFlag(t *testing.T) {
	t.Parallel()
	_, err := rebondCLI(t, "rates", "--group-by", "campaign,colour")
	if err == nil || !strings.Contains(err.Error(), `--group-by: unknown group "colour"`) {
		t.Fatalf("--group-by colour: %v", err)
	}
	help, herr := rebondCLI(t, "rates", "--help")
	if herr != nil {
		t.Fatal(herr)
	}
	for _, g := range api.RateGroups() {
		if !strings.Contains(err.Error(), g) {
			t.Errorf("the error %q does not name %s", err, g)
		}
		if !strings.Contains(help, g) {
			t.Errorf("rates --help does not name %s", g)
		}
	}
	if _, err := rebondCLI(t, "rates", "--group-by", "day,hour"); err == nil || !strings.Contains(err.Error(), "--group-by: choose one of day and hour") {
		t.Errorf("--group-by day,hour: %v", err)
	}
}
