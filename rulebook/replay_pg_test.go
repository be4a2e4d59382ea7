package rulebook_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/rulebook"
	"github.com/rebond/rebond/store"
)

const acmeText = "Mailbox permanently closed by the Acme gateway (ref 8812)"

// acmeRule turns the Acme text, unknown to the built-in rules (soft,
// fallback), into a hard user_unknown.
var acmeRule = rules.Rule{ID: "email.text.acme.closed", Channel: channels.Email, Priority: 210,
	Match:   rules.Match{Text: `mailbox permanently closed by the acme gateway`},
	Verdict: rules.Verdict{Outcome: channels.OutcomeHard, Reason: "user_unknown"}}

func delivered(msg, rcpt string, at time.Time) channels.Event {
	return channels.Event{Channel: channels.Email, Type: channels.Delivered, MessageID: msg, Recipient: rcpt, OccurredAt: at}
}

// replayEvents are applied under the built-in rules, then replayed over
// [t0, t0+1h) under the Acme rule. m1 was sent the day before the range;
// m2 was delivered after its soft failure (delivered under the old rules,
// hard under the new); m5 was never sent (no bucket).
func replayEvents() []channels.Event {
	return []channels.Event{
		sent("m1", "ann@example.com", "spring", t0.Add(-24*time.Hour)),
		failed("m1", "ann@example.com", acmeText, t0.Add(time.Minute)),
		sent("m2", "bob@example.com", "spring", t0),
		failed("m2", "bob@example.com", acmeText, t0.Add(2*time.Minute)),
		delivered("m2", "bob@example.com", t0.Add(5*time.Minute)),
		sent("m3", "cy@example.com", "autumn", t0),
		bounced("m3", "cy@example.com", 550, "5.1.1", "user unknown", t0.Add(3*time.Minute)),
		sent("m4", "dee@example.com", "autumn", t0.Add(30*time.Minute)),
		delivered("m4", "dee@example.com", t0.Add(31*time.Minute)),
		failed("m5", "eve@example.com", acmeText, t0.Add(4*time.Minute)),
	}
}

// outOfRange is a message of the hour after the replay range: its
// verdict must stay the one it was applied with.
func outOfRange() []channels.Event {
	return []channels.Event{
		sent("m6", "fay@example.com", "spring", t0.Add(time.Hour)),
		failed("m6", "fay@example.com", acmeText, t0.Add(time.Hour+time.Minute)),
	}
}

