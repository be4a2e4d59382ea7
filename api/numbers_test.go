package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/channels/phone"
	"github.com/rebond/rebond/store"
)

// TestNationalNumberNeedsARegion: 0612345678 has no country code. Without
// a default region every route that takes a number refuses it (an event,
// an exclusion, a list entry exact or prefix, the recipient routes);
// with the tenant's region (FR) each reads it as 33612345678, and a list
// entry added in national form is deleted in that form too.
func TestNationalNumberNeedsARegion(t *testing.T) {
	t.Parallel()
	const national = "0612345678"
	event := `{"channel":"sms","type":"sent","message_id":"n1","recipient":"` + national + `","occurred_at":"2026-11-02T10:00:00Z"}`
	exclusion := `{"channel":"sms","recipients":["` + national + `"]}`
	entry := func(kind, value string) string {
		return `{"entries":[{"channel":"sms","kind":"` + kind + `","value":"` + value + `"}]}`
	}

	op := &fakeOperator{excluded: map[string]channels.State{}}
	none := newFixture(t, Config{Operator: op}, nil)
	tests := []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"event", "POST", "/v1/events", event, http.StatusBadRequest, "no default region"},
		{"exclusion", "POST", "/v1/exclusions", exclusion, http.StatusOK, `"excluded":true,"state":"active","reason":"address_invalid"`},
		{"deny entry", "POST", "/v1/lists/deny", entry("exact", national), http.StatusBadRequest, "national number"},
		{"allow entry", "POST", "/v1/lists/allow", entry("exact", "06 12 34 56 78"), http.StatusBadRequest, "national number"},
		{"prefix entry", "POST", "/v1/lists/deny", entry("prefix", "06"), http.StatusBadRequest, "starts with 0"},
		{"entry deletion", "DELETE", "/v1/lists/deny/sms/exact/" + national, "", http.StatusBadRequest, "national number"},
		{"recipient", "GET", "/v1/recipients/sms/" + national, "", http.StatusBadRequest, ""},
		{"release", "POST", "/v1/recipients/sms/" + national + "/release", `{"reason":"fixed"}`, http.StatusBadRequest, ""},
	}
	for _, tc := range tests {
		if code, body := none.authed(tc.method, tc.path, tc.body); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("no region, %s: %d %s, want %d with %q", tc.name, code, body, tc.code, tc.want)
		}
	}
	if len(none.pub.events) != 0 || len(none.reader.lookups) != 0 || len(op.entries) != 0 {
		t.Errorf("a national number went through: events %+v, lookups %v, entries %+v", none.pub.events, none.reader.lookups, op.entries)
	}

	op = &fakeOperator{excluded: map[string]channels.State{}}
	fr := newFixture(t, Config{Operator: op, Numbers: phone.Regions{Tenants: map[string]string{channels.DefaultTenant: "FR"}}}, nil)
	fr.reader.states["33612345678"] = store.Exclusion{Recipient: "33612345678", Excluded: true, State: channels.StateQuarantined, Reason: "unknown_subscriber"}
	if code, body := fr.authed("POST", "/v1/events", event); code != http.StatusAccepted || len(fr.pub.events) != 1 || fr.pub.events[0].Recipient != "33612345678" {
		t.Errorf("FR event: %d %s %+v", code, body, fr.pub.events)
	}
	if code, body := fr.authed("POST", "/v1/exclusions", exclusion); code != http.StatusOK || !strings.Contains(body, `"recipient":"0612345678","excluded":true,"state":"quarantined"`) {
		t.Errorf("FR exclusion: %d %s", code, body)
	}
	if code, body := fr.authed("POST", "/v1/lists/deny", entry("exact", "06 12 34 56 78")); code != http.StatusOK || len(op.entries) != 1 || op.entries[0].Value != "33612345678" {
		t.Errorf("FR deny entry: %d %s %+v", code, body, op.entries)
	}
	if code, body := fr.authed("DELETE", "/v1/lists/deny/sms/exact/"+national, ""); code != http.StatusNoContent || len(op.entries) != 0 {
		t.Errorf("FR deletion in national form: %d %s, entries %+v", code, body, op.entries)
	}
	if code, body := fr.authed("GET", "/v1/recipients/sms/"+national, ""); code != http.StatusOK || !strings.Contains(body, `"address":"33612345678"`) {
		t.Errorf("FR recipient: %d %s", code, body)
	}
}
