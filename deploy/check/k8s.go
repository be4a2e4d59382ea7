package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// manifests is every object of deploy/k8s, by kind.
type manifests struct {
	namespaces  []*corev1.Namespace
	configMaps  []*corev1.ConfigMap
	secrets     []*corev1.Secret
	services    []*corev1.Service
	deployments []*appsv1.Deployment
	jobs        []*batchv1.Job
	pdbs        []*policyv1.PodDisruptionBudget
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
}

// decoder decodes YAML or JSON strictly: an unknown or duplicated field
// is an error, not silently dropped as kubectl apply would without
// server-side validation.
func decoder() runtime.Decoder {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme,
		batchv1.AddToScheme, policyv1.AddToScheme, autoscalingv2.AddToScheme} {
		if err := add(s); err != nil {
			panic(err) // the API packages' own registration: cannot fail
		}
	}
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}

// checkKubernetes decodes every document of dir/*.yaml and checks the
// objects together.
func checkKubernetes(dir string, keys map[string]bool) []error {
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(files) == 0 {
		return []error{fmt.Errorf("no manifests in %s", dir)}
	}
	var m manifests
	var errs []error
	dec := decoder()
	for _, path := range files {
		if err := m.load(dec, path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", filepath.Base(path), err))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return m.check(keys)
}

func (m *manifests) load(dec runtime.Decoder, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for n := 1; ; n++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if strings.TrimSpace(stripComments(string(doc))) == "" {
			continue
		}
		obj, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			return fmt.Errorf("document %d: %w", n, err)
		}
		switch o := obj.(type) {
		case *corev1.Namespace:
			m.namespaces = append(m.namespaces, o)
		case *corev1.ConfigMap:
			m.configMaps = append(m.configMaps, o)
		case *corev1.Secret:
			m.secrets = append(m.secrets, o)
		case *corev1.Service:
			m.services = append(m.services, o)
		case *appsv1.Deployment:
			m.deployments = append(m.deployments, o)
		case *batchv1.Job:
			m.jobs = append(m.jobs, o)
		case *policyv1.PodDisruptionBudget:
			m.pdbs = append(m.pdbs, o)
		case *autoscalingv2.HorizontalPodAutoscaler:
			m.hpas = append(m.hpas, o)
		default:
			return fmt.Errorf("document %d: unexpected %T", n, obj)
		}
	}
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// check runs the cross-object invariants.
func (m *manifests) check(keys map[string]bool) []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if len(m.namespaces) != 1 {
		add("%d Namespaces, want 1", len(m.namespaces))
		return errs
	}
	ns := m.namespaces[0].Name
	var data []string
	for _, c := range m.configMaps {
		for k := range c.Data {
			data = append(data, k)
		}
	}
	for _, s := range m.secrets {
		for k := range s.StringData {
			data = append(data, k)
		}
		for k := range s.Data {
			data = append(data, k)
		}
	}
	for _, k := range unknownEnv(keys, data) {
		add("%s (ConfigMap or Secret) is not a rebond configuration key", k)
	}
	hpaTargets := map[string]bool{}
	for _, h := range m.hpas {
		if h.Spec.ScaleTargetRef.Kind != "Deployment" || m.deployment(h.Spec.ScaleTargetRef.Name) == nil {
			add("HPA %s scales %s %s, which is not here", h.Name, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)
		}
		hpaTargets[h.Spec.ScaleTargetRef.Name] = true
	}
	for _, d := range m.deployments {
		if d.Namespace != ns {
			add("Deployment %s: namespace %q, want %q", d.Name, d.Namespace, ns)
		}
		errs = append(errs, m.checkPod("Deployment "+d.Name, d.Spec.Template.Spec, true)...)
		sel, err := metaSelector(d.Spec.Selector.MatchLabels)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			add("Deployment %s: selector does not match its pod labels", d.Name)
		}
		if !slices.ContainsFunc(m.pdbs, func(p *policyv1.PodDisruptionBudget) bool {
			s, err := metaSelector(p.Spec.Selector.MatchLabels)
			return err == nil && s.Matches(labels.Set(d.Spec.Template.Labels))
		}) {
			add("Deployment %s: no PodDisruptionBudget selects its pods", d.Name)
		}
		if hpaTargets[d.Name] && d.Spec.Replicas != nil {
			add("Deployment %s: replicas set although an HPA owns them (every apply would reset them)", d.Name)
		}
		roles, _, _ := rolesOf(d.Spec.Template.Spec.Containers[0].Args)
		if slices.Contains(roles, "scheduler") && (d.Spec.Replicas == nil || *d.Spec.Replicas != 1) {
			add("Deployment %s: the scheduler runs with 1 replica", d.Name)
		}
	}
	for _, j := range m.jobs {
		errs = append(errs, m.checkPod("Job "+j.Name, j.Spec.Template.Spec, false)...)
		if c := j.Spec.Template.Spec.Containers; len(c) == 0 || !slices.Equal(c[0].Args, []string{"migrate"}) {
			add("Job %s: want args [migrate]", j.Name)
		}
	}
	for _, s := range m.services {
		errs = append(errs, m.checkService(s)...)
	}
	return errs
}