// TestReplay is the acceptance test of the replay: after an operator rule
// changes the verdicts of stored events, a replay of the range leaves the
// verdicts, the messages and all three rate tables exactly as a fresh
// apply under the new rules would have; a second replay changes nothing;
// a dry run writes nothing.
func TestReplay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	c, _ := f.reloaded(t)
	f.apply(t, c, replayEvents()...)
	f.apply(t, c, outOfRange()...)
	if _, err := f.book.Create(ctx, acmeRule, "", "ann"); err != nil {
		t.Fatal(err)
	}
	req := rulebook.ReplayRequest{From: t0, To: t0.Add(time.Hour), Batch: 3}

	before := f.dump(t)
	dry := req
	dry.DryRun = true
	rep, err := f.book.Replay(ctx, f.st, dry)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, f.dump(t)); diff != "" {
		t.Errorf("a dry run changed the database (-before +after):\n%s", diff)
	}
	checkReplayReport(t, rep, true)

	var pages []int
	req.Progress = func(n int) { pages = append(pages, n) }
	if rep, err = f.book.Replay(ctx, f.st, req); err != nil {
		t.Fatal(err)
	}
	checkReplayReport(t, rep, false)
	if want := []int{3, 6, 9, 9}; !cmp.Equal(pages, want) {
		t.Errorf("progress %v, want %v (9 applied events in the range, pages of 3)", pages, want)
	}

	// The reference: the same events applied fresh, m6 under the old
	// rules (it is outside the range), the rest under the new.
	g := newFixture(t)
	c2, r := g.reloaded(t)
	g.apply(t, c2, outOfRange()...)
	if _, err := g.book.Create(ctx, acmeRule, "", "ann"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	g.apply(t, c2, replayEvents()...)
	for name, q := range map[string]string{
		"verdicts":      `SELECT id || ' ' || outcome || ' ' || reason || ' ' || rule FROM events`,
		"messages":      `SELECT concat_ws(' ', channel, message_id, recipient, campaign, domain, sent_at, status, complained, reason, event_id) FROM messages`,
		"buckets":       `SELECT concat_ws(' ', channel, campaign, domain, hour, sent, delivered, soft, hard, complaints) FROM rate_buckets`,
		"days":          `SELECT concat_ws(' ', channel, campaign, domain, day, sent, delivered, soft, hard, complaints) FROM rate_days`,
		"campaign days": `SELECT concat_ws(' ', channel, campaign, day, sent, delivered, soft, hard, complaints) FROM rate_campaign_days`,
	} {
		if diff := cmp.Diff(rows(t, g, q), rows(t, f, q)); diff != "" {
			t.Errorf("%s after replay differ from a fresh apply (-fresh +replayed):\n%s", name, diff)
		}
	}
	for _, rq := range []store.RatesQuery{
		{Channel: channels.Email, GroupBy: []string{"campaign"}},
		{Channel: channels.Email, From: t0.Add(-24 * time.Hour), To: t0.Add(24 * time.Hour), GroupBy: []string{"campaign", "day"}},
		{Channel: channels.Email, From: t0, To: t0.Add(time.Hour), GroupBy: []string{"campaign", "domain", "hour"}},
	} {
		want, err := g.st.Rates(ctx, rq)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.st.Rates(ctx, rq)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("rates %+v differ (-fresh +replayed):\n%s", rq, diff)
		}
	}

	after := f.dump(t)
	if rep, err = f.book.Replay(ctx, f.st, req); err != nil {
		t.Fatal(err)
	}
	if rep.Events != 9 || rep.Changed != 0 || rep.Messages != 0 || len(rep.Campaigns) != 0 {
		t.Errorf("second replay: %+v, want nothing changed", rep)
	}
	if diff := cmp.Diff(after, f.dump(t)); diff != "" {
		t.Errorf("a second replay changed the database (-before +after):\n%s", diff)
	}
}

func checkReplayReport(t *testing.T, rep rulebook.ReplayReport, dry bool) {
	t.Helper()
	if rep.DryRun != dry || rep.Events != 9 || rep.Changed != 3 || len(rep.Changes) != 1 || rep.Changes[0].Count != 3 ||
		rep.Changes[0].From.Rule != "fallback.email@1" || rep.Changes[0].To.Rule != "email.text.acme.closed@1" {
		t.Errorf("dry %v: events %d changed %d changes %+v", dry, rep.Events, rep.Changed, rep.Changes)
	}
	// m1 soft→hard, m5 soft→hard (not sent: no bucket), m2 delivered→hard.
	wantStatuses := []rulebook.StatusChange{
		{From: lifecycle.StatusSoft, To: lifecycle.StatusHard, Count: 2},
		{From: lifecycle.StatusDelivered, To: lifecycle.StatusHard, Count: 1},
	}
	if diff := cmp.Diff(wantStatuses, rep.Statuses); diff != "" || rep.Messages != 3 {
		t.Errorf("dry %v: %d messages, statuses (-want +got):\n%s", dry, rep.Messages, diff)
	}
	wantCampaigns := []rulebook.CampaignRates{{Campaign: "spring", Delivered: -1, Soft: -1, Hard: 2}}
	if diff := cmp.Diff(wantCampaigns, rep.Campaigns); diff != "" {
		t.Errorf("dry %v: campaigns (-want +got):\n%s", dry, diff)
	}
	if rep.RecipientsQuarantined == 0 || rep.RecipientsReleased != 0 {
		t.Errorf("dry %v: recipients quarantined %d released %d", dry, rep.RecipientsQuarantined, rep.RecipientsReleased)
	}
}

// rows returns the text rows of q, sorted.
func rows(t *testing.T, f *fixture, q string) []string {
	t.Helper()
	var out []string
	if err := f.db.Select(&out, q+` ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	return out
}
