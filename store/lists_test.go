package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// answer writes an exclusion as "excluded state reason list:kind:value"
// (the entry that decided it, "-" for none).
func answer(x store.Exclusion) string {
	entry := "-"
	if e := x.ListEntry; e != nil {
		entry = e.List + ":" + e.Kind + ":" + e.Value
	}
	return fmt.Sprintf("%v %s %s %s", x.Excluded, x.State, x.Reason, entry)
}

// TestDenyEntriesMatch: which deny entry answers for which recipient. An
// exact domain covers that domain alone (what entries always meant); a
// leading dot covers every subdomain and not the domain itself (Postfix
// access tables); the most specific entry wins, and its own reason is the
// answer's reason.
func TestDenyEntriesMatch(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	deny := func(ch channels.Channel, kind, value, reason string, expires time.Time) store.ListEntry {
		return store.ListEntry{Channel: ch, List: "deny", Kind: kind, Value: value, Reason: reason, ExpiresAt: expires}
	}
	if err := s.AddListEntries(ctx, []store.ListEntry{
		deny(channels.Email, "domain", "example.com", "legal-request", time.Time{}),
		deny(channels.Email, "domain", ".Example.NET", "subdomains", time.Time{}),
		deny(channels.Email, "domain", ".b.example.net", "nearer", time.Time{}),
		deny(channels.Email, "domain", "c.b.example.net", "", time.Time{}),
		deny(channels.Email, "exact", "ceo@a.example.net", "exact", time.Time{}),
		deny(channels.Email, "domain", ".example.org", "expired", t0.Add(-time.Hour)),
		deny(channels.SMS, "prefix", "44", "uk", time.Time{}),
		deny(channels.SMS, "prefix", "+447700", "test range", time.Time{}),
		deny(channels.SMS, "exact", "+447700900999", "", time.Time{}),
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, recipient, want string
		sms                   bool
	}{
		{"a domain entry covers its domain", "x@example.com", "true denylisted legal-request deny:domain:example.com", false},
		{"and not its subdomains", "x@mail.example.com", "false active  -", false},
		{"a dotted entry covers a subdomain", "x@a.example.net", "true denylisted subdomains deny:domain:.example.net", false},
		{"and a subdomain's subdomain", "x@z.y.example.net", "true denylisted subdomains deny:domain:.example.net", false},
		{"but not the domain itself", "x@example.net", "false active  -", false},
		{"nor a domain that only ends alike", "x@notexample.net", "false active  -", false},
		{"the nearest parent wins", "x@d.b.example.net", "true denylisted nearer deny:domain:.b.example.net", false},
		{"a parent of the dotted entry's domain", "x@b.example.net", "true denylisted subdomains deny:domain:.example.net", false},
		{"a domain entry wins over a parent", "x@c.b.example.net", "true denylisted denylisted deny:domain:c.b.example.net", false},
		{"an exact entry wins over all", "ceo@a.example.net", "true denylisted exact deny:exact:ceo@a.example.net", false},
		{"the domain follows the last @", `"x@example.com"@a.example.net`, "true denylisted subdomains deny:domain:.example.net", false},
		{"an expired entry covers nothing", "x@a.example.org", "false active  -", false},
		{"a prefix covers its numbers", "447900900123", "true denylisted uk deny:prefix:44", true},
		{"the longest prefix wins", "447700900123", "true denylisted test range deny:prefix:447700", true},
		{"an exact number wins over prefixes", "447700900999", "true denylisted denylisted deny:exact:447700900999", true},
		{"another country", "33612345678", "false active  -", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch := channels.Email
			if tc.sms {
				ch = channels.SMS
			}
			x, err := s.Exclusions(ctx, ch, []string{tc.recipient}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if got := answer(x[0]); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.recipient, got, tc.want)
			}
		})
	}
}

// TestNewListEntriesRefused: entries that would match nothing are refused
// when added (an existing one stays deletable: ValidateListEntry).
func TestNewListEntriesRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		e    store.ListEntry
		want string
	}{
		{"an empty label", store.ListEntry{Channel: channels.Email, List: "deny", Kind: "domain", Value: "a..example"}, "not an email domain"},
		{"a lone dot", store.ListEntry{Channel: channels.Email, List: "deny", Kind: "domain", Value: "."}, "not an email domain"},
		{"a trailing dot", store.ListEntry{Channel: channels.Email, List: "deny", Kind: "domain", Value: "example.com."}, "not an email domain"},
		{"a national prefix", store.ListEntry{Channel: channels.SMS, List: "deny", Kind: "prefix", Value: "0612345678"}, "starts with 0"},
		{"a national number", store.ListEntry{Channel: channels.SMS, List: "deny", Kind: "exact", Value: "0612345678"}, "national number"},
		{"a subdomain entry is fine", store.ListEntry{Channel: channels.Email, List: "allow", Kind: "domain", Value: ".Example.com"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := store.ValidateNewListEntry(&tc.e)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("%+v: %v, want %q", tc.e, err, tc.want)
			}
		})
	}
	old := store.ListEntry{Channel: channels.SMS, List: "deny", Kind: "prefix", Value: "0612"}
	if err := store.ValidateListEntry(&old); err != nil {
		t.Errorf("an entry added before the rule cannot be named to delete it: %v", err)
	}
}

