package rulebook_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/rules"
	"github.com/rebond/rebond/rulebook"
	"github.com/rebond/rebond/store"
)

// TestPublishRules covers operator rules: a new id, an override of a
// built-in rule by a higher version, an update, a disable, and what list
// and show say of each; published versions never change.
func TestPublishRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	acme := rules.Rule{ID: "email.text.acme", Channel: channels.Email, Priority: 210,
		Match:   rules.Match{Text: `acme says no`},
		Verdict: rules.Verdict{Outcome: channels.OutcomeSoft, Reason: "policy_violation"}}
	e, err := f.book.Create(ctx, acme, "", "ann")
	if err != nil {
		t.Fatal(err)
	}
	if e.Key != "email.text.acme@1" || e.State != store.RuleActive || e.Source != rulebook.SourceOperator || e.Author != "ann" || e.CreatedAt == nil {
		t.Errorf("created = %+v", e)
	}
	// Overriding a built-in rule: the next version of its id.
	builtin, ok := f.builtin.Rule("email.status.5.1.6@1")
	if !ok {
		t.Fatal("no built-in email.status.5.1.6@1")
	}
	over := builtin
	over.Version, over.Verdict.Outcome = 0, channels.OutcomeSoft
	if e, err = f.book.Create(ctx, over, "active", "bob"); err != nil || e.Key != "email.status.5.1.6@2" {
		t.Fatalf("override: %+v %v", e, err)
	}
	upd := acme
	upd.ID, upd.Channel, upd.Verdict.Reason = "", "", "blocked" // both from the path's rule
	if e, err = f.book.Update(ctx, "email.text.acme", upd, "shadow", "cy"); err != nil || e.Key != "email.text.acme@2" || e.State != store.RuleShadow {
		t.Fatalf("update: %+v %v", e, err)
	}
	for name, tc := range map[string]struct {
		err error
		do  func() error
	}{
		"an old version": {rulebook.ErrConflict, func() error { r := acme; r.Version = 2; _, err := f.book.Create(ctx, r, "", "x"); return err }},
		"another channel": {rulebook.ErrInvalid, func() error {
			r := acme
			r.Channel = channels.SMS
			_, err := f.book.Create(ctx, r, "", "x")
			return err
		}},
		"no condition": {rulebook.ErrInvalid, func() error {
			r := acme
			r.ID, r.Match = "new", rules.Match{}
			_, err := f.book.Create(ctx, r, "", "x")
			return err
		}},
		"a bad state": {rulebook.ErrInvalid, func() error { _, err := f.book.Create(ctx, acme, "paused", "x"); return err }},
		"yields": {rulebook.ErrInvalid, func() error {
			r := acme
			r.Yields = []channels.Reason{"blocked"}
			_, err := f.book.Create(ctx, r, "", "x")
			return err
		}},
		"update unknown id":  {rulebook.ErrNotFound, func() error { r := acme; r.ID = ""; _, err := f.book.Update(ctx, "no.such", r, "", "x"); return err }},
		"update another id":  {rulebook.ErrInvalid, func() error { _, err := f.book.Update(ctx, "email.status.5.1.6", acme, "", "x"); return err }},
		"disable unknown id": {rulebook.ErrNotFound, func() error { _, err := f.book.Disable(ctx, "no.such", "x"); return err }},
		"show unknown id":    {rulebook.ErrNotFound, func() error { _, err := f.book.Show(ctx, "no.such"); return err }},
		"list a bad channel": {rulebook.ErrInvalid, func() error { _, err := f.book.List(ctx, "fax"); return err }},
	} {
		if err := tc.do(); !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", name, err, tc.err)
		}
	}
	if e, err = f.book.Disable(ctx, "email.status.5.1.6", "dee"); err != nil || e.Key != "email.status.5.1.6@3" || e.State != store.RuleDisabled {
		t.Fatalf("disable: %+v %v", e, err)
	}
	if _, err := f.book.Disable(ctx, "email.status.5.1.6", "dee"); !errors.Is(err, rulebook.ErrConflict) {
		t.Errorf("disabling twice: %v", err)
	}

	versions, err := f.book.Show(ctx, "email.status.5.1.6")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(versions))
	for i, v := range versions {
		got[i] = v.Key + " " + v.Source + " " + v.State
	}
	if want := "email.status.5.1.6@3 operator disabled|email.status.5.1.6@2 operator superseded|email.status.5.1.6@1 builtin superseded"; strings.Join(got, "|") != want {
		t.Errorf("show = %q, want %q", strings.Join(got, "|"), want)
	}
	list, err := f.book.List(ctx, channels.Email)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, e := range list {
		states[e.Key] = e.State
		if e.Rule.Channel != channels.Email {
			t.Errorf("list --channel email holds %s", e.Key)
		}
	}
	if states["email.text.acme@2"] != store.RuleShadow || states["email.status.5.1.6@3"] != store.RuleDisabled ||
		states["email.type.delivered@1"] != store.RuleActive || states["email.text.acme@1"] != store.RuleActive || len(list) != distinctIDs(f.builtin.Rules(channels.Email))+2 {
		t.Errorf("list: %d rules; acme %q, 5.1.6 %q, delivered %q", len(list), states["email.text.acme@2"], states["email.status.5.1.6@3"], states["email.type.delivered@1"])
	}

	// The live set has acme@1 and no 5.1.6 rule; the shadow set has acme@2.
	live, shadow, warnings, err := f.book.Sets(ctx)
	if err != nil || len(warnings) != 0 || shadow == nil {
		t.Fatalf("sets: %v %v %v", err, warnings, shadow)
	}
	acmeEvent := failed("m1", "a@example.com", "ACME says no", t0)
	if v := live.Classify(acmeEvent); v.Rule != "email.text.acme@1" {
		t.Errorf("live: %+v", v)
	}
	if v := shadow.Classify(acmeEvent); v.Rule != "email.text.acme@2" || v.Reason != "blocked" {
		t.Errorf("shadow: %+v", v)
	}
	if v := live.Classify(bounced("m2", "b@example.com", 550, "5.1.6", "", t0)); v.Rule == "email.status.5.1.6@1" || v.Rule == "email.status.5.1.6@2" {
		t.Errorf("a disabled id still decides: %+v", v)
	}
}

