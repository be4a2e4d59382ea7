package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rebond/rebond/channels"
)

func TestRequestTenant(t *testing.T) {
	t.Parallel()
	stored := principal{role: "read", actor: "token:x", named: true, tenant: "acme"}
	admin := principal{role: "admin", actor: actorAdmin}
	for _, c := range []struct {
		p       principal
		query   string
		want    string
		status  int
		because string
	}{
		{stored, "", "acme", 0, "a stored token acts for its tenant"},
		{stored, "?tenant=acme", "acme", 0, "naming its own tenant is fine"},
		{stored, "?tenant=beta", "", http.StatusForbidden, "never for another"},
		{stored, "?tenant=Beta!", "", http.StatusBadRequest, "a bad name is a bad request"},
		{admin, "", channels.DefaultTenant, 0, "the admin token defaults to the default tenant"},
		{admin, "?tenant=beta", "beta", 0, "and acts for any tenant it names"},
		{admin, "?tenant=", channels.DefaultTenant, 0, "an empty name is no name"},
	} {
		r := httptest.NewRequest("GET", "/v1/rates"+c.query, nil)
		got, status, msg := requestTenant(c.p, r)
		if got != c.want || status != c.status {
			t.Errorf("%s: %q %d %q, want %q %d", c.because, got, status, msg, c.want, c.status)
		}
	}
}
