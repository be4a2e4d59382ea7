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
	var picked []file
	n := 0
	for _, f := range files {
		ok, err := path.Match(pattern, f.name)
		if err != nil {
			return nil, fmt.Errorf("load rules %q: %w", pattern, err)
		}
		if ok {
			picked = append(picked, f)
			n += len(f.rules)
		}
	}
	// One allocation: a Rule is large, and growing the slice copied the
	// email rules several times.
	all := make([]rules.Rule, 0, n)
	for _, f := range picked {
		all = append(all, f.rules...)
	}
	if len(picked) == 0 {
		return nil, fmt.Errorf("load rules %q: no file matches", pattern)
	}
	s, err := rules.NewSet(all)
	if err != nil {
		return nil, fmt.Errorf("load rules %q: %w", pattern, err)
	}
	return s, nil
}
