package api

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// refuseUnstorable answers 400 to a request whose path or query holds a
// NUL byte or is not UTF-8, before any route sees it: PostgreSQL text
// cannot hold either (a NUL is refused with SQLSTATE 22021 even as a query
// parameter), so such a value could only fail deeper, as a 500.
func refuseUnstorable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !storable(r.URL.Path) {
			writeError(w, http.StatusBadRequest, "the path holds a NUL byte or is not UTF-8")
			return
		}
		for k, vs := range r.URL.Query() {
			if !storable(k) {
				writeError(w, http.StatusBadRequest, "a query parameter name holds a NUL byte or is not UTF-8")
				return
			}
			for _, v := range vs {
				if !storable(v) {
					writeError(w, http.StatusBadRequest, "query parameter "+k+": holds a NUL byte or is not UTF-8")
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// storable reports whether PostgreSQL can store s as text.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
