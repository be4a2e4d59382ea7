package channels

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestValidTenant(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"default": true, "acme": true, "a": true, "acme-eu_2": true, "0x": true, strings.Repeat("a", 63): true,
		"": false, "Acme": false, "-acme": false, "_acme": false, "ac me": false, "acme~": false, "acme/x": false,
		strings.Repeat("a", 64): false, "é": false,
	} {
		if got := ValidTenant(name); got != want {
			t.Errorf("ValidTenant(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestEventKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		tenant, id, key string
	}{
		{"", "e1", "e1"},
		{DefaultTenant, "e1", "e1"},
		{"acme", "e1", "~acme~e1"},
		{"acme", "a~b", "~acme~a~b"},
	} {
		e := Event{Tenant: c.tenant, ID: c.id}
		if got := e.Key(); got != c.key {
			t.Errorf("Key(%q, %q) = %q, want %q", c.tenant, c.id, got, c.key)
		}
		wantTenant := e.TenantName()
		if tenant, id := SplitKey(c.key); tenant != wantTenant || id != c.id {
			t.Errorf("SplitKey(%q) = %q, %q; want %q, %q", c.key, tenant, id, wantTenant, c.id)
		}
	}
}

// TestDecodeEventFor: a producer's tenant stamps its events before their
// id is derived (so the same fact has the same id on every path), an event
// naming another tenant is refused, and no id can pose as a tenant key.
func TestDecodeEventFor(t *testing.T) {
	t.Parallel()
	const base = `"channel":"email","type":"sent","message_id":"m","recipient":"a@b.c","occurred_at":"2026-11-02T09:00:00Z"`
	viaNATS, err := DecodeEvent([]byte(`{"tenant":"acme",` + base + `}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		body, tenant, wantTenant, wantErr string
	}{
		{`{` + base + `}`, "acme", "acme", ""},
		{`{"tenant":"acme",` + base + `}`, "acme", "acme", ""},
		{`{"tenant":"beta",` + base + `}`, "acme", "", "tenant"},
		{`{` + base + `}`, DefaultTenant, "", ""},
		{`{"tenant":"default",` + base + `}`, "", "", ""},
		{`{"tenant":"Acme",` + base + `}`, "", "", "tenant"},
		{`{"id":"~acme~x",` + base + `}`, "", "", "id"},
	} {
		e, err := DecodeEventFor([]byte(c.body), c.tenant)
		switch {
		case c.wantErr != "":
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.wantErr {
				t.Errorf("%s for %q: %v, want an error on %s", c.body, c.tenant, err, c.wantErr)
			}
		case err != nil:
			t.Errorf("%s for %q: %v", c.body, c.tenant, err)
		case e.Tenant != c.wantTenant:
			t.Errorf("%s for %q: tenant %q, want %q", c.body, c.tenant, e.Tenant, c.wantTenant)
		case c.wantTenant == "acme" && e.ID != viaNATS.ID:
			t.Errorf("%s for %q: id %s, want %s as when published with its tenant", c.body, c.tenant, e.ID, viaNATS.ID)
		}
	}
}

type stubHook struct{ events []Event }

func (h *stubHook) Handle(*http.Request, []byte) (WebhookResult, error) {
	return WebhookResult{Events: append([]Event(nil), h.events...)}, nil
}

func TestForTenant(t *testing.T) {
	t.Parallel()
	hook := &stubHook{events: []Event{{ID: "a"}, {ID: "b"}}}
	if got := ForTenant(hook, ""); got != Webhook(hook) {
		t.Error("ForTenant with no tenant must return the adapter itself")
	}
	res, err := ForTenant(hook, "acme").Handle(nil, nil)
	if err != nil || len(res.Events) != 2 || res.Events[0].Key() != "~acme~a" || res.Events[1].Tenant != "acme" {
		t.Errorf("ForTenant(acme): %+v %v", res.Events, err)
	}
}