func metaSelector(ml map[string]string) (labels.Selector, error) {
	if len(ml) == 0 {
		return nil, errors.New("empty selector")
	}
	return labels.SelectorFromSet(ml), nil
}

func (m *manifests) deployment(name string) *appsv1.Deployment {
	for _, d := range m.deployments {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// checkService: its selector picks a Deployment's pods, and every target
// port is one of their container ports.
func (m *manifests) checkService(s *corev1.Service) []error {
	var errs []error
	var pods []corev1.PodTemplateSpec
	for _, d := range m.deployments {
		if labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
			pods = append(pods, d.Spec.Template)
		}
	}
	if len(s.Spec.Selector) == 0 || len(pods) == 0 {
		return []error{fmt.Errorf("Service %s: selects no Deployment's pods", s.Name)}
	}
	for _, p := range s.Spec.Ports {
		for _, pod := range pods {
			if !hasPort(pod.Spec, p.TargetPort.String()) {
				errs = append(errs, fmt.Errorf("Service %s: target port %s is not a container port of its pods", s.Name, p.TargetPort.String()))
			}
		}
	}
	return errs
}

func hasPort(spec corev1.PodSpec, port string) bool {
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			if p.Name == port || fmt.Sprint(p.ContainerPort) == port {
				return true
			}
		}
	}
	return false
}

// checkPod: config references exist, containers are non-root, read-only,
// without privileges, with resources; long-running pods have probes on
// /healthz and /readyz and time to stop gracefully.
func (m *manifests) checkPod(what string, spec corev1.PodSpec, serving bool) []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(what+": "+format, a...)) }
	if len(spec.Containers) == 0 {
		add("no containers")
		return errs
	}
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil {
		add("pod securityContext needs runAsNonRoot: true and a seccompProfile")
	}
	if serving && (spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds < int64(minStopGrace.Seconds())) {
		add("terminationGracePeriodSeconds below %s: running tasks would be killed", minStopGrace)
	}
	for _, c := range spec.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			add("container %s: needs readOnlyRootFilesystem, allowPrivilegeEscalation: false, capabilities drop ALL", c.Name)
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[r]; !ok {
				add("container %s: no %s request", c.Name, r)
			}
			if _, ok := c.Resources.Limits[r]; !ok {
				add("container %s: no %s limit", c.Name, r)
			}
		}
		for _, e := range c.EnvFrom {
			if e.ConfigMapRef != nil && !slices.ContainsFunc(m.configMaps, func(x *corev1.ConfigMap) bool { return x.Name == e.ConfigMapRef.Name }) {
				add("container %s: ConfigMap %s is not here", c.Name, e.ConfigMapRef.Name)
			}
			if e.SecretRef != nil && !slices.ContainsFunc(m.secrets, func(x *corev1.Secret) bool { return x.Name == e.SecretRef.Name }) {
				add("container %s: Secret %s is not here", c.Name, e.SecretRef.Name)
			}
		}
		if _, _, err := rolesOf(c.Args); err != nil {
			add("container %s: %v", c.Name, err)
		}
		if serving {
			errs = append(errs, probeErrs(what, spec, c)...)
		}
	}
	return errs
}

func probeErrs(what string, spec corev1.PodSpec, c corev1.Container) []error {
	var errs []error
	for _, p := range []struct {
		kind  string
		probe *corev1.Probe
		path  string
	}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/healthz"}} {
		switch {
		case p.probe == nil || p.probe.HTTPGet == nil:
			errs = append(errs, fmt.Errorf("%s: container %s: no %s probe", what, c.Name, p.kind))
		case p.probe.HTTPGet.Path != p.path:
			errs = append(errs, fmt.Errorf("%s: container %s: %s probe on %s, want %s", what, c.Name, p.kind, p.probe.HTTPGet.Path, p.path))
		case !hasPort(spec, p.probe.HTTPGet.Port.String()):
			errs = append(errs, fmt.Errorf("%s: container %s: %s probe port %s is not a container port", what, c.Name, p.kind, p.probe.HTTPGet.Port.String()))
		}
	}
	return errs
}
