package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/lifecycle"
	"github.com/rebond/rebond/store"
)

// consentClassifier is statusClassifier with the consent verdicts every
// real classifier gives, and status 5.7.26 read as a gateway's "the
// recipient opted out" refusal.
type consentClassifier struct{}

func (consentClassifier) Classify(e channels.Event) channels.Verdict {
	switch {
	case e.Type.IsConsent():
		return channels.ConsentVerdict(e)
	case e.SMTP != nil && e.SMTP.Status == "5.7.26":
		return channels.Verdict{Outcome: channels.OutcomeHard, Reason: channels.ReasonOptedOut, Rule: "t.optout@1"}
	}
	return statusClassifier{}.Classify(e)
}

func decideConsent(snap lifecycle.Snapshot) lifecycle.Plan {
	return lifecycle.Decide(testPolicy, consentClassifier{}, snap)
}

// consentEvent is a consent event of rcpt at at, scope "all", "list:<name>"
// or "campaign" (of the event's campaign c1), naming message msg.
func consentEvent(typ channels.Type, rcpt, scope, src, msg string, at time.Time) channels.Event {
	e := channels.Event{Channel: channels.Email, Type: typ, MessageID: msg, Recipient: rcpt, Campaign: "c1", OccurredAt: at,
		Consent: &channels.Consent{Scope: channels.ScopeAll, Source: src, IP: "192.0.2.1", UserAgent: "test"}}
	switch {
	case scope == "campaign":
		e.Consent.Scope = channels.ScopeCampaign
	case len(scope) > 5 && scope[:5] == "list:":
		e.Consent.Scope, e.Consent.List = channels.ScopeList, scope[5:]
	}
	if err := e.Normalize(); err != nil {
		panic(err)
	}
	return e
}

