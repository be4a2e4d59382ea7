package api

import (
	_ "embed" // the OpenAPI document is embedded
	"net/http"
)

// openAPI describes every route of the server; TestOpenAPIMatchesRoutes
// keeps the two in step, and the README's API table is generated from it
// (internal/readmegen, whose test fails while the table is stale).
//
//go:generate go run ./internal/readmegen -openapi openapi/openapi.json -readme ../README.md
//go:embed openapi/openapi.json
var openAPI []byte

// getOpenAPI serves GET /openapi.json.
func (s *Server) getOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPI)
	return nil
}
