package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// checkDockerfile parses path with BuildKit (what `docker build` runs),
// reports its lint warnings, and checks the image's contract: a static
// build, a distroless or scratch final stage run as 65532, ports 8080 and
// 2525, ENTRYPOINT rebond and CMD serve.
func checkDockerfile(path string) []error {
	f, err := os.Open(path)
	if err != nil {
		return []error{err}
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		return []error{fmt.Errorf("parse: %w", err)}
	}
	var errs []error
	for _, w := range res.Warnings {
		errs = append(errs, fmt.Errorf("parser: %s", w.Short))
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		errs = append(errs, fmt.Errorf("line %d: lint %s: %s", line, rule, msg))
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return append(errs, fmt.Errorf("instructions: %w", err))
	}
	if len(stages) < 2 {
		return append(errs, fmt.Errorf("%d stages, want a builder and a final image", len(stages)))
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.BaseName, "golang:1.26") {
		errs = append(errs, fmt.Errorf("builder is %s, want golang:1.26 (go.mod's go line)", build.BaseName))
	}
	errs = append(errs, checkBuildStage(build)...)
	if !strings.HasPrefix(final.BaseName, "gcr.io/distroless/static") && final.BaseName != "scratch" {
		errs = append(errs, fmt.Errorf("final image is %s, want distroless static or scratch", final.BaseName))
	}
	return append(errs, checkFinalStage(final)...)
}

func checkBuildStage(s instructions.Stage) []error {
	cgoOff := false
	var runs []string
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				cgoOff = cgoOff || (kv.Key == "CGO_ENABLED" && kv.Value == "0")
			}
		case *instructions.RunCommand:
			runs = append(runs, strings.Join(c.CmdLine, " "))
		}
	}
	var errs []error
	if !cgoOff {
		errs = append(errs, fmt.Errorf("builder: CGO_ENABLED=0 not set (the final image has no libc)"))
	}
	build := ""
	for _, r := range runs {
		if strings.Contains(r, "./cmd/rebond") {
			build = r
		}
	}
	for _, want := range []string{"-trimpath", "-s -w", "-X main.version="} {
		if !strings.Contains(build, want) {
			errs = append(errs, fmt.Errorf("builder: go build of ./cmd/rebond lacks %s", want))
		}
	}
	return errs
}

func checkFinalStage(s instructions.Stage) []error {
	var user string
	var ports, entry, cmd []string
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.ExposeCommand:
			ports = append(ports, c.Ports...)
		case *instructions.EntrypointCommand:
			entry = c.CmdLine
		case *instructions.CmdCommand:
			cmd = c.CmdLine
		}
	}
	var errs []error
	if user != "65532" && !strings.HasPrefix(user, "65532:") {
		errs = append(errs, fmt.Errorf("final stage runs as %q, want 65532", user))
	}
	for _, p := range []string{"8080", "2525"} {
		if !slices.Contains(ports, p) {
			errs = append(errs, fmt.Errorf("final stage does not EXPOSE %s", p))
		}
	}
	if len(entry) != 1 || !strings.HasSuffix(entry[0], "/rebond") {
		errs = append(errs, fmt.Errorf("ENTRYPOINT is %q, want the rebond binary alone (exec form)", entry))
	}
	if !slices.Equal(cmd, []string{"serve"}) {
		errs = append(errs, fmt.Errorf("CMD is %q, want [serve]", cmd))
	}
	return errs
}
