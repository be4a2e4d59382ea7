package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

func TestDashboardReasonsAndRecipientEvents(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	// A bounce with no campaign of its own still counts for its message's
	// campaign.
	late := event(channels.Failed, "m2", "b@example.com", "4.2.2", t0.Add(2*time.Hour))
	late.Campaign = ""
	late.ID = channels.DeriveID(late)
	insertApply(t, s,
		event(channels.Sent, "m1", "a@example.com", "", t0),
		event(channels.Sent, "m2", "b@example.com", "", t0),
		event(channels.Sent, "m3", "c@example.com", "", t0),
		event(channels.Failed, "m1", "a@example.com", "5.1.1", t0.Add(time.Minute)),
		event(channels.Failed, "m2", "b@example.com", "4.2.2", t0.Add(time.Minute)),
		late,
		event(channels.Failed, "m3", "c@example.com", "4.2.2", t0.Add(48*time.Hour)),
	)
	day := func(q store.ReasonsQuery) []store.ReasonCount {
		t.Helper()
		q.From, q.To = t0.Truncate(24*time.Hour), t0.Truncate(24*time.Hour).Add(24*time.Hour)
		got, err := s.Reasons(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := []store.ReasonCount{
		{Channel: "email", Outcome: "soft", Reason: "mailbox_full", Events: 2, Messages: 1, Recipients: 1},
		{Channel: "email", Outcome: "hard", Reason: "user_unknown", Events: 1, Messages: 1, Recipients: 1},
	}
	if diff := cmp.Diff(want, day(store.ReasonsQuery{})); diff != "" {
		t.Errorf("reasons of the day (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, day(store.ReasonsQuery{Channel: channels.Email, Campaign: "c1"})); diff != "" {
		t.Errorf("reasons of campaign c1 (-want +got):\n%s", diff)
	}
	if got := day(store.ReasonsQuery{Campaign: "other"}); len(got) != 0 {
		t.Errorf("reasons of an unknown campaign = %+v, want none", got)
	}
	if got := day(store.ReasonsQuery{Channel: channels.SMS}); len(got) != 0 {
		t.Errorf("sms reasons = %+v, want none", got)
	}
	if got := day(store.ReasonsQuery{Limit: 1}); len(got) != 1 || got[0].Reason != "mailbox_full" {
		t.Errorf("reasons limited to 1 = %+v, want the most frequent", got)
	}
	if _, err := s.Reasons(ctx, store.ReasonsQuery{From: t0, To: t0}); err == nil {
		t.Error("empty range accepted")
	}
	if _, err := s.Reasons(ctx, store.ReasonsQuery{Channel: "fax", From: t0, To: t0.Add(time.Hour)}); err == nil {
		t.Error("unknown channel accepted")
	}

	evs, err := s.RecipientEvents(ctx, channels.Email, "b@example.com", 0)
	if err != nil {
		t.Fatal(err)
	}
	wantEvs := []store.EventVerdict{
		{ID: late.ID, Type: "failed", MessageID: "m2", Campaign: "c1", OccurredAt: t0.Add(2 * time.Hour),
			Outcome: "soft", Reason: "mailbox_full", Rule: "t.422@1", Evidence: "status=4.2.2", Applied: true},
		{Type: "failed", MessageID: "m2", Campaign: "c1", OccurredAt: t0.Add(time.Minute),
			Outcome: "soft", Reason: "mailbox_full", Rule: "t.422@1", Evidence: "status=4.2.2", Applied: true},
		{Type: "sent", MessageID: "m2", Campaign: "c1", OccurredAt: t0,
			Outcome: "pending", Reason: "sent", Rule: "t.sent@1", Applied: true},
	}
	if diff := cmp.Diff(wantEvs, evs, cmpopts.IgnoreFields(store.EventVerdict{}, "ID")); diff != "" {
		t.Errorf("recipient events (-want +got):\n%s", diff)
	}
	if evs[0].ID != late.ID {
		t.Errorf("newest event id = %s, want %s", evs[0].ID, late.ID)
	}
	if one, err := s.RecipientEvents(ctx, channels.Email, "b@example.com", 1); err != nil || len(one) != 1 {
		t.Errorf("recipient events limited to 1 = %d rows, %v", len(one), err)
	}
	if none, err := s.RecipientEvents(ctx, channels.Email, "nobody@example.com", 5); err != nil || len(none) != 0 {
		t.Errorf("unknown recipient events = %+v, %v; want none", none, err)
	}
}
