// Package builtin holds rebond's shipped rules (configs/rules/*.yaml) as Go
// values, generated from the YAML by `go generate` (gen.go), so that a
// command starts without parsing YAML: parsing the email rules took a
// third of the cold start of `rebond classify email`. The YAML files stay
// the source: TestGeneratedMatchesYAML fails, naming the command to run,
// whenever the two differ.
package builtin

//go:generate go run gen.go

import (
	"fmt"
	"path"

	"github.com/rebond/rebond/channels/rules"
)

// file is one rule file of configs/rules, as rules.Parse reads it.
type file struct {
	name  string // "rules/email.yaml", the name in configs.Files
	rules []rules.Rule
}

// Load builds a rule set from the shipped files whose names match pattern
// (path.Match syntax over "rules/NAME.yaml", as rules.Load takes over
// configs.Files). It gives the same Set as rules.Load(configs.Files,
// pattern), and the same error for a pattern that matches no file.
func Load(pattern string) (*rules.Set, error) {
	var all []rules.Rule
	matched := false
	for _, f := range files {
		ok, err := path.Match(pattern, f.name)
		if err != nil {
			return nil, fmt.Errorf("load rules %q: %w", pattern, err)
		}
		if ok {
			matched = true
			all = append(all, f.rules...)
		}
	}
	if !matched {
		return nil, fmt.Errorf("load rules %q: no file matches", pattern)
	}
	s, err := rules.NewSet(all)
	if err != nil {
		return nil, fmt.Errorf("load rules %q: %w", pattern, err)
	}
	return s, nil
}
