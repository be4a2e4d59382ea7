// Command readmegen writes the README's HTTP API table from the OpenAPI
// document, so that the document is the single description of the API
// and the README cannot name a route, a parameter, a body field or an
// enum value the server does not have (api's TestOpenAPIMatchesRoutes
// holds the document to the router). `go generate ./api` (make generate)
// runs it; its test fails while the README is stale.
//
//	go run ./internal/readmegen -openapi openapi/openapi.json -readme ../README.md
//
// The table sits between the lines beginMarker and endMarker of the
// README; the rest of the file is left as it is.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
)

const (
	beginMarker = "<!-- API table: generated from api/openapi/openapi.json by `go generate ./api`; edit the document, not the table -->"
	endMarker   = "<!-- end of API table -->"
)

func main() {
	doc := flag.String("openapi", "openapi/openapi.json", "the OpenAPI document")
	readme := flag.String("readme", "../README.md", "the README whose table to rewrite")
	flag.Parse()
	if err := run(*doc, *readme); err != nil {
		log.Fatalf("readmegen: %v", err)
	}
}

// run rewrites the table of the README at readmePath from the document
// at docPath, writing the file only when it changes.
func run(docPath, readmePath string) error {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		return err
	}
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	out, err := generate(doc, readme)
	if err != nil || bytes.Equal(out, readme) {
		return err
	}
	return os.WriteFile(readmePath, out, 0o644)
}

// generate returns readme with the table rendered from doc between its
// markers.
func generate(doc, readme []byte) ([]byte, error) {
	table, err := Table(doc)
	if err != nil {
		return nil, err
	}
	return splice(readme, table)
}

// splice replaces what lies between the marker lines of readme with
// table.
func splice(readme []byte, table string) ([]byte, error) {
	begin := bytes.Index(readme, []byte(beginMarker+"\n"))
	end := bytes.Index(readme, []byte("\n"+endMarker+"\n"))
	if begin < 0 || end < begin {
		return nil, fmt.Errorf("the README has no %q line followed by a %q line", beginMarker, endMarker)
	}
	var b bytes.Buffer
	b.Write(readme[:begin+len(beginMarker)+1])
	b.WriteString(table)
	b.Write(readme[end:])
	return b.Bytes(), nil
}
