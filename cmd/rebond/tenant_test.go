package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/store"
)

// tenantClient calls the API of in with one bearer token.
type tenantClient struct {
	in     *instance
	bearer string
}

// call sends body (a string is sent as is, anything else as JSON) and
// returns the status and the raw answer.
func (c tenantClient) call(method, path string, body any) (int, string) {
	c.in.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.in.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.in.base+path, r)
	if err != nil {
		c.in.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.in.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// get calls and decodes a 200 answer into out.
func (c tenantClient) get(method, path string, body, out any) {
	c.in.t.Helper()
	code, raw := c.call(method, path, body)
	if code != http.StatusOK {
		c.in.t.Fatalf("%s %s: %d %s", method, path, code, raw)
	}
	if err := json.Unmarshal([]byte(raw), out); err != nil {
		c.in.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
	}
}

// TestTenantIsolation runs serve with two tenants, acme and beta, whose
// events name the same recipient, the same message id and even the same
// event id. Each tenant's tokens see and change only its own recipients,
// messages, rates, lists, rules, qualification queue and incidents; a
// token naming the other tenant is refused on every /v1 route; and the
// configured admin token reads either with ?tenant=.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	in := start(t, testConfig(t, 2, nil))
	ctx := context.Background()
	tok := func(name string, role channels.Role, tenant string) tenantClient {
		secret, _, err := in.store.CreateToken(ctx, name, role, tenant)
		if err != nil {
			t.Fatal(err)
		}
		return tenantClient{in: in, bearer: secret}
	}
	aIngest, aOperate := tok("a-ingest", channels.RoleIngest, "acme"), tok("a-operate", channels.RoleOperate, "acme")
	bIngest, bOperate := tok("b-ingest", channels.RoleIngest, "beta"), tok("b-operate", channels.RoleOperate, "beta")
	bAdmin := tok("b-admin", channels.RoleAdmin, "beta")
	admin := tenantClient{in: in, bearer: testToken}

	t0 := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	withID := func(e map[string]any, id string) map[string]any { e["id"] = id; return e }
	blocked := ev("failed", "m3", "y@example.org", "c1", t0.Add(3*time.Minute), "5.7.1")
	blocked["provider"] = "ses"
	blocked["smtp"] = map[string]any{"code": 554, "status": "5.7.1", "text": "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"}
	unknownText := ev("failed", "m2", "z@example.org", "c1", t0.Add(2*time.Minute), "")
	unknownText["smtp"] = map[string]any{"text": "the frobnicator declined delivery 8812"}
	acme := []map[string]any{
		withID(ev("sent", "m1", "x@example.org", "c1", t0, ""), "e1"),
		ev("failed", "m1", "x@example.org", "c1", t0.Add(time.Minute), "5.1.1"),
		ev("sent", "m2", "z@example.org", "c1", t0, ""), unknownText,
		ev("sent", "m3", "y@example.org", "c1", t0, ""), blocked,
	}
	beta := []map[string]any{
		withID(ev("sent", "m1", "x@example.org", "c1", t0, ""), "e1"),
		ev("delivered", "m1", "x@example.org", "c1", t0.Add(time.Minute), ""),
	}
	for _, p := range []struct {
		c      tenantClient
		events []map[string]any
	}{{aIngest, acme}, {bIngest, beta}} {
		if code, body := p.c.call("POST", "/v1/events", p.events); code != http.StatusAccepted {
			t.Fatalf("ingest: %d %s", code, body)
		}
	}
	// An ingest token cannot write into another tenant's books.
	foreign := ev("failed", "m1", "x@example.org", "c1", t0.Add(time.Hour), "5.1.1")
	foreign["tenant"] = "acme"
	if code, body := bIngest.call("POST", "/v1/events", foreign); code != http.StatusBadRequest || !strings.Contains(body, "tenant") {
		t.Errorf("beta posting an acme event: %d %s, want 400 naming the tenant", code, body)
	}
	in.waitApplied(len(acme)+len(beta), 30*time.Second)

	// Operators of acme add a deny entry and a rule.
	if code, body := aOperate.call("POST", "/v1/lists/deny", map[string]any{"entries": []map[string]any{
		{"channel": "email", "kind": "exact", "value": "deny@example.org", "reason": "asked"}}}); code != http.StatusOK {
		t.Fatalf("acme deny entry: %d %s", code, body)
	}
	if code, body := aOperate.call("POST", "/v1/rules", `{"id":"email.acme.frob","channel":"email","match":{"text":"frobnicator"},"verdict":{"outcome":"hard","reason":"user_unknown"}}`); code != http.StatusCreated {
		t.Fatalf("acme rule: %d %s", code, body)
	}

	// Each tenant sees its own recipient state.
	var rv store.RecipientView
	aOperate.get("GET", "/v1/recipients/email/x@example.org", nil, &rv)
	if rv.State != "quarantined" {
		t.Errorf("acme's x@example.org: %q, want quarantined", rv.State)
	}
	if code, body := bOperate.call("GET", "/v1/recipients/email/x@example.org", nil); code == http.StatusOK && strings.Contains(body, "quarantined") {
		t.Errorf("beta sees acme's quarantine: %s", body)
	}
	exclusions := map[string]any{"channel": "email", "recipients": []string{"x@example.org", "deny@example.org"}}
	var ex struct{ Results []store.Exclusion }
	aOperate.get("POST", "/v1/exclusions", exclusions, &ex)
	if len(ex.Results) != 2 || !ex.Results[0].Excluded || !ex.Results[1].Excluded {
		t.Errorf("acme exclusions: %+v, want both excluded", ex.Results)
	}
	bOperate.get("POST", "/v1/exclusions", exclusions, &ex)
	if len(ex.Results) != 2 || ex.Results[0].Excluded || ex.Results[1].Excluded {
		t.Errorf("beta exclusions: %+v, want neither excluded", ex.Results)
	}

	// Rates: the same message id counted once per tenant, each with its
	// own outcome.
	rates := func(c tenantClient, path string) store.RateRow {
		t.Helper()
		var r struct{ Rows []store.RateRow }
		c.get("GET", path, nil, &r)
		if len(r.Rows) != 1 {
			t.Fatalf("%s: %d rows, want 1: %+v", path, len(r.Rows), r.Rows)
		}
		return r.Rows[0]
	}
	if r := rates(aOperate, "/v1/rates"); r.Sent != 3 || r.Hard != 1 || r.Delivered != 0 {
		t.Errorf("acme rates: %+v, want 3 sent, 1 hard", r)
	}
	if r := rates(bOperate, "/v1/rates"); r.Sent != 1 || r.Hard != 0 || r.Delivered != 1 {
		t.Errorf("beta rates: %+v, want 1 sent, 1 delivered", r)
	}
	if r := rates(admin, "/v1/rates?tenant=acme"); r.Sent != 3 {
		t.Errorf("admin token with ?tenant=acme: %+v, want acme's 3 sent", r)
	}
	var none struct{ Rows []store.RateRow }
	admin.get("GET", "/v1/rates", nil, &none)
	if len(none.Rows) != 0 {
		t.Errorf("admin token, default tenant (no sends): %+v, want no rows", none.Rows)
	}

	// Lists, rules, qualification and incidents are the tenant's own.
	for _, c := range []struct {
		path, acmeHas string
	}{
		{"/v1/lists/deny", "deny@example.org"},
		{"/v1/rules?channel=email", "email.acme.frob"},
		{"/v1/qualification", "frobnicator"},
		{"/v1/incidents", `"route":"ses"`},
	} {
		if code, body := aOperate.call("GET", c.path, nil); code != http.StatusOK || !strings.Contains(body, c.acmeHas) {
			t.Errorf("acme GET %s: %d, want %q in %s", c.path, code, c.acmeHas, body)
		}
		if code, body := bOperate.call("GET", c.path, nil); code != http.StatusOK || strings.Contains(body, c.acmeHas) {
			t.Errorf("beta GET %s: %d, must not show acme's %q: %s", c.path, code, c.acmeHas, body)
		}
	}
	if code, _ := bOperate.call("GET", "/v1/rules/email.acme.frob", nil); code != http.StatusNotFound {
		t.Errorf("beta GET acme's rule: %d, want 404", code)
	}

	// Beta's operators cannot change acme's recipients or lists.
	if code, body := bOperate.call("POST", "/v1/recipients/email/x@example.org/release", map[string]any{"reason": "mine"}); code == http.StatusOK {
		t.Errorf("beta released acme's recipient: %s", body)
	}
	if code, body := bOperate.call("DELETE", "/v1/lists/deny/email/exact/deny@example.org", nil); code == http.StatusOK || code == http.StatusNoContent {
		t.Errorf("beta deleted acme's deny entry: %d %s", code, body)
	}
	var preview map[string]any
	bOperate.get("POST", "/v1/releases/preview", map[string]any{"channel": "email"}, &preview)
	if fmt.Sprint(preview["recipients"]) != "0" {
		t.Errorf("beta release preview: %v, want 0 recipients", preview)
	}
	aOperate.get("GET", "/v1/recipients/email/x@example.org", nil, &rv)
	var list struct{ Entries []store.ListEntry }
	aOperate.get("GET", "/v1/lists/deny", nil, &list)
	if rv.State != "quarantined" || len(list.Entries) != 1 {
		t.Errorf("after beta's attempts acme has %q and %d deny entries, want quarantined and 1", rv.State, len(list.Entries))
	}

	// Every /v1 route refuses a token that names another tenant, whatever
	// its role; an invalid tenant name is a 400.
	for _, p := range v1Routes(t, in) {
		method, path, _ := strings.Cut(p, " ")
		path = tenantFill.Replace(path)
		for _, c := range []tenantClient{bAdmin, bOperate, bIngest} {
			if code, body := c.call(method, path+"?tenant=acme", "{}"); code != http.StatusForbidden {
				t.Errorf("%s?tenant=acme with a beta token: %d %s, want 403", p, code, body)
			}
		}
		if code, body := admin.call(method, path+"?tenant=Not%20A%20Tenant", "{}"); code != http.StatusBadRequest {
			t.Errorf("%s with an invalid tenant: %d %s, want 400", p, code, body)
		}
	}
}

