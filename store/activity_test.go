package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/store"
)

// activityRow is an event as the activity tests store it, verdict
// included: id is the event's id within its tenant; country and mccmnc,
// an SMS event's network as a producer or a gateway gave it.
type activityRow struct {
	id, tenant, channel, msg, rcpt, campaign, provider, outcome, reason string
	country, mccmnc                                                     string
	at                                                                  time.Time
}

// verdictOf is a Decider's classifier that gives each event the verdict
// its activityRow names.
type verdictOf map[string]channels.Verdict

func (v verdictOf) Classify(e channels.Event) channels.Verdict { return v[e.Key()] }

// insertActivity stores rows as the pipeline does: the inbox insert, then
// (unless outcome is empty: an event still pending) the apply with the
// row's verdict, which also writes notable_events.
func insertActivity(t *testing.T, s *store.Store, rows ...activityRow) {
	t.Helper()
	ctx := context.Background()
	verdicts := verdictOf{}
	var applied []channels.Event
	for _, r := range rows {
		e := channels.Event{ID: r.id, Tenant: r.tenant, Channel: channels.Channel(r.channel), Type: channels.Failed,
			MessageID: r.msg, Recipient: r.rcpt, Campaign: r.campaign, OccurredAt: r.at, Provider: r.provider,
			Raw: "GET /dlr?id=1&token=s3cret&stat=DELIVRD", Country: r.country}
		if r.mccmnc != "" {
			e.SMS = &channels.SMSReceipt{Stat: "UNDELIV", MCCMNC: r.mccmnc}
		}
		if r.tenant == channels.DefaultTenant {
			e.Tenant = ""
		}
		if _, err := s.InsertEvents(ctx, []channels.Event{e}); err != nil {
			t.Fatal(err)
		}
		if r.outcome != "" {
			verdicts[e.Key()] = channels.Verdict{Outcome: channels.Outcome(r.outcome), Reason: channels.Reason(r.reason),
				Rule: "test.rule", Evidence: "the evidence"}
			applied = append(applied, e)
		}
	}
	for _, e := range applied {
		if _, err := s.Apply(ctx, []string{e.Key()}, func(snap lifecycle.Snapshot) lifecycle.Plan {
			return lifecycle.Decide(testPolicy, verdicts, snap)
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// activityCase is a query of the default tenant's log and the ids of
// the page it should give, newest first.
type activityCase struct {
	name string
	q    store.ActivityQuery
	want []string
}

// runActivityCases runs each case as a subtest.
func runActivityCases(t *testing.T, s *store.Store, now time.Time, cases []activityCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.Activity(context.Background(), tt.q, now)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ids(p)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

func ids(p store.ActivityPage) []string {
	out := []string{}
	for _, e := range p.Events {
		out = append(out, e.ID)
	}
	return out
}

func TestActivityFilters(t *testing.T) {
	t.Parallel()
	s, db := openStoreDB(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	// e's bounce names no campaign; its message, spring's, does.
	if _, err := db.Exec(`INSERT INTO messages (tenant, channel, message_id, recipient, campaign) VALUES ('default', 'email', 'm9', 'z@example.org', 'spring')`); err != nil {
		t.Fatal(err)
	}
	insertActivity(t, s,
		activityRow{id: "a", tenant: "default", channel: "email", msg: "m1", rcpt: "x@example.org", campaign: "spring", provider: "ses", outcome: "hard", reason: "user_unknown", at: now.Add(-1 * time.Hour)},
		activityRow{id: "b", tenant: "default", channel: "email", msg: "m2", rcpt: "y@example.org", campaign: "spring", provider: "ses", outcome: "soft", reason: "mailbox_full", at: now.Add(-2 * time.Hour)},
		activityRow{id: "c", tenant: "default", channel: "sms", msg: "s1", rcpt: "+33612345678", campaign: "", provider: "twilio", outcome: "hard", reason: "user_unknown", at: now.Add(-3 * time.Hour)},
		activityRow{id: "d", tenant: "default", channel: "email", msg: "m3", rcpt: "x@example.org", campaign: "autumn", provider: "postfix", at: now.Add(-4 * time.Hour)},
		activityRow{id: "old", tenant: "default", channel: "email", msg: "m4", rcpt: "x@example.org", campaign: "spring", provider: "ses", outcome: "hard", reason: "user_unknown", at: now.Add(-8 * 24 * time.Hour)},
		activityRow{id: "e", tenant: "default", channel: "email", msg: "m9", rcpt: "z@example.org", campaign: "", provider: "postfix", outcome: "hard", reason: "user_unknown", at: now.Add(-90 * time.Minute)},
		activityRow{id: "a2", tenant: "acme", channel: "email", msg: "m1", rcpt: "x@example.org", campaign: "spring", provider: "ses", outcome: "hard", reason: "user_unknown", at: now.Add(-time.Minute)},
	)
	tests := []activityCase{
		{"default window, newest first", store.ActivityQuery{}, []string{"a", "e", "b", "c", "d"}},
		{"channel", store.ActivityQuery{Channel: channels.SMS}, []string{"c"}},
		{"campaign, its own or its message's", store.ActivityQuery{Campaign: "spring", CampaignSet: true}, []string{"a", "e", "b"}},
		{"no campaign", store.ActivityQuery{CampaignSet: true}, []string{"e", "c"}},
		{"recipient", store.ActivityQuery{Recipient: "x@example.org"}, []string{"a", "d"}},
		{"message id", store.ActivityQuery{MessageID: "m2"}, []string{"b"}},
		{"outcome", store.ActivityQuery{Outcome: "hard"}, []string{"a", "e", "c"}},
		{"reason", store.ActivityQuery{Reason: "user_unknown"}, []string{"a", "e", "c"}},
		{"provider", store.ActivityQuery{Provider: "twilio"}, []string{"c"}},
		{"campaign and reason", store.ActivityQuery{Campaign: "spring", CampaignSet: true, Reason: "user_unknown"}, []string{"a", "e"}},
		{"time range", store.ActivityQuery{From: now.Add(-9 * 24 * time.Hour), To: now.Add(-150 * time.Minute)}, []string{"c", "d", "old"}},
		{"nothing", store.ActivityQuery{Reason: "spam_block"}, []string{}},
	}
	runActivityCases(t, s, now, tests)
	// Tenant isolation: acme sees its own event only, under its id.
	p, err := s.Activity(channels.WithTenant(ctx, "acme"), store.ActivityQuery{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a2"}, ids(p)); diff != "" {
		t.Errorf("acme's ids (-want +got):\n%s", diff)
	}
	if _, err := s.ActivityEvent(ctx, "a2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("default tenant reads acme's event: %v", err)
	}
	d, err := s.ActivityEvent(channels.WithTenant(ctx, "acme"), "a2")
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "a2" || d.Evidence != "the evidence" || d.Rule != "test.rule" || d.Reason != "user_unknown" || d.Event.Provider != "ses" || d.Event.Raw == "" {
		t.Errorf("detail = %+v", d)
	}
}

func TestActivityPagination(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	var rows []activityRow
	var want []string
	// 30 events, three by timestamp (ties broken by id, descending), some
	// of them hours and days back so the unfiltered query's slices meet.
	for i := range 30 {
		at := now.Add(-time.Minute).Add(-time.Duration(i/3) * 17 * time.Minute * time.Duration(1+i/10*20))
		rows = append(rows, activityRow{id: fmt.Sprintf("e%02d", i), tenant: "default", channel: "email", msg: "m", rcpt: "x@example.org", campaign: "c", at: at})
	}
	insertActivity(t, s, rows...)
	slices.SortFunc(rows, func(a, b activityRow) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	for _, r := range rows {
		want = append(want, r.id)
	}
	for n, q := range []store.ActivityQuery{{Limit: 7}, {Limit: 7, Campaign: "c", CampaignSet: true}, {Limit: 30}, {Limit: 1}} {
		var got []string
		q.Cursor = ""
		for pages := 0; pages < 40; pages++ {
			p, err := s.Activity(ctx, q, now)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(p)...)
			if pages == 0 {
				// A newer event arriving between pages does not shift them.
				insertActivity(t, s, activityRow{id: fmt.Sprintf("new%d", n), tenant: "default", channel: "email", msg: "m", rcpt: "x@example.org", campaign: "c", at: now.Add(-time.Second)})
			}
			if p.NextCursor == "" {
				break
			}
			q.Cursor = p.NextCursor
		}
		// Only the first query's pages miss all the events inserted later.
		var filtered []string
		for _, id := range got {
			if id[0] != 'n' {
				filtered = append(filtered, id)
			}
		}
		if diff := cmp.Diff(want, filtered); diff != "" {
			t.Errorf("limit %d: pages (-want +got):\n%s", q.Limit, diff)
		}
	}
}

func TestActivityBadQueries(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for _, q := range []store.ActivityQuery{
		{From: now.Add(-32 * 24 * time.Hour), To: now},
		{From: now, To: now.Add(-time.Hour)},
		{Limit: store.MaxActivityRows + 1},
		{Cursor: "not-a-cursor"},
		{Channel: "fax"},
		{Country: "G1"},
		{Country: "GBR"},
		{Carrier: "2341"},
		{Carrier: "23410x"},
	} {
		if _, err := s.Activity(context.Background(), q, now); !errors.Is(err, store.ErrBadQuery) {
			t.Errorf("%+v: %v, want ErrBadQuery", q, err)
		}
	}
}

// TestActivityNetwork filters SMS events by country (the event's own,
// else its number's, as rates count it) and by the carrier a receipt
// reported, on both statements: a hard outcome reads notable_events.
func TestActivityNetwork(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	row := func(id, rcpt, country, mccmnc, outcome string, ago time.Duration) activityRow {
		r := activityRow{id: id, tenant: "default", channel: "sms", msg: "m-" + id, rcpt: rcpt, provider: "kannel",
			country: country, mccmnc: mccmnc, outcome: outcome, at: now.Add(-ago)}
		if outcome == "hard" {
			r.reason = "user_unknown"
		}
		return r
	}
	insertActivity(t, s,
		row("gb", "447700900123", "", "23410", "hard", time.Hour),
		row("fr-said-gb", "33612345678", "GB", "", "hard", 2*time.Hour), // the gateway's word wins
		row("fr", "33612345679", "", "20801", "", 3*time.Hour),
		row("ca", "12045551234", "", "", "delivered", 4*time.Hour),
		row("us", "12125551234", "", "", "delivered", 5*time.Hour),
		activityRow{id: "mail", tenant: "default", channel: "email", msg: "m1", rcpt: "x@example.org", outcome: "hard", reason: "user_unknown", at: now.Add(-30 * time.Minute)},
	)
	tests := []activityCase{
		{"country, the event's or the number's", store.ActivityQuery{Country: "GB"}, []string{"gb", "fr-said-gb"}},
		{"lower case", store.ActivityQuery{Country: "fr"}, []string{"fr"}},
		{"NANP by area code, Canada", store.ActivityQuery{Country: "CA"}, []string{"ca"}},
		{"NANP by area code, US", store.ActivityQuery{Country: "US"}, []string{"us"}},
		{"a territory no number gives", store.ActivityQuery{Country: "JE"}, []string{}},
		{"carrier", store.ActivityQuery{Carrier: "23410"}, []string{"gb"}},
		{"carrier with its dash", store.ActivityQuery{Carrier: "208-01"}, []string{"fr"}},
		{"country and carrier", store.ActivityQuery{Country: "FR", Carrier: "23410"}, []string{}},
		{"country on notable_events", store.ActivityQuery{Country: "GB", Outcome: "hard"}, []string{"gb", "fr-said-gb"}},
		{"carrier on notable_events", store.ActivityQuery{Carrier: "23410", Reason: "user_unknown"}, []string{"gb"}},
		{"country with a campaign", store.ActivityQuery{Country: "US", CampaignSet: true}, []string{"us"}},
	}
	runActivityCases(t, s, now, tests)
	// Each row shows the country it is filtered by and its carrier.
	p, err := s.Activity(ctx, store.ActivityQuery{}, now)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range p.Events {
		got[e.ID] = e.Country + "/" + e.Carrier
	}
	want := map[string]string{"mail": "/", "gb": "GB/23410", "fr-said-gb": "GB/", "fr": "FR/20801", "ca": "CA/", "us": "US/"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("country/carrier (-want +got):\n%s", diff)
	}
	d, err := s.ActivityEvent(ctx, "fr")
	if err != nil || d.Country != "FR" || d.Carrier != "20801" {
		t.Errorf("detail %+v: %v", d.ActivityEvent, err)
	}
}
