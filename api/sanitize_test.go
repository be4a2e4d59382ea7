package api

import (
	"net/http"
	"testing"
)

// TestUnstorableQueryIs400: a NUL byte or invalid UTF-8 in the path or
// the query is the client's error, answered 400 before any store call.
func TestUnstorableQueryIs400(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Config{}, nil)
	tests := []struct {
		name, path string
		code       int
	}{
		{"NUL in a value", "/v1/rates?campaign=a%00b", http.StatusBadRequest},
		{"NUL alone", "/v1/rates?channel=email&campaign=%00", http.StatusBadRequest},
		{"NUL in a name", "/v1/rates?a%00=1", http.StatusBadRequest},
		{"invalid UTF-8", "/v1/rates?campaign=%ff%fe", http.StatusBadRequest},
		{"NUL in the path", "/v1/recipients/email/a%00b@example.com", http.StatusBadRequest},
		{"NUL in a webhook query", "/v1/webhooks/x?token=%00", http.StatusBadRequest},
		{"plain", "/v1/rates?campaign=spring", http.StatusOK},
		{"UTF-8", "/v1/rates?campaign=%C3%A9t%C3%A9", http.StatusOK},
	}
	for _, tc := range tests {
		if code, body := f.authed("GET", tc.path, ""); code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.code)
		}
	}
}
