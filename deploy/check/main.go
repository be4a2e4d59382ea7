// Command check validates rebond's deployment files without a Docker
// daemon or a Kubernetes cluster (`make deploy-check` runs it):
//
//   - deploy/compose.yaml through compose-go, the loader of `docker
//     compose` itself, which checks it against the compose-spec JSON
//     schema, interpolates it and resolves extends, anchors and
//     depends_on; then rebond's own invariants on the result;
//   - deploy/k8s/*.yaml decoded strictly into the Kubernetes API types
//     (an unknown or misspelt field is an error, as with kubectl's
//     --validate=strict), then the invariants: probes, resources,
//     non-root read-only containers, a PodDisruptionBudget per Deployment,
//     Services and the HPA pointing at something that exists;
//   - deploy/Dockerfile through BuildKit's parser and linter;
//   - the systemd environment files;
//   - every REBOND_* variable named anywhere above against the keys of
//     configs/rebond.yaml: serve ignores a variable that is not a key
//     (cmd/rebond/config.go derives the names from the keys), so a
//     misspelt one would be silently lost.
//
// It lives in its own module so that the Kubernetes, compose and BuildKit
// libraries stay out of rebond's go.mod.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	root := flag.String("root", "../..", "the rebond repository")
	flag.Parse()
	if err := run(context.Background(), *root, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run checks everything and reports every problem to w, not only the
// first.
func run(ctx context.Context, root string, w io.Writer) error {
	keys, err := envKeys(filepath.Join(root, "configs", "rebond.yaml"))
	if err != nil {
		return err
	}
	checks := []struct {
		name string
		fn   func() []error
	}{
		{"deploy/compose.yaml", func() []error { return checkCompose(ctx, filepath.Join(root, "deploy", "compose.yaml"), keys) }},
		{"deploy/k8s", func() []error { return checkKubernetes(filepath.Join(root, "deploy", "k8s"), keys) }},
		{"deploy/Dockerfile", func() []error { return checkDockerfile(filepath.Join(root, "deploy", "Dockerfile")) }},
		{"deploy/systemd", func() []error { return checkSystemd(filepath.Join(root, "deploy", "systemd"), keys) }},
	}
	var all []error
	for _, c := range checks {
		errs := c.fn()
		if len(errs) == 0 {
			fmt.Fprintf(w, "ok   %s\n", c.name)
			continue
		}
		fmt.Fprintf(w, "FAIL %s\n", c.name)
		for _, e := range errs {
			fmt.Fprintf(w, "     %v\n", e)
		}
		all = append(all, fmt.Errorf("%s: %d problems", c.name, len(errs)))
	}
	return errors.Join(all...)
}
