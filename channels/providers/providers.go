// Package providers groups recipient domains by mailbox provider: the
// operator of their MX hosts (Google for gmail.com and googlemail.com,
// Microsoft for outlook.com, hotmail.* and live.*, ...). One operator
// applies one filtering policy whatever the domain, so rates and alerts per
// provider say more than the same numbers spread over its domains.
//
// The table is data (configs/providers.yaml, overridable by the
// providers_file configuration key); this package only reads and applies it.
package providers

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rebond/rebond/configs"
)

// Other is the provider of every domain the table does not list.
const Other = "other"

// maxTableBytes bounds a table file: the shipped one is a few kilobytes.
const maxTableBytes = 1 << 20

// Table maps domains to provider names. The zero value maps every domain
// to Other. A Table is read-only once built, so it is safe for concurrent
// use.
type Table struct {
	exact    map[string]string // "gmail.com" → "Google"
	prefixes map[string]string // "yahoo." (from "yahoo.*") → "Yahoo"
	names    []string          // in file order
}

type file struct {
	Providers []struct {
		Name    string   `yaml:"name"`
		Domains []string `yaml:"domains"`
	} `yaml:"providers"`
}

// Parse reads a table in the format of configs/providers.yaml. Errors name
// the provider or domain at fault; unknown keys are errors, so a misspelt
// key is not silently ignored.
func Parse(b []byte) (*Table, error) {
	if len(b) > maxTableBytes {
		return nil, fmt.Errorf("providers: table of %d bytes exceeds %d", len(b), maxTableBytes)
	}
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("providers: %w", err)
	}
	t := &Table{exact: map[string]string{}, prefixes: map[string]string{}}
	for i, p := range f.Providers {
		name := strings.TrimSpace(p.Name)
		if name == "" || strings.EqualFold(name, Other) {
			return nil, fmt.Errorf("providers[%d].name: %q is empty or reserved", i, p.Name)
		}
		if len(p.Domains) == 0 {
			return nil, fmt.Errorf("providers[%d] (%s).domains: empty", i, name)
		}
		for _, d := range p.Domains {
			if err := t.add(name, d); err != nil {
				return nil, fmt.Errorf("providers[%d] (%s): %w", i, name, err)
			}
		}
		t.names = append(t.names, name)
	}
	return t, nil
}

func (t *Table) add(name, domain string) error {
	d := strings.ToLower(strings.TrimSpace(domain))
	m, key := t.exact, d
	if base, ok := strings.CutSuffix(d, ".*"); ok {
		m, key = t.prefixes, base+"."
	}
	if key == "" || key == "." || strings.ContainsAny(key, "@*/ \t") {
		return fmt.Errorf("domain %q: not a domain or a \"name.*\" pattern", domain)
	}
	if prev, dup := m[key]; dup {
		return fmt.Errorf("domain %q: already listed under %s", domain, prev)
	}
	m[key] = name
	return nil
}

// Load reads the table at path in fsys.
func Load(fsys fs.FS, path string) (*Table, error) {
	b, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, fmt.Errorf("providers: %w", err)
	}
	return Parse(b)
}

// Default returns the table shipped in configs/providers.yaml.
func Default() (*Table, error) { return Load(configs.Files, "providers.yaml") }

// Of returns the provider of a domain (or of an address: the part after
// the last @), or Other. An exact entry wins over a "name.*" pattern, and
// a pattern matches the domain's first label: "yahoo.*" takes yahoo.fr and
// yahoo.co.uk but not mail.yahoo.fr (a subdomain is a different host whose
// MX may be anyone's).
func (t *Table) Of(domain string) string {
	if t == nil {
		return Other
	}
	if i := strings.LastIndexByte(domain, '@'); i >= 0 {
		domain = domain[i+1:]
	}
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if p, ok := t.exact[d]; ok {
		return p
	}
	if first, _, ok := strings.Cut(d, "."); ok {
		if p, ok := t.prefixes[first+"."]; ok {
			return p
		}
	}
	return Other
}

// Names lists the providers in table order, without Other.
func (t *Table) Names() []string {
	if t == nil {
		return nil
	}
	return append([]string(nil), t.names...)
}

// Or returns t, or the shipped table when t is nil (a caller configured
// with no table of its own).
func Or(t *Table) (*Table, error) {
	if t != nil {
		return t, nil
	}
	return Default()
}