// TestAllowOverridesRecordedExclusion: an allow entry lets a quarantined
// recipient be sent to while it lasts, keeping the recorded state and its
// audit; a deny entry still wins; and an allowlisted recipient's hard
// failure quarantines nobody, whichever kind of entry covers it.
func TestAllowOverridesRecordedExclusion(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	insertApply(t, s,
		event(channels.Sent, "m1", "a@example.com", "", t0), event(channels.Failed, "m1", "a@example.com", "5.1.1", t0.Add(time.Minute)),
		event(channels.Sent, "m2", "b@example.com", "", t0), event(channels.Failed, "m2", "b@example.com", "5.1.1", t0.Add(time.Minute)))
	until := t0.Add(24 * time.Hour)
	if err := s.AddListEntries(ctx, []store.ListEntry{
		{Channel: channels.Email, List: "allow", Kind: "exact", Value: "a@example.com", Reason: "ticket 4512", ExpiresAt: until},
		{Channel: channels.Email, List: "allow", Kind: "domain", Value: "example.com"},
		{Channel: channels.Email, List: "deny", Kind: "exact", Value: "b@example.com", Reason: "legal-request"},
		{Channel: channels.Email, List: "allow", Kind: "domain", Value: ".vip.example"},
	}); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(2 * time.Minute)
	x, err := s.Exclusions(ctx, channels.Email, []string{"a@example.com", "b@example.com", "c@example.com"}, at)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"false quarantined user_unknown allow:exact:a@example.com",
		"true denylisted legal-request deny:exact:b@example.com",
		"false active  -", // nothing recorded: no entry to name
	}
	for i, w := range want {
		if got := answer(x[i]); got != w {
			t.Errorf("%s: %q, want %q", x[i].Recipient, got, w)
		}
	}
	if x[0].EventID == "" || x[0].Since == nil {
		t.Errorf("the allowed answer must keep the recorded evidence: %+v", x[0])
	}
	if v, err := s.Recipient(ctx, channels.Email, "a@example.com"); err != nil || v.State != channels.StateQuarantined || len(v.History) != 1 {
		t.Errorf("the recorded state and its audit must stay: %+v, %v", v, err)
	}
	// The exact entry ends; the domain entry still covers the recipient.
	if later, _ := s.Exclusions(ctx, channels.Email, []string{"a@example.com"}, until.Add(time.Second)); answer(later[0]) != "false quarantined user_unknown allow:domain:example.com" {
		t.Errorf("after the exact entry ended: %q", answer(later[0]))
	}
	if err := s.DeleteListEntry(ctx, store.ListEntry{Channel: channels.Email, List: "allow", Kind: "domain", Value: "example.com"}); err != nil {
		t.Fatal(err)
	}
	if later, _ := s.Exclusions(ctx, channels.Email, []string{"a@example.com"}, until.Add(time.Second)); answer(later[0]) != "true quarantined user_unknown -" {
		t.Errorf("with no allow entry left the quarantine excludes again: %q", answer(later[0]))
	}

	insertApply(t, s,
		event(channels.Sent, "m3", "d@mx.vip.example", "", t0), event(channels.Failed, "m3", "d@mx.vip.example", "5.1.1", t0.Add(time.Minute)),
		event(channels.Sent, "m4", "e@vip.example", "", t0), event(channels.Failed, "m4", "e@vip.example", "5.1.1", t0.Add(time.Minute)))
	x, err = s.Exclusions(ctx, channels.Email, []string{"d@mx.vip.example", "e@vip.example"}, at)
	if err != nil {
		t.Fatal(err)
	}
	if got := answer(x[0]) + " | " + answer(x[1]); got != "false active  - | true quarantined user_unknown -" {
		t.Errorf("a subdomain allow entry keeps its subdomains from quarantine, not the domain: %s", got)
	}
}

// FuzzNewListEntry: whatever value an operator posts, an entry accepted
// is in its normal form (validating it again changes nothing), a domain
// entry holds no "@" and no empty label, and a prefix is digits that do
// not start with 0.
func FuzzNewListEntry(f *testing.F) {
	for _, s := range []string{"example.com", ".Example.com", "@example.com", "..x", ".", "+4477", "0612", "a@b.c", "447700900123"} {
		f.Add("domain", s)
		f.Add("prefix", s)
		f.Add("exact", s)
	}
	f.Fuzz(func(t *testing.T, kind, value string) {
		for _, ch := range []channels.Channel{channels.Email, channels.SMS} {
			e := store.ListEntry{Channel: ch, List: "deny", Kind: kind, Value: value}
			if store.ValidateNewListEntry(&e) != nil {
				continue
			}
			again := e
			if err := store.ValidateNewListEntry(&again); err != nil || again.Value != e.Value {
				t.Fatalf("%s %s %q: normalized to %q, then %q, %v", ch, kind, value, e.Value, again.Value, err)
			}
			switch kind {
			case "domain":
				if strings.Contains(e.Value, "@") || slices.Contains(strings.Split(strings.TrimPrefix(e.Value, "."), "."), "") {
					t.Fatalf("domain %q accepted as %q", value, e.Value)
				}
			case "prefix":
				if e.Value == "" || e.Value[0] == '0' || strings.Trim(e.Value, "0123456789") != "" {
					t.Fatalf("prefix %q accepted as %q", value, e.Value)
				}
			}
		}
	})
}
