package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// checkSystemd checks the environment examples' variables and the units'
// hardening and stop timeout. `systemd-analyze verify` (run by make
// deploy-check where it exists) checks the unit syntax itself.
func checkSystemd(dir string, keys map[string]bool) []error {
	var errs []error
	envs, _ := filepath.Glob(filepath.Join(dir, "*env.example"))
	if len(envs) == 0 {
		errs = append(errs, fmt.Errorf("no *env.example in %s", dir))
	}
	for _, path := range envs {
		vars, err := readAssignments(path, "=")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var names []string
		for k := range vars {
			names = append(names, k[0])
		}
		for _, k := range unknownEnv(keys, names) {
			errs = append(errs, fmt.Errorf("%s: %s is not a rebond configuration key", filepath.Base(path), k))
		}
	}
	units, _ := filepath.Glob(filepath.Join(dir, "*.service"))
	if len(units) < 2 {
		errs = append(errs, fmt.Errorf("%d units in %s, want rebond-api and rebond-worker", len(units), dir))
	}
	for _, path := range units {
		errs = append(errs, checkUnit(path)...)
	}
	return errs
}

// unitMust are the settings every rebond unit needs.
var unitMust = map[string]string{
	"ProtectSystem":   "strict",
	"NoNewPrivileges": "yes",
	"Restart":         "on-failure",
	"EnvironmentFile": "/etc/rebond/env",
	"DynamicUser":     "yes",
}

func checkUnit(path string) []error {
	name := filepath.Base(path)
	set, err := readAssignments(path, "=")
	if err != nil {
		return []error{err}
	}
	var errs []error
	for k, want := range unitMust {
		if !set[[2]string{k, want}] {
			errs = append(errs, fmt.Errorf("%s: %s=%s missing", name, k, want))
		}
	}
	var timeout, exec string
	for kv := range set {
		switch kv[0] {
		case "TimeoutStopSec":
			timeout = kv[1]
		case "ExecStart":
			exec = kv[1]
		}
	}
	if d, err := time.ParseDuration(timeout); err != nil || d < minStopGrace {
		errs = append(errs, fmt.Errorf("%s: TimeoutStopSec=%q, want at least %s (serve's 20s graceful stop)", name, timeout, minStopGrace))
	}
	if _, ok, err := rolesOf(strings.Fields(exec)); err != nil || !ok {
		errs = append(errs, fmt.Errorf("%s: ExecStart %q: roles: %v", name, exec, err))
	}
	return errs
}

// readAssignments reads KEY<sep>VALUE lines (comments and sections
// skipped); a key may repeat with different values.
func readAssignments(path, sep string) (map[[2]string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[[2]string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, sep)
		if !ok {
			return nil, fmt.Errorf("%s: %q is not KEY%sVALUE", path, line, sep)
		}
		out[[2]string{strings.TrimSpace(k), strings.TrimSpace(v)}] = true
	}
	return out, sc.Err()
}
