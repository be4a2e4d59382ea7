package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// envKeys returns the REBOND_* variable of every key of the default
// configuration, derived as cmd/rebond/config.go's applyEnv does: REBOND_
// + the dotted key path in upper case, '.' and '-' as '_'. Lists and empty
// maps are keys; a map's own name is not.
func envKeys(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	keys := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		if !ok || len(m) == 0 {
			keys[envName(prefix)] = true
			return
		}
		for k, sub := range m {
			walk(strings.TrimPrefix(prefix+"."+k, "."), sub)
		}
	}
	walk("", doc)
	return keys, nil
}

func envName(key string) string {
	return "REBOND_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// unknownEnv lists the REBOND_* names among names that are no key.
func unknownEnv(keys map[string]bool, names []string) []string {
	var bad []string
	for _, n := range names {
		if strings.HasPrefix(n, "REBOND_") && !keys[n] {
			bad = append(bad, n)
		}
	}
	slices.Sort(bad)
	return bad
}

// validRoles are serve's --roles (cmd/rebond/serve.go, allRoles).
var validRoles = []string{"api", "bridge", "worker", "scheduler", "smtp", "smpp", "mailbox"}

// rolesOf finds --roles=a,b (or --roles a,b) in a command line and checks
// every role; ok is false when the command has no --roles.
func rolesOf(args []string) (roles []string, ok bool, err error) {
	for i, a := range args {
		var v string
		switch {
		case strings.HasPrefix(a, "--roles="):
			v = strings.TrimPrefix(a, "--roles=")
		case a == "--roles" && i+1 < len(args):
			v = args[i+1]
		default:
			continue
		}
		for _, r := range strings.Split(v, ",") {
			if !slices.Contains(validRoles, r) {
				return nil, true, fmt.Errorf("--roles: unknown role %q", r)
			}
			roles = append(roles, r)
		}
		return roles, true, nil
	}
	return nil, false, nil
}
