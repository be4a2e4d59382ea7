package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEIsCurrent: the README's API table is what the OpenAPI
// document gives, so the README lists exactly the document's routes,
// query parameters, body fields and enum values.
func TestREADMEIsCurrent(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "openapi", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(doc, readme)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, readme) {
		t.Errorf("README.md's API table is stale: run `go generate ./api` (make generate)")
	}
}

// TestRun: run writes the table into the file, and a second run leaves
// it as it is.
func TestRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	doc, readme := filepath.Join(dir, "openapi.json"), filepath.Join(dir, "README.md")
	write := func(path, s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(doc, `{"paths":{"/v1/x":{"get":{"summary":"X."}}}}`)
	write(readme, "# r\n"+beginMarker+"\nold\n"+endMarker+"\nrest\n")
	for range 2 {
		if err := run(doc, readme); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(readme)
		if want := "# r\n" + beginMarker + "\n| | |\n| --- | --- |\n| `GET /v1/x` | X. |\n" + endMarker + "\nrest\n"; string(got) != want {
			t.Fatalf("README:\n%s\nwant\n%s", got, want)
		}
	}
	write(readme, "no markers\n")
	if err := run(doc, readme); err == nil {
		t.Error("a README without markers must be an error")
	}
}

// TestTable: what a row shows of an operation.
func TestTable(t *testing.T) {
	t.Parallel()
	const components = `"components":{"schemas":{"F":{"type":"object","properties":{"b":{},"a":{}}}},
		"parameters":{"T":{"name":"tenant","in":"query","description":"whose"}}}`
	for _, tc := range []struct {
		name, doc string
		want      []string // the rows after the header
	}{
		{"order: /v1 first, then the document's order, methods as written",
			`{"paths":{"/healthz":{"get":{"summary":"Up."}},"/v1/b":{"post":{"summary":"B."},"get":{"summary":"Get b."}},"/v1/a":{"delete":{"summary":"A."}}}}`,
			[]string{"| `POST /v1/b` | B. |", "| `GET /v1/b` | Get b. |", "| `DELETE /v1/a` | A. |", "| `GET /healthz` | Up. |"}},
		{"query parameters in the route, shared ones first, enums, defaults and references",
			`{"paths":{"/v1/r/{id}":{"parameters":[{"name":"id","in":"path"}],"get":{"summary":"R.","parameters":[
				{"name":"g","in":"query","description":"groups","schema":{"type":"array","items":{"enum":["x","y"]},"default":["x"]}},
				{"name":"s","in":"query","schema":{"enum":["on","off"],"default":"on"}},
				{"$ref":"#/components/parameters/T"}]}}},` + components + `}`,
			[]string{"| `GET /v1/r/{id}?g=&s=&tenant=` | R.<br>`g`: groups; any of `x`, `y`; default `x`<br>`s`: one of `on`, `off`; default `on`<br>`tenant`: whose |"}},
		{"bodies: fields in order, allOf merged, named schemas, alternatives, media types",
			`{"paths":{"/v1/b":{"post":{"summary":"B.","requestBody":{"content":{
				"application/json":{"schema":{"allOf":[{"$ref":"#/components/schemas/F"},{"properties":{"c":{}}}]}},
				"application/yaml":{"schema":{"allOf":[{"$ref":"#/components/schemas/F"},{"properties":{"c":{}}}]}},
				"message/rfc822":{"schema":{"type":"string","description":"a mail"}}}}},
			"put":{"summary":"P.","requestBody":{"content":{"application/json":{"schema":{"oneOf":[{"$ref":"#/components/schemas/F"},{"type":"array","items":{"$ref":"#/components/schemas/F"}}]}}}}}}},` + components + `}`,
			[]string{"| `POST /v1/b` | B.<br>Body: `{b, a, c}` as `application/json` or `application/yaml`; or a mail as `message/rfc822` |",
				"| `PUT /v1/b` | P.<br>Body: `F` or array of `F` as `application/json` |"}},
		{"prose fits a cell: one line, pipes escaped, tags outside code escaped",
			`{"paths":{"/v1/p":{"get":{"summary":"A | B,\n <gateway> and ` + "`<kept>|`" + `."}}}}`,
			[]string{"| `GET /v1/p` | A \\| B, &lt;gateway&gt; and `<kept>\\|`. |"}},
	} {
		table, err := Table([]byte(tc.doc))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		rows := strings.Split(table, "\n")
		if rows[0] != "| | |" || rows[1] != "| --- | --- |" {
			t.Errorf("%s: header %q", tc.name, rows[:2])
			continue
		}
		rows = rows[2:]
		if got, want := strings.Join(rows, "\n"), strings.Join(tc.want, "\n"); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.name, got, want)
		}
	}
	for _, bad := range []string{`{"paths":[]}`, `{"paths":{"/v1/x":{"get":{"parameters":[{"$ref":"#/components/parameters/Nope"}]}}}}`, `not json`} {
		if _, err := Table([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