// TestShadowRules: a shadow rule never changes a verdict; where it would
// have, the worker records it, and show counts it.
func TestShadowRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	shadow := rules.Rule{ID: "email.text.acme", Channel: channels.Email, Priority: 210, Match: rules.Match{Text: `acme says no`},
		Verdict: rules.Verdict{Outcome: channels.OutcomeHard, Reason: "user_unknown"}}
	if _, err := f.book.Create(ctx, shadow, store.RuleShadow, "ann"); err != nil {
		t.Fatal(err)
	}
	c, reloader := f.reloaded(t)
	v := f.apply(t, c, failed("m1", "a@example.com", "Acme says NO", t0), failed("m2", "b@example.com", "other", t0.Add(time.Second)))
	for _, verdict := range v {
		if verdict.Rule != "fallback.email@1" {
			t.Errorf("a shadow rule decided: %+v", verdict)
		}
	}
	if err := reloader.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	versions, err := f.book.Show(ctx, "email.text.acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 1 || versions[0].State != store.RuleShadow || versions[0].ShadowDiffers == nil || *versions[0].ShadowDiffers != 1 {
		t.Errorf("show = %+v", versions)
	}
	var live string
	if err := f.db.Get(&live, `SELECT live_rule || ' ' || shadow_outcome || ' ' || shadow_reason FROM rule_shadow_verdicts`); err != nil ||
		live != "fallback.email@1 hard user_unknown" {
		t.Errorf("recorded %q %v", live, err)
	}
}

func distinctIDs(rs []rules.Rule) int {
	ids := map[string]bool{}
	for _, r := range rs {
		ids[r.ID] = true
	}
	return len(ids)
}