// exclusion is what an exclusion check with c answers for rcpt, in one
// line.
func exclusion(t *testing.T, s *store.Store, rcpt string, c store.ConsentCheck, at time.Time) string {
	t.Helper()
	ctx := context.Background()
	c.Channel = channels.Email
	xs, err := s.Exclusions(ctx, channels.Email, []string{rcpt}, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ConsentExclusions(ctx, c, xs); err != nil {
		t.Fatal(err)
	}
	x := xs[0]
	return fmt.Sprintf("%v %s %s scope=%s list=%s campaign=%s source=%s", x.Excluded, x.State, x.Reason, x.Scope, x.List, x.Campaign, x.Source)
}

// TestConsentApply drives consent events through Apply: an opt-out of
// everything, its replay and its undo; a campaign opt-out through its
// delivery, counted in every rate table; a list opt-out read only by the
// checks that name the list; a gateway's opted_out refusal (a consent the
// batch did not name, loaded on a second attempt); and confirmed consent.
func TestConsentApply(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	const ann, bob, cat = "ann@example.com", "bob@example.com", "cat@example.com"
	apply := func(evs ...channels.Event) lifecycle.Plan { t.Helper(); return applyWith(t, s, decideConsent, evs...) }
	apply(event(channels.Sent, "m1", ann, "", t0), event(channels.Sent, "m2", bob, "", t0), event(channels.Sent, "m3", cat, "", t0))

	out := consentEvent(channels.OptOut, ann, "all", channels.SourceOneClick, "m1", t0.Add(time.Hour))
	apply(out)
	want := "true opted_out opted_out scope=all list= campaign= source=one-click"
	if got := exclusion(t, s, ann, store.ConsentCheck{}, t0.Add(2*time.Hour)); got != want {
		t.Errorf("after the opt-out: %s, want %s", got, want)
	}
	rates := func() store.RateRow {
		t.Helper()
		rows, err := s.Rates(ctx, store.RatesQuery{Channel: channels.Email, Campaign: "c1"})
		if err != nil || len(rows) != 1 {
			t.Fatalf("rates: %+v, %v", rows, err)
		}
		return rows[0]
	}
	if r := rates(); r.Unsubscribed != 1 || r.UnsubscribeRate != 1.0/3 {
		t.Errorf("after the opt-out: unsubscribed %d, rate %g", r.Unsubscribed, r.UnsubscribeRate)
	}

	// The same POST again: a new event, nothing else changes.
	apply(consentEvent(channels.OptOut, ann, "all", channels.SourceOneClick, "m1", t0.Add(90*time.Minute)))
	xs, err := s.Exclusions(ctx, channels.Email, []string{ann}, t0.Add(2*time.Hour))
	if err != nil || xs[0].EventID != out.ID || !xs[0].Since.Equal(out.OccurredAt) {
		t.Errorf("after the replay: %+v, %v; want the first opt-out's event and time", xs, err)
	}
	if r := rates(); r.Unsubscribed != 1 {
		t.Errorf("after the replay: unsubscribed %d", r.Unsubscribed)
	}
	v, err := s.Recipient(ctx, channels.Email, ann)
	if err != nil || len(v.History) != 1 || v.History[0].Scope != "all" || v.History[0].Actor != "consent:one-click" ||
		len(v.Consents) != 1 || !v.Consents[0].OptedOut || v.Consents[0].Source != "one-click" {
		t.Errorf("recipient view: %+v, %v", v, err)
	}
	if err := s.Release(ctx, channels.Email, ann, "please", "test", t0.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an operator released an opt-out: %v", err)
	}

	// The undo: sendable again, and the campaign's count back to 0.
	apply(consentEvent(channels.OptIn, ann, "all", channels.SourceUnsubscribe, "m1", t0.Add(100*time.Minute)))
	if got := exclusion(t, s, ann, store.ConsentCheck{}, t0.Add(2*time.Hour)); got != "false active  scope= list= campaign= source=" {
		t.Errorf("after the undo: %s", got)
	}
	if r := rates(); r.Unsubscribed != 0 {
		t.Errorf("after the undo: unsubscribed %d", r.Unsubscribed)
	}

	// A campaign opt-out, counted in the hour, day and campaign tables.
	apply(consentEvent(channels.OptOut, bob, "campaign", channels.SourceOneClick, "m2", t0.Add(time.Hour)))
	for _, q := range []store.RatesQuery{{Campaign: "c1"}, {Campaign: "c1", GroupBy: []string{"hour"}}, {Campaign: "c1", GroupBy: []string{"domain", "day"}}} {
		rows, err := s.Rates(ctx, q)
		if err != nil || len(rows) != 1 || rows[0].Unsubscribed != 1 {
			t.Errorf("rates %+v: %+v, %v", q, rows, err)
		}
	}
	if got := exclusion(t, s, bob, store.ConsentCheck{}, t0.Add(2*time.Hour)); got != "false active  scope= list= campaign= source=" {
		t.Errorf("a campaign opt-out, another send: %s", got)
	}
	if got := exclusion(t, s, bob, store.ConsentCheck{Campaign: "c1"}, t0.Add(2*time.Hour)); got != "true active opted_out scope=campaign list= campaign=c1 source=one-click" {
		t.Errorf("a campaign opt-out, its campaign: %s", got)
	}

	// A list opt-out.
	apply(consentEvent(channels.OptOut, cat, "list:news", channels.SourceMailto, "", t0.Add(time.Hour)))
	if got := exclusion(t, s, cat, store.ConsentCheck{List: "offers"}, t0.Add(2*time.Hour)); got != "false active  scope= list= campaign= source=" {
		t.Errorf("a list opt-out, another list: %s", got)
	}
	if got := exclusion(t, s, cat, store.ConsentCheck{List: "news"}, t0.Add(2*time.Hour)); got != "true active opted_out scope=list list=news campaign= source=mailto" {
		t.Errorf("a list opt-out, its list: %s", got)
	}

	// A gateway's refusal: the consent the batch names none of is loaded
	// on a second attempt, and written.
	apply(event(channels.Failed, "m3", cat, "5.7.26", t0.Add(2*time.Hour)))
	if got := exclusion(t, s, cat, store.ConsentCheck{}, t0.Add(3*time.Hour)); got != "true opted_out opted_out scope=all list= campaign= source=gateway-error" {
		t.Errorf("a gateway's opted_out refusal: %s", got)
	}

	// Confirmed consent, required.
	const dan = "dan@example.com"
	req := store.ConsentCheck{RequireConfirmed: true, List: "news"}
	if got := exclusion(t, s, dan, req, t0); got != "true active not_confirmed scope= list= campaign= source=" {
		t.Errorf("unconfirmed: %s", got)
	}
	apply(consentEvent(channels.OptIn, dan, "list:news", channels.SourceConfirm, "", t0.Add(time.Hour)))
	if got := exclusion(t, s, dan, req, t0.Add(2*time.Hour)); got != "false active  scope= list= campaign= source=" {
		t.Errorf("confirmed: %s", got)
	}
	if got := exclusion(t, s, dan, store.ConsentCheck{RequireConfirmed: true}, t0.Add(2*time.Hour)); got != "true active not_confirmed scope= list= campaign= source=" {
		t.Errorf("confirmed for a list, asked for all: %s", got)
	}

	page, err := s.Consents(ctx, store.ConsentsQuery{Channel: channels.Email, Limit: 2})
	if err != nil || page.Done || len(page.Consents) != 2 || page.Consents[0].Address != ann {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	var all []string
	for q := (store.ConsentsQuery{Channel: channels.Email, Limit: 2}); ; {
		page, err := s.Consents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Consents {
			all = append(all, fmt.Sprintf("%s %s:%s %v %v", c.Address, c.Scope, c.Name, c.OptedOut, c.ConfirmedAt != nil))
		}
		if page.Done {
			break
		}
		q.After = page.Next
	}
	wantAll := []string{"ann@example.com all: false false", "bob@example.com campaign:c1 true false",
		"cat@example.com all: true false", "cat@example.com list:news true false", "dan@example.com list:news false true"}
	if diff := cmp.Diff(wantAll, all); diff != "" {
		t.Errorf("export (-want +got):\n%s", diff)
	}
	confirmed, err := s.Consents(ctx, store.ConsentsQuery{Channel: channels.Email, State: "confirmed"})
	if err != nil || len(confirmed.Consents) != 1 || confirmed.Consents[0].ConfirmIP != "192.0.2.1" {
		t.Errorf("confirmed export: %+v, %v", confirmed, err)
	}
}
