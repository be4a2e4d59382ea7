package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// forTenant is e as tenant t's (normalized again, so its id is t's).
func forTenant(t string, e channels.Event) channels.Event {
	e.Tenant = t
	if err := e.Normalize(); err != nil {
		panic(err)
	}
	return e
}

// TestTenantsShareNothing applies the same message id, recipient and event
// id for two tenants: each gets its own message, recipient state, rates,
// lists and history, and an exclusion check sees its own tenant's only,
// unless sharing user_unknown is on.
func TestTenantsShareNothing(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	acme, beta := channels.WithTenant(ctx, "acme"), channels.WithTenant(ctx, "beta")
	const x = "x@example.com"
	sent := event(channels.Sent, "m1", x, "", t0)
	insertApply(t, s,
		forTenant("acme", sent), forTenant("acme", event(channels.Failed, "m1", x, "5.1.1", t0.Add(1))),
		forTenant("beta", sent), forTenant("beta", event(channels.Delivered, "m1", x, "", t0.Add(1))))
	if a, p, err := s.CountEvents(ctx); err != nil || a != 4 || p != 0 {
		t.Fatalf("events: %d applied, %d pending, %v; want the same event id kept once per tenant", a, p, err)
	}
	for _, c := range []struct {
		ctx               context.Context
		state             channels.State
		hard, delivered   int64
		excludedWithShare bool
	}{
		{acme, "quarantined", 1, 0, true},
		// beta only saw a delivery: no recipient row (lockRecipients stores
		// none for deliveries), which reads as active; above all not acme's.
		{beta, "", 0, 1, true},
		{ctx, "", 0, 0, true}, // the default tenant never saw x
	} {
		tenant := channels.Tenant(c.ctx)
		v, err := s.Recipient(c.ctx, channels.Email, x)
		switch {
		case c.state == "" && err != store.ErrNotFound:
			t.Errorf("%s: recipient %+v %v, want not found", tenant, v, err)
		case c.state != "" && (err != nil || v.State != c.state):
			t.Errorf("%s: recipient %+v %v, want %s", tenant, v, err, c.state)
		}
		rows, err := s.Rates(c.ctx, store.RatesQuery{})
		var hard, delivered int64
		for _, r := range rows {
			hard, delivered = hard+r.Hard, delivered+r.Delivered
		}
		if err != nil || hard != c.hard || delivered != c.delivered {
			t.Errorf("%s: rates %+v %v, want %d hard, %d delivered", tenant, rows, err, c.hard, c.delivered)
		}
		ex, err := s.Exclusions(c.ctx, channels.Email, []string{x}, t0.Add(1))
		if err != nil || ex[0].Excluded != (tenant == "acme") {
			t.Errorf("%s: exclusions %+v %v, want excluded only for acme", tenant, ex, err)
		}
		if tenant == "acme" && (ex[0].EventID == "" || ex[0].EventID[0] == '~') {
			t.Errorf("acme's evidence %q: want the event id the tenant knows, not its key", ex[0].EventID)
		}
	}
	// Sharing user_unknown: beta and the default tenant see acme's
	// quarantine, without acme's evidence event.
	s.ShareUserUnknown(true)
	for _, c := range []context.Context{beta, ctx} {
		ex, err := s.Exclusions(c, channels.Email, []string{x, "y@example.com"}, t0.Add(1))
		if err != nil || !ex[0].Excluded || !ex[0].Shared || ex[0].Reason != "user_unknown" || ex[0].EventID != "" || ex[1].Excluded {
			t.Errorf("%s with sharing: %+v %v, want x excluded as shared user_unknown without evidence, y not", channels.Tenant(c), ex, err)
		}
	}
	// Lists are per tenant too.
	if err := s.AddListEntries(beta, []store.ListEntry{{Channel: channels.Email, List: "deny", Kind: "exact", Value: "d@example.com"}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ctx  context.Context
		want int
	}{{beta, 1}, {acme, 0}} {
		if l, err := s.ListEntries(c.ctx, "deny", channels.Email); err != nil || len(l) != c.want {
			t.Errorf("%s deny list: %+v %v, want %d entries", channels.Tenant(c.ctx), l, err, c.want)
		}
	}
	if err := s.DeleteListEntry(acme, store.ListEntry{Channel: channels.Email, List: "deny", Kind: "exact", Value: "d@example.com"}); err == nil {
		t.Error("acme deleted beta's deny entry")
	}
	if err := s.Release(beta, channels.Email, x, "mine", "test", t0.Add(2)); err == nil {
		t.Error("beta released acme's recipient (beta's is active)")
	}
	if v, _ := s.Recipient(acme, channels.Email, x); v.State != "quarantined" {
		t.Errorf("acme's recipient after beta's release: %s", v.State)
	}
}

// TestKnownTenants: the picker's list holds the default tenant, those of
// unrevoked tokens and those with rates, once each and sorted.
func TestKnownTenants(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	if got, err := s.KnownTenants(ctx); err != nil || fmt.Sprint(got) != "[default]" {
		t.Fatalf("empty database: %v, %v; want [default]", got, err)
	}
	if _, _, err := s.CreateToken(ctx, "zeta-ingest", "ingest", "zeta"); err != nil {
		t.Fatal(err)
	}
	insertApply(t, s, forTenant("acme", event(channels.Sent, "m1", "a@example.com", "", t0)),
		forTenant("beta", event(channels.Sent, "m1", "a@example.com", "", t0)),
		forTenant("acme", event(channels.Sent, "m2", "b@example.com", "", t0)))
	if got, err := s.KnownTenants(ctx); err != nil || fmt.Sprint(got) != "[acme beta default zeta]" {
		t.Errorf("KnownTenants = %v, %v; want [acme beta default zeta]", got, err)
	}
}