// tenantFill gives route wildcards sample values.
var tenantFill = strings.NewReplacer("{channel}", "email", "{address}", "x@example.org", "{list}", "deny",
	"{kind}", "exact", "{value}", "deny@example.org", "{id}", "email.acme.frob", "{group}", "g")

// v1Routes lists the token-authenticated routes of the API (api/roles.go
// has their roles), read from the served OpenAPI document (which
// api's TestOpenAPIMatchesRoutes keeps in step with the routes), so that a
// new route is covered without editing this test.
func v1Routes(t *testing.T, in *instance) []string {
	t.Helper()
	resp, err := http.Get(in.base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for path, ops := range doc.Paths {
		if !strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/v1/webhooks/") {
			continue
		}
		for method := range ops {
			switch method {
			case "get", "post", "put", "delete", "patch":
				out = append(out, strings.ToUpper(method)+" "+path)
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d /v1 routes in /openapi.json: %v", len(out), out)
	}
	return out
}

func TestEnvelopeTenant(t *testing.T) {
	t.Parallel()
	tenants := map[string]string{"bounces.acme.example": "acme", "bounces.example": "default"}
	for _, c := range []struct {
		to   []string
		want string
	}{
		{[]string{"bounces+tok@bounces.acme.example"}, "acme"},
		{[]string{"b@BOUNCES.ACME.EXAMPLE"}, "acme"},
		{[]string{"b@bounces.example"}, ""},
		{[]string{"b@other.example", "c@bounces.acme.example"}, "acme"},
		{[]string{"b@other.example"}, ""},
		{nil, ""},
	} {
		if got := envelopeTenant(tenants, c.to); got != c.want {
			t.Errorf("envelopeTenant(%v) = %q, want %q", c.to, got, c.want)
		}
	}
}
