package main

import (
	"net/url"
	"testing"
	"time"
)

// exclusionAnswer is one result of POST /v1/exclusions as a sender reads it.
type exclusionAnswer struct {
	Recipient string `json:"recipient"`
	Excluded  bool   `json:"excluded"`
	State     string `json:"state"`
	Reason    string `json:"reason"`
	EventID   string `json:"event_id"`
	ListEntry *struct {
		List  string `json:"list"`
		Kind  string `json:"kind"`
		Value string `json:"value"`
	} `json:"list_entry"`
}

// exclude asks POST /v1/exclusions about one email recipient.
func (in *instance) exclude(rcpt string) exclusionAnswer {
	in.t.Helper()
	var resp struct{ Results []exclusionAnswer }
	if code := in.do("POST", "/v1/exclusions", map[string]any{"channel": "email", "recipients": []string{rcpt}}, &resp); code != 200 || len(resp.Results) != 1 {
		in.t.Fatalf("exclusions of %s: %d %+v", rcpt, code, resp)
	}
	return resp.Results[0]
}

// TestListsThroughTheAPI: through the real server and store, a deny entry
// for subdomains excludes them (not the domain) with its own reason and
// names itself; an allow entry added after a quarantine lets the
// recipient be sent to while it lasts without releasing it (its state and
// history stay), a deny entry still wins over it, and deleting the allow
// entry brings the quarantine's answer back.
func TestListsThroughTheAPI(t *testing.T) {
	t.Parallel()
	in := start(t, testConfig(t, 13, nil))
	at := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	if code := in.do("POST", "/v1/events", []map[string]any{
		ev("sent", "l-1", "ann@example.org", "lists", at, ""), ev("failed", "l-1", "ann@example.org", "lists", at.Add(time.Minute), "5.1.1"),
		ev("sent", "l-2", "bob@example.org", "lists", at, ""), ev("failed", "l-2", "bob@example.org", "lists", at.Add(time.Minute), "5.1.1"),
	}, nil); code != 202 {
		t.Fatalf("events: %d", code)
	}
	in.waitApplied(4, 30*time.Second)
	if x := in.exclude("ann@example.org"); !x.Excluded || x.State != "quarantined" || x.ListEntry != nil {
		t.Fatalf("before any entry: %+v, want quarantined", x)
	}

	add := func(list string, entries ...map[string]any) {
		t.Helper()
		if code := in.do("POST", "/v1/lists/"+list, map[string]any{"entries": entries}, nil); code != 200 {
			t.Fatalf("add to %s: %d", list, code)
		}
	}
	add("deny", map[string]any{"channel": "email", "kind": "domain", "value": ".corp.example", "reason": "legal-request"})
	if x := in.exclude("x@mail.corp.example"); !x.Excluded || x.State != "denylisted" || x.Reason != "legal-request" ||
		x.ListEntry == nil || x.ListEntry.List != "deny" || x.ListEntry.Kind != "domain" || x.ListEntry.Value != ".corp.example" {
		t.Errorf("a subdomain: %+v, want denylisted legal-request by deny domain .corp.example", x)
	}
	if x := in.exclude("x@corp.example"); x.Excluded {
		t.Errorf("the domain itself: %+v, want sendable (.corp.example covers its subdomains only)", x)
	}

	add("allow", map[string]any{"channel": "email", "kind": "exact", "value": "Ann@Example.org", "reason": "ticket 4512"},
		map[string]any{"channel": "email", "kind": "domain", "value": "example.org"})
	add("deny", map[string]any{"channel": "email", "kind": "exact", "value": "bob@example.org", "reason": "asked"})
	x := in.exclude("ann@example.org")
	if x.Excluded || x.State != "quarantined" || x.Reason != "user_unknown" || x.EventID == "" ||
		x.ListEntry == nil || x.ListEntry.List != "allow" || x.ListEntry.Kind != "exact" || x.ListEntry.Value != "ann@example.org" {
		t.Errorf("allowed after a quarantine: %+v, want excluded false, quarantined user_unknown, allow exact ann@example.org", x)
	}
	if x := in.exclude("bob@example.org"); !x.Excluded || x.State != "denylisted" || x.Reason != "asked" || x.ListEntry == nil || x.ListEntry.List != "deny" {
		t.Errorf("denied and allowed: %+v, want the deny entry to win", x)
	}
	var view struct {
		State   string `json:"state"`
		History []struct {
			To string `json:"to"`
		} `json:"history"`
	}
	if code := in.do("GET", "/v1/recipients/email/ann@example.org", nil, &view); code != 200 || view.State != "quarantined" || len(view.History) != 1 {
		t.Errorf("recipient under an allow entry: %d %+v, want still quarantined with its one audit row", code, view)
	}

	for _, path := range []string{"/v1/lists/allow/email/exact/" + url.PathEscape("ann@example.org"), "/v1/lists/allow/email/domain/example.org"} {
		if code := in.do("DELETE", path, nil, nil); code != 204 {
			t.Fatalf("DELETE %s: %d", path, code)
		}
	}
	if x := in.exclude("ann@example.org"); !x.Excluded || x.State != "quarantined" || x.ListEntry != nil {
		t.Errorf("after the allow entries are deleted: %+v, want quarantined again", x)
	}
}
