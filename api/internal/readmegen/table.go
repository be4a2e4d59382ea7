package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// document is the part of an OpenAPI 3.1 document the table shows.
// Objects whose order the table keeps are read as raw JSON (keysOf).
type document struct {
	Paths      json.RawMessage `json:"paths"`
	Components struct {
		Schemas    map[string]*schema    `json:"schemas"`
		Parameters map[string]*parameter `json:"parameters"`
	} `json:"components"`
}

type operation struct {
	Summary     string      `json:"summary"`
	Description string      `json:"description"`
	Parameters  []parameter `json:"parameters"`
	RequestBody *struct {
		Content json.RawMessage `json:"content"`
	} `json:"requestBody"`
}

type parameter struct {
	Ref         string  `json:"$ref"`
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Description string  `json:"description"`
	Schema      *schema `json:"schema"`
}

type schema struct {
	Ref         string          `json:"$ref"`
	Type        any             `json:"type"`
	Description string          `json:"description"`
	Enum        []any           `json:"enum"`
	Default     any             `json:"default"`
	Items       *schema         `json:"items"`
	Properties  json.RawMessage `json:"properties"`
	AllOf       []*schema       `json:"allOf"`
	OneOf       []*schema       `json:"oneOf"`
}

// methods are the operations of a path item, in the order of the document.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Table renders the README's API table: one row per operation, the /v1
// routes first and then the process's own (health, metrics, the
// document), each in the document's order. A row shows the method, the
// path and its query parameters, then the summary and description, the
// request body's fields, and each parameter that has a description or
// an enum.
func Table(raw []byte) (string, error) {
	var doc document
	if err := json.Unmarshal(raw, &doc); err != nil {
		return "", fmt.Errorf("read the document: %w", err)
	}
	paths, err := keysOf(doc.Paths)
	if err != nil {
		return "", fmt.Errorf("paths: %w", err)
	}
	slices.SortStableFunc(paths, func(a, b string) int {
		return boolCmp(!strings.HasPrefix(a, "/v1/"), !strings.HasPrefix(b, "/v1/"))
	})
	var items map[string]json.RawMessage
	if err := json.Unmarshal(doc.Paths, &items); err != nil {
		return "", fmt.Errorf("paths: %w", err)
	}
	rows := []string{"| | |", "| --- | --- |"}
	for _, path := range paths {
		ops, err := keysOf(items[path])
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		var item map[string]json.RawMessage
		if err := json.Unmarshal(items[path], &item); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		var shared []parameter
		if p := item["parameters"]; p != nil {
			if err := json.Unmarshal(p, &shared); err != nil {
				return "", fmt.Errorf("%s parameters: %w", path, err)
			}
		}
		for _, m := range ops {
			if !slices.Contains(methods, m) {
				continue
			}
			var op operation
			if err := json.Unmarshal(item[m], &op); err != nil {
				return "", fmt.Errorf("%s %s: %w", m, path, err)
			}
			row, err := doc.row(strings.ToUpper(m), path, append(slices.Clone(shared), op.Parameters...), op)
			if err != nil {
				return "", fmt.Errorf("%s %s: %w", m, path, err)
			}
			rows = append(rows, row)
		}
	}
	return strings.Join(rows, "\n"), nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// row renders one operation.
func (d *document) row(method, path string, params []parameter, op operation) (string, error) {
	var query []string
	var notes []string
	for _, p := range params {
		if p.Ref != "" {
			name := strings.TrimPrefix(p.Ref, "#/components/parameters/")
			ref, ok := d.Components.Parameters[name]
			if !ok {
				return "", fmt.Errorf("no parameter %s", p.Ref)
			}
			p = *ref
		}
		if p.In == "query" {
			query = append(query, p.Name+"=")
		}
		if n := d.paramNote(p); n != "" {
			notes = append(notes, n)
		}
	}
	route := method + " " + path
	if len(query) > 0 {
		route += "?" + strings.Join(query, "&")
	}
	cell := []string{text(strings.TrimSpace(op.Summary + " " + op.Description))}
	if op.RequestBody != nil {
		body, err := d.body(op.RequestBody.Content)
		if err != nil {
			return "", err
		}
		cell = append(cell, body)
	}
	cell = append(cell, notes...)
	return "| " + code(route) + " | " + strings.Join(cell, "<br>") + " |", nil
}

// paramNote renders a parameter that says more than its name: its
// description, its values and its default.
func (d *document) paramNote(p parameter) string {
	s := p.Schema
	if s == nil {
		s = &schema{}
	}
	var parts []string
	if p.Description != "" {
		parts = append(parts, text(p.Description))
	}
	switch {
	case len(s.Enum) > 0:
		parts = append(parts, "one of "+codes(s.Enum, ", "))
	case s.Items != nil && len(s.Items.Enum) > 0:
		parts = append(parts, "any of "+codes(s.Items.Enum, ", "))
	}
	if s.Default != nil {
		if list, ok := s.Default.([]any); ok {
			parts = append(parts, "default "+codes(list, ","))
		} else {
			parts = append(parts, "default "+codes([]any{s.Default}, ""))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return code(p.Name) + ": " + strings.Join(parts, "; ")
}

// body renders a request body: the fields of each media type's schema,
// media types of the same schema together.
func (d *document) body(content json.RawMessage) (string, error) {
	types, err := keysOf(content)
	if err != nil {
		return "", err
	}
	var media map[string]struct {
		Schema *schema `json:"schema"`
	}
	if err := json.Unmarshal(content, &media); err != nil {
		return "", err
	}
	var shapes, order []string
	byShape := map[string][]string{}
	for _, t := range types {
		shape, err := d.shape(media[t].Schema)
		if err != nil {
			return "", fmt.Errorf("body %s: %w", t, err)
		}
		if byShape[shape] == nil {
			order = append(order, shape)
		}
		byShape[shape] = append(byShape[shape], code(t))
	}
	for _, shape := range order {
		shapes = append(shapes, shape+" as "+strings.Join(byShape[shape], " or "))
	}
	return "Body: " + strings.Join(shapes, "; or "), nil
}

// shape renders a schema in a few words: an object as its fields, a
// named schema as its name, an array as [items], text as its description.
func (d *document) shape(s *schema) (string, error) {
	if s == nil {
		return "anything", nil
	}
	switch {
	case s.Ref != "":
		return code(strings.TrimPrefix(s.Ref, "#/components/schemas/")), nil
	case len(s.OneOf) > 0:
		var alts []string
		for _, a := range s.OneOf {
			alt, err := d.shape(a)
			if err != nil {
				return "", err
			}
			alts = append(alts, alt)
		}
		return strings.Join(alts, " or "), nil
	case s.Items != nil:
		inner, err := d.shape(s.Items)
		return "array of " + inner, err
	case len(s.AllOf) > 0 || s.Properties != nil:
		fields, err := d.fields(s)
		if err != nil {
			return "", err
		}
		return code("{" + strings.Join(fields, ", ") + "}"), nil
	case s.Description != "":
		return text(s.Description), nil
	}
	return "text", nil
}

// fields lists an object schema's properties in order, those of allOf's
// parts (named ones resolved) included.
func (d *document) fields(s *schema) ([]string, error) {
	var out []string
	for _, part := range s.AllOf {
		if part.Ref != "" {
			name := strings.TrimPrefix(part.Ref, "#/components/schemas/")
			if part = d.Components.Schemas[name]; part == nil {
				return nil, fmt.Errorf("no schema %s", name)
			}
		}
		more, err := d.fields(part)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	if s.Properties == nil {
		return out, nil
	}
	names, err := keysOf(s.Properties)
	return append(out, names...), err
}

// keysOf returns the keys of a JSON object in the order it has them.
func keysOf(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not an object")
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// code is s as a code span of a table cell.
func code(s string) string { return "`" + strings.ReplaceAll(s, "|", `\|`) + "`" }

// codes renders values as code spans joined by sep.
func codes(values []any, sep string) string {
	var out []string
	for _, v := range values {
		out = append(out, code(fmt.Sprint(v)))
	}
	return strings.Join(out, sep)
}

// text makes the document's Markdown fit a table cell: one line, pipes
// escaped, and < and > outside code spans written as entities, so that
// `smpp:<gateway>` in prose is not read as HTML.
func text(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	parts := strings.Split(s, "`")
	for i, p := range parts {
		p = strings.ReplaceAll(p, "|", `\|`)
		if i%2 == 0 {
			p = strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(p)
		}
		parts[i] = p
	}
	return strings.Join(parts, "`")
}
