package main

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// files are what the checks read, relative to the repository root.
var files = []string{"configs/rebond.yaml", "deploy/compose.yaml", "deploy/Dockerfile"}

// copyTree copies the checked files of the real repository into a
// temporary root, so that a case can break one of them.
func copyTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	paths := append([]string{}, files...)
	for _, pattern := range []string{"deploy/k8s/*.yaml", "deploy/systemd/*"} {
		m, err := filepath.Glob(filepath.Join("..", "..", pattern))
		if err != nil || len(m) == 0 {
			t.Fatalf("%s: %v (%d files)", pattern, err, len(m))
		}
		for _, p := range m {
			rel, _ := filepath.Rel(filepath.Join("..", ".."), p)
			paths = append(paths, rel)
		}
	}
	for _, rel := range paths {
		b, err := os.ReadFile(filepath.Join("..", "..", rel))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// edit replaces old by new in root/rel, failing if old is not there (a
// case whose edit does nothing would pass for the wrong reason).
func edit(t *testing.T, root, rel, old, new string) {
	t.Helper()
	p := filepath.Join(root, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", rel, old)
	}
	if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestShippedFilesPass(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), filepath.Join("..", ".."), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if n := strings.Count(out.String(), "ok   "); n != 4 {
		t.Errorf("%d checks passed, want 4:\n%s", n, out.String())
	}
}

func TestBrokenFilesAreCaught(t *testing.T) {
	cases := []struct {
		name, file, old, new, want string
	}{
		{"misspelt variable in compose", "deploy/compose.yaml",
			"REBOND_NATS_REPLICAS: \"3\"", "REBOND_NATS_REPLICA: \"3\"", "REBOND_NATS_REPLICA is not a rebond configuration key"},
		{"compose key outside the spec", "deploy/compose.yaml",
			"    restart: unless-stopped\n    environment:\n      POSTGRES_USER", "    restart_policy: always\n    environment:\n      POSTGRES_USER", "restart_policy"},
		{"depends_on an absent service", "deploy/compose.yaml",
			"      redis:\n        condition: service_healthy", "      rediss:\n        condition: service_healthy", "rediss"},
		{"NATS URL naming one server", "deploy/compose.yaml",
			"REBOND_NATS_URL: nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222", "REBOND_NATS_URL: nats://nats-1:4222", "names 1 servers"},
		{"short stop grace period", "deploy/compose.yaml",
			"stop_grace_period: 30s", "stop_grace_period: 10s", "stop_grace_period below"},
		{"unknown role", "deploy/compose.yaml",
			"--roles=api,smtp", "--roles=api,smtpd", `unknown role "smtpd"`},
		{"misspelt Kubernetes field", "deploy/k8s/21-bridge.yaml",
			"readinessProbe:", "readinesProbe:", "unknown field"},
		{"liveness on /readyz", "deploy/k8s/22-worker.yaml",
			"path: /healthz\n              port: http\n            periodSeconds: 10", "path: /readyz\n              port: http\n            periodSeconds: 10", "liveness probe on /readyz"},
		{"Deployment without a PDB", "deploy/k8s/23-scheduler.yaml",
			"  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: rebond\n      app.kubernetes.io/component: scheduler",
			"  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: rebond\n      app.kubernetes.io/component: nothing",
			"Deployment rebond-scheduler: no PodDisruptionBudget"},
		{"writable root filesystem", "deploy/k8s/20-api.yaml",
			"readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "needs readOnlyRootFilesystem"},
		{"Service port not on the pods", "deploy/k8s/20-api.yaml",
			"      port: 25\n      targetPort: smtp", "      port: 25\n      targetPort: mail", "target port mail"},
		{"misspelt variable in the ConfigMap", "deploy/k8s/01-config.yaml",
			"REBOND_SMTP_DOMAINS:", "REBOND_SMTP_DOMAIN:", "REBOND_SMTP_DOMAIN (ConfigMap or Secret)"},
		{"two schedulers", "deploy/k8s/23-scheduler.yaml", "replicas: 1", "replicas: 2", "scheduler runs with 1 replica"},
		{"image run as root", "deploy/Dockerfile", "USER 65532:65532", "USER root", `runs as "root"`},
		{"cgo build", "deploy/Dockerfile", "ENV CGO_ENABLED=0", "ENV CGO_ENABLED=1", "CGO_ENABLED=0 not set"},
		{"unit killed before the graceful stop", "deploy/systemd/rebond-worker.service",
			"TimeoutStopSec=40s", "TimeoutStopSec=10s", "TimeoutStopSec"},
		{"unit without ProtectSystem", "deploy/systemd/rebond-api.service",
			"ProtectSystem=strict", "ProtectSystem=full", "ProtectSystem=strict missing"},
		{"misspelt variable in the env example", "deploy/systemd/env.example",
			"REBOND_DATABASE_URL=", "REBOND_DATABASE_ADDR=", "REBOND_DATABASE_ADDR is not"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := copyTree(t)
			edit(t, root, c.file, c.old, c.new)
			var out bytes.Buffer
			err := run(context.Background(), root, &out)
			if err == nil {
				t.Fatalf("passed:\n%s", out.String())
			}
			if !strings.Contains(out.String(), c.want) {
				t.Errorf("report lacks %q:\n%s", c.want, out.String())
			}
		})
	}
}

func TestEnvKeysFollowConfig(t *testing.T) {
	keys, err := envKeys(filepath.Join("..", "..", "configs", "rebond.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"REBOND_DATABASE_URL", "REBOND_NATS_REPLICAS", "REBOND_SMTP_DOMAINS",
		"REBOND_WORKERS_BATCH_SIZE", "REBOND_POLICY_CHANNELS_SMS_RETRY", "REBOND_WEBHOOKS", "REBOND_ADMIN_TOKEN"} {
		if !keys[k] {
			t.Errorf("%s missing", k)
		}
	}
	for _, k := range []string{"REBOND_DATABASE", "REBOND_POLICY_CHANNELS", "REBOND_NATS_URLS"} {
		if keys[k] {
			t.Errorf("%s is not a key (a map, or misspelt)", k)
		}
	}
}

// TestRolesFollowServe reads serve's allRoles from cmd/rebond's source, so
// a role added to serve cannot be refused in the deployment files.
func TestRolesFollowServe(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "cmd", "rebond", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var serve []string
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			spec, ok := n.(*ast.ValueSpec)
			if !ok || len(spec.Names) != 1 || spec.Names[0].Name != "allRoles" || len(spec.Values) != 1 {
				return true
			}
			if lit, ok := spec.Values[0].(*ast.CompositeLit); ok {
				for _, e := range lit.Elts {
					if s, ok := e.(*ast.BasicLit); ok {
						serve = append(serve, strings.Trim(s.Value, `"`))
					}
				}
			}
			return false
		})
	}
	if len(serve) == 0 {
		t.Fatal("no allRoles in cmd/rebond")
	}
	if !slices.Equal(serve, validRoles) {
		t.Errorf("validRoles = %v, serve's allRoles = %v", validRoles, serve)
	}
}
