package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// minStopGrace is what a rebond container must be given on SIGTERM: serve
// lets running tasks finish for workers.shutdown_timeout (20s).
const minStopGrace = 25 * time.Second

// checkCompose loads path as `docker compose config` would (schema,
// interpolation, merge keys) and checks rebond's invariants on it.
func checkCompose(ctx context.Context, path string, keys map[string]bool) []error {
	opts, err := cli.NewProjectOptions([]string{path},
		cli.WithName("rebond"),
		cli.WithWorkingDirectory(filepath.Dir(path)),
		// The one variable the file requires; the others have defaults.
		cli.WithEnv([]string{"REBOND_ADMIN_TOKEN=check"}),
		cli.WithInterpolation(true),
	)
	if err != nil {
		return []error{err}
	}
	p, err := opts.LoadProject(ctx)
	if err != nil {
		return []error{fmt.Errorf("compose-go: %w", err)}
	}
	var errs []error
	bad := func(svc, format string, a ...any) {
		errs = append(errs, fmt.Errorf("service %s: %s", svc, fmt.Sprintf(format, a...)))
	}
	natsNodes := 0
	for name, s := range p.Services {
		if s.Image == "" && s.Build == nil {
			bad(name, "neither image nor build")
		}
		for dep, d := range s.DependsOn {
			target, ok := p.Services[dep]
			switch {
			case !ok:
				bad(name, "depends on %s, which is not a service", dep)
			case d.Condition == types.ServiceConditionHealthy && (target.HealthCheck == nil || target.HealthCheck.Disable):
				bad(name, "waits for %s to be healthy, which has no healthcheck", dep)
			case d.Condition == types.ServiceConditionCompletedSuccessfully && target.Restart != "no":
				bad(name, "waits for %s to complete, which restarts (%q)", dep, target.Restart)
			}
		}
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeVolume {
				if _, ok := p.Volumes[v.Source]; !ok {
					bad(name, "volume %s is not declared", v.Source)
				}
			}
		}
		if strings.HasPrefix(s.Image, "nats:") {
			natsNodes++
			errs = append(errs, checkNATSService(name, s)...)
		}
		if strings.HasPrefix(s.Image, "rebond:") {
			errs = append(errs, checkRebondService(name, s, keys)...)
		}
	}
	if natsNodes != 3 {
		errs = append(errs, fmt.Errorf("%d NATS services, want a 3-node JetStream cluster", natsNodes))
	}
	return errs
}

// checkNATSService: a JetStream cluster node with a store of its own.
func checkNATSService(name string, s types.ServiceConfig) []error {
	var errs []error
	cmd := strings.Join(s.Command, " ")
	for _, want := range []string{"-js", "--cluster=", "--routes=", "--name=" + name} {
		if !strings.Contains(cmd, want) {
			errs = append(errs, fmt.Errorf("service %s: command lacks %s", name, want))
		}
	}
	if !slices.ContainsFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool { return v.Source == name+"-data" }) {
		errs = append(errs, fmt.Errorf("service %s: no volume %s-data for its JetStream store", name, name))
	}
	if s.HealthCheck == nil || s.HealthCheck.Disable {
		errs = append(errs, fmt.Errorf("service %s: no healthcheck", name))
	}
	return errs
}

// checkRebondService: known variables and roles, a clustered NATS, and
// time to stop gracefully.
func checkRebondService(name string, s types.ServiceConfig, keys map[string]bool) []error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("service %s: %s", name, fmt.Sprintf(format, a...)))
	}
	var env []string
	for k := range s.Environment {
		env = append(env, k)
	}
	for _, k := range unknownEnv(keys, env) {
		bad("%s is not a rebond configuration key", k)
	}
	val := func(k string) string {
		if v := s.Environment[k]; v != nil {
			return *v
		}
		return ""
	}
	if n := len(strings.Split(val("REBOND_NATS_URL"), ",")); n != 3 {
		bad("REBOND_NATS_URL names %d servers, want the 3 cluster nodes", n)
	}
	if val("REBOND_NATS_REPLICAS") != "3" {
		bad("REBOND_NATS_REPLICAS is %q, want 3", val("REBOND_NATS_REPLICAS"))
	}
	if !s.ReadOnly {
		bad("root filesystem is writable (read_only: true)")
	}
	if _, _, err := rolesOf(s.Command); err != nil {
		bad("%v", err)
	}
	if len(s.Command) > 0 && s.Command[0] == "serve" {
		if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) < minStopGrace {
			bad("stop_grace_period below %s: running tasks would be killed", minStopGrace)
		}
		if s.HealthCheck == nil || s.HealthCheck.Disable {
			bad("no healthcheck")
		}
	}
	return errs
}
