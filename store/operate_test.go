package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

func TestListsAndReleases(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	entries := []store.ListEntry{
		{Channel: channels.Email, List: "deny", Kind: "exact", Value: " Boss@Example.COM ", Reason: "asked us"},
		{Channel: channels.Email, List: "deny", Kind: "domain", Value: "@spamtrap.example"},
		{Channel: channels.SMS, List: "deny", Kind: "prefix", Value: "+4477", ExpiresAt: t0.Add(time.Hour)},
		{Channel: channels.Email, List: "allow", Kind: "exact", Value: "vip@example.com"},
	}
	if err := s.AddListEntries(ctx, entries); err != nil {
		t.Fatal(err)
	}
	bad := []store.ListEntry{{Channel: channels.Email, List: "deny", Kind: "exact", Value: "ok@example.com"},
		{Channel: channels.Email, List: "deny", Kind: "prefix", Value: "44"}}
	if err := s.AddListEntries(ctx, bad); err == nil || !strings.Contains(err.Error(), "entry 1") {
		t.Fatalf("a prefix on email: %v", err)
	}
	deny, err := s.ListEntries(ctx, "deny", "")
	if err != nil || len(deny) != 3 {
		t.Fatalf("deny list = %+v, %v (the bad batch must add nothing)", deny, err)
	}
	if deny[0].Value != "spamtrap.example" || deny[1].Value != "boss@example.com" || deny[2].Value != "4477" {
		t.Errorf("values not normalized: %+v", deny)
	}
	x, err := s.Exclusions(ctx, channels.Email, []string{"boss@example.com", "a@spamtrap.example", "b@example.com"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	// A deny entry's answer gives the entry's own reason, or denylisted
	// when it has none.
	if !x[0].Excluded || x[0].Reason != "asked us" || !x[1].Excluded || x[1].Reason != "denylisted" || x[2].Excluded {
		t.Errorf("exclusions = %+v", x)
	}
	sms, _ := s.Exclusions(ctx, channels.SMS, []string{"447700900123", "33612345678"}, t0)
	if !sms[0].Excluded || sms[1].Excluded {
		t.Errorf("prefix deny: %+v", sms)
	}
	if later, _ := s.Exclusions(ctx, channels.SMS, []string{"447700900123"}, t0.Add(2*time.Hour)); later[0].Excluded {
		t.Error("an expired deny entry still excludes")
	}
	if err := s.DeleteListEntry(ctx, store.ListEntry{Channel: channels.Email, List: "deny", Kind: "domain", Value: "spamtrap.example"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteListEntry(ctx, store.ListEntry{Channel: channels.Email, List: "deny", Kind: "domain", Value: "spamtrap.example"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}

	// Two hard failures quarantine two recipients; one complained first.
	insertApply(t, s,
		event(channels.Sent, "m1", "a@example.com", "", t0), event(channels.Failed, "m1", "a@example.com", "5.1.1", t0.Add(time.Minute)),
		event(channels.Sent, "m2", "b@example.com", "", t0), event(channels.Failed, "m2", "b@example.com", "5.1.1", t0.Add(time.Minute)))
	if err := s.Release(ctx, channels.Email, "a@example.com", "", "ops:ann", t0); err == nil {
		t.Error("a release without a reason was accepted")
	}
	f := store.ReleaseFilter{Channel: channels.Email, State: "quarantined", Reason: "user_unknown"}
	p, err := s.PreviewRelease(ctx, f)
	if err != nil || p.Recipients != 2 {
		t.Fatalf("preview = %+v, %v", p, err)
	}
	if err := s.Release(ctx, channels.Email, "a@example.com", "customer fixed the mailbox", "ops:ann", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, channels.Email, "a@example.com", "again", "ops:ann", t0.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("releasing an active recipient: %v", err)
	}
	v, _ := s.Recipient(ctx, channels.Email, "a@example.com")
	if v.State != "active" || v.History[0].Actor != "ops:ann" || v.History[0].Reason != "released: customer fixed the mailbox" {
		t.Errorf("after release: %+v", v)
	}
	n, err := s.ReleaseBulk(ctx, f, "list cleaned", "ops:bob", t0.Add(2*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("bulk release = %d, %v", n, err)
	}
	if p, _ := s.PreviewRelease(ctx, f); p.Recipients != 0 {
		t.Errorf("preview after the bulk release: %+v", p)
	}
}
