package deploy

import (
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// shutdownWithin is how long Rapport takes to exit after SIGTERM (the README's promise: in-flight
// envelopes finish and ack, the outbox settles, within 5 s).
const shutdownWithin = 5 * time.Second

// goRuntimeVars are read by the Go runtime, not by Rapport's configuration.
var goRuntimeVars = []string{"GOMEMLIMIT"}

func TestK8sManifests(t *testing.T) {
	m := loadK8s(t)
	vars := configTable(t)
	pod := m.deployment.Spec.Template
	c := pod.Spec.Containers[0]
	podLabels := labels.Set(pod.Labels)

	// env is the container's environment as Kubernetes gives it: the ConfigMap and the Secret
	// through envFrom (a later source wins), then env.
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil && from.ConfigMapRef.Name == m.configMap.Name:
			for k, v := range m.configMap.Data {
				env[from.Prefix+k] = v
			}
		case from.SecretRef != nil && from.SecretRef.Name == m.secret.Name:
			for k, v := range m.secret.StringData {
				env[from.Prefix+k] = v
			}
		default:
			t.Errorf("envFrom %+v names no ConfigMap or Secret in deploy/%s: the pod would not start", from, k8sDir)
		}
	}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	// setting is what Rapport reads for a variable: the pod's value, else config.go's default.
	setting := func(name string) string {
		if v := strings.TrimSpace(env[name]); v != "" {
			return v
		}
		return vars[name].def
	}

	// port is the port Rapport listens on: RAPPORT_HTTP_ADDR as the pod sets it, or its default.
	_, portStr, err := net.SplitHostPort(setting("RAPPORT_HTTP_ADDR"))
	if err != nil {
		t.Fatalf("RAPPORT_HTTP_ADDR %q: %v", setting("RAPPORT_HTTP_ADDR"), err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		t.Fatalf("RAPPORT_HTTP_ADDR %q has no numeric port", setting("RAPPORT_HTTP_ADDR"))
	}
	// containerPort resolves a probe's or the Service's port (a number or the container port's name).
	containerPort := func(p intstr.IntOrString) int {
		if p.Type == intstr.Int {
			return p.IntValue()
		}
		for _, cp := range c.Ports {
			if cp.Name == p.StrVal {
				return int(cp.ContainerPort)
			}
		}
		return 0
	}

	t.Run("Replicas", func(t *testing.T) {
		if r := replicas(m.deployment); r < 2 {
			t.Errorf("replicas = %d, want at least 2: one replica's restart or eviction stops Rapport", r)
		}
		if s := m.deployment.Spec.Strategy.RollingUpdate; s != nil && s.MaxUnavailable != nil {
			if n, err := intstr.GetScaledValueFromIntOrPercent(s.MaxUnavailable, replicas(m.deployment), false); err != nil || n >= replicas(m.deployment) {
				t.Errorf("rollingUpdate.maxUnavailable = %s: a rollout could stop every replica at once", s.MaxUnavailable)
			}
		}
	})

	t.Run("Selectors", func(t *testing.T) {
		if len(podLabels) == 0 {
			t.Fatal("the pod template has no labels: nothing can select it")
		}
		selectors := map[string]*metav1.LabelSelector{
			"the Deployment's selector":          m.deployment.Spec.Selector,
			"the PodDisruptionBudget's selector": m.pdb.Spec.Selector,
		}
		// A spread constraint that selects other pods spreads nothing.
		for _, tsc := range pod.Spec.TopologySpreadConstraints {
			selectors["the spread constraint's selector on "+tsc.TopologyKey] = tsc.LabelSelector
		}
		for what, sel := range selectors {
			s, err := metav1.LabelSelectorAsSelector(sel)
			switch {
			case err != nil:
				t.Errorf("%s: %v", what, err)
			case s.Empty():
				t.Errorf("%s is empty: it selects every pod of the namespace", what)
			case !s.Matches(podLabels):
				t.Errorf("%s %s does not select Rapport's pods (labels %s)", what, s, podLabels)
			}
		}
		if len(m.service.Spec.Selector) == 0 {
			t.Error("the Service has no selector: it would send traffic nowhere")
		} else if s := labels.SelectorFromSet(m.service.Spec.Selector); !s.Matches(podLabels) {
			t.Errorf("the Service's selector %s does not select Rapport's pods (labels %s)", s, podLabels)
		}
	})

	t.Run("DisruptionBudget", func(t *testing.T) {
		r := replicas(m.deployment)
		spec := m.pdb.Spec
		var allowed int
		switch {
		case spec.MinAvailable != nil:
			min, err := intstr.GetScaledValueFromIntOrPercent(spec.MinAvailable, r, true)
			if err != nil {
				t.Fatal(err)
			}
			if min < 1 {
				t.Errorf("minAvailable = %s: a node drain may evict every replica at once", spec.MinAvailable)
			}
			allowed = r - min
		case spec.MaxUnavailable != nil:
			max, err := intstr.GetScaledValueFromIntOrPercent(spec.MaxUnavailable, r, true)
			if err != nil {
				t.Fatal(err)
			}
			if max >= r {
				t.Errorf("maxUnavailable = %s: a node drain may evict every replica at once", spec.MaxUnavailable)
			}
			allowed = max
		default:
			t.Fatal("the PodDisruptionBudget sets neither minAvailable nor maxUnavailable")
		}
		if allowed < 1 {
			t.Errorf("replicas: %d, and the PodDisruptionBudget allows %d evictions: node drains and upgrades would hang", r, allowed)
		}
		// While Redis is down every replica is unready; IfHealthyBudget would then refuse every eviction.
		if p := spec.UnhealthyPodEvictionPolicy; p == nil || *p != policyv1.AlwaysAllow {
			t.Errorf("unhealthyPodEvictionPolicy = %v, want AlwaysAllow: unready replicas (Redis down) would block node drains", p)
		}
	})

	t.Run("Probes", func(t *testing.T) {
		served := servedPaths(t)
		if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return int(p.ContainerPort) == port }) {
			t.Errorf("container ports %+v: none is %d, where Rapport listens (RAPPORT_HTTP_ADDR)", c.Ports, port)
		}
		for _, p := range []struct {
			name  string
			probe *corev1.Probe
			want  string
		}{
			// /readyz fails while Redis is down or the socket is not connected: no traffic, no restart.
			{"readinessProbe", c.ReadinessProbe, "/readyz"},
			// /healthz only says the process serves: a Redis outage must not restart every replica.
			{"livenessProbe", c.LivenessProbe, "/healthz"},
			{"startupProbe", c.StartupProbe, ""},
		} {
			if p.probe == nil {
				if p.want != "" {
					t.Errorf("%s missing, want GET %s", p.name, p.want)
				}
				continue
			}
			get := p.probe.HTTPGet
			if get == nil {
				t.Errorf("%s is not an HTTP GET", p.name)
				continue
			}
			if p.want != "" && get.Path != p.want {
				t.Errorf("%s GETs %s, want %s", p.name, get.Path, p.want)
			}
			if method, ok := served[get.Path]; !ok || (method != "" && method != "GET") {
				t.Errorf("%s GETs %s, which the bot does not serve (it serves %v)", p.name, get.Path, served)
			}
			if got := containerPort(get.Port); got != port {
				t.Errorf("%s is on port %s (%d); Rapport listens on %d", p.name, get.Port.String(), got, port)
			}
			if get.Scheme != "" && get.Scheme != corev1.URISchemeHTTP {
				t.Errorf("%s scheme %s: Rapport serves plain HTTP", p.name, get.Scheme)
			}
		}
	})

	t.Run("Service", func(t *testing.T) {
		if !slices.ContainsFunc(m.service.Spec.Ports, func(p corev1.ServicePort) bool { return containerPort(p.TargetPort) == port }) {
			t.Errorf("the Service's ports %+v: none reaches port %d, where Rapport listens", m.service.Spec.Ports, port)
		}
	})

	t.Run("Shutdown", func(t *testing.T) {
		grace := 30 * time.Second // Kubernetes' default
		if s := pod.Spec.TerminationGracePeriodSeconds; s != nil {
			grace = time.Duration(*s) * time.Second
		}
		var preStop time.Duration
		if l := c.Lifecycle; l != nil && l.PreStop != nil {
			if l.PreStop.Sleep == nil {
				t.Fatal("preStop is not the kubelet's sleep: the image has no shell or sleep to exec")
			}
			preStop = time.Duration(l.PreStop.Sleep.Seconds) * time.Second
		}
		// The grace period counts from the preStop's start; SIGTERM comes after it.
		if left := grace - preStop; left < shutdownWithin {
			t.Errorf("terminationGracePeriodSeconds %s leaves %s after preStop; Rapport needs %s to finish in-flight work",
				grace, left, shutdownWithin)
		}
	})

	t.Run("Security", func(t *testing.T) {
		user := dockerfileUser(t)
		psc := pod.Spec.SecurityContext
		if psc == nil {
			psc = &corev1.PodSecurityContext{}
		}
		sc := c.SecurityContext
		if sc == nil {
			t.Fatal("the container has no securityContext")
		}
		nonRoot, uid := psc.RunAsNonRoot, psc.RunAsUser
		if sc.RunAsNonRoot != nil {
			nonRoot = sc.RunAsNonRoot
		}
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if nonRoot == nil || !*nonRoot {
			t.Error("runAsNonRoot is not true")
		}
		// The kubelet checks runAsNonRoot against a numeric uid only; the image's USER is a name.
		if _, err := strconv.Atoi(user); err != nil && uid == nil {
			t.Errorf("the Dockerfile's USER is %q, a name: without runAsUser the kubelet refuses to start the pod", user)
		}
		if uid != nil && *uid == 0 {
			t.Error("runAsUser is 0 (root)")
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Error("readOnlyRootFilesystem is not true")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Error("allowPrivilegeEscalation is not false")
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
			t.Errorf("capabilities = %+v, want drop ALL and add none", sc.Capabilities)
		}
		// The root filesystem is read-only: the outbox's journal needs a writable volume.
		dir := setting("RAPPORT_STATE_DIR")
		if dir == "" {
			dir = "/tmp/rapport" // config.go: empty means os.TempDir()/rapport, and the image sets no TMPDIR
		}
		if !slices.ContainsFunc(c.VolumeMounts, func(v corev1.VolumeMount) bool {
			rel, err := filepath.Rel(v.MountPath, dir)
			return err == nil && !strings.HasPrefix(rel, "..") && !v.ReadOnly
		}) {
			t.Errorf("RAPPORT_STATE_DIR %s is on no writable volume: the read-only root filesystem refuses the journal", dir)
		}
	})

	t.Run("Resources", func(t *testing.T) {
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, hasReq := c.Resources.Requests[name]
			lim, hasLim := c.Resources.Limits[name]
			if !hasReq || !hasLim {
				t.Errorf("%s: request %v, limit %v; want both", name, req.String(), lim.String())
				continue
			}
			if req.Cmp(lim) > 0 {
				t.Errorf("%s request %s is over its limit %s", name, req.String(), lim.String())
			}
		}
		if v, ok := env["GOMEMLIMIT"]; ok {
			// Go's syntax (230MiB) less its B is a Kubernetes quantity (230Mi).
			q, err := resource.ParseQuantity(strings.TrimSuffix(v, "B"))
			if err != nil {
				t.Fatalf("GOMEMLIMIT %q: %v", v, err)
			}
			if lim := c.Resources.Limits[corev1.ResourceMemory]; q.Cmp(lim) >= 0 {
				t.Errorf("GOMEMLIMIT %s is not below limits.memory %s: the pod is killed before Go collects", v, lim.String())
			}
		}
	})

	t.Run("Variables", func(t *testing.T) {
		known := func(name string) bool {
			_, ok := vars[name]
			return ok
		}
		for _, src := range []struct {
			what string
			keys []string
		}{
			{"ConfigMap", mapKeys(m.configMap.Data)},
			{"Secret", mapKeys(m.secret.StringData)},
		} {
			for _, k := range src.keys {
				if !known(k) {
					t.Errorf("the %s sets %s, which Rapport does not read (not in cmd/rapport's variables)", src.what, k)
				}
			}
		}
		for _, e := range c.Env {
			if !known(e.Name) && !slices.Contains(goRuntimeVars, e.Name) {
				t.Errorf("the container's env sets %s, which neither Rapport nor Go reads", e.Name)
			}
		}
		// One place for each variable: with both, which one wins depends on envFrom's order.
		for k := range m.configMap.Data {
			if _, ok := m.secret.StringData[k]; ok {
				t.Errorf("%s is in both the ConfigMap and the Secret", k)
			}
		}
		for _, v := range vars {
			if _, ok := m.secret.StringData[v.name]; v.required() && !ok {
				t.Errorf("%s is required and the Secret template has no %s", v.name, v.name)
			}
		}
	})

	t.Run("SecretTemplate", func(t *testing.T) {
		// A template holds placeholders, never a token: readable stringData, nothing in base64.
		if len(m.secret.Data) > 0 {
			t.Errorf("the Secret template has data (base64) keys %v: use stringData with placeholders", mapKeys(m.secret.Data))
		}
		for k, v := range m.secret.StringData {
			if v != "" && !strings.Contains(v, "REPLACE_ME") {
				t.Errorf("the Secret template's %s = %q: want a REPLACE_ME placeholder or empty", k, v)
			}
		}
	})

	t.Run("Kustomization", func(t *testing.T) {
		k := m.kustomization
		if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
			t.Errorf("kustomization.yaml is %s %s, want kustomize.config.k8s.io/v1beta1 Kustomization", k.APIVersion, k.Kind)
		}
		// Listed, the template's placeholders would replace the real tokens on every `kubectl apply -k`.
		if slices.Contains(k.Resources, m.secretFile) {
			t.Errorf("kustomization.yaml lists %s: `kubectl apply -k` would overwrite the tokens with placeholders", m.secretFile)
		}
		want := slices.DeleteFunc(slices.Clone(m.files), func(f string) bool { return f == m.secretFile })
		got := slices.Sorted(slices.Values(k.Resources))
		if !slices.Equal(got, want) {
			t.Errorf("kustomization.yaml resources = %v, want every manifest but the Secret: %v", got, want)
		}
		// envFrom finds the Secret only in the pod's own namespace.
		if k.Namespace == "" || m.secret.Namespace != k.Namespace {
			t.Errorf("kustomization.yaml's namespace %q, the Secret template's %q: want the same, set", k.Namespace, m.secret.Namespace)
		}
		if !slices.ContainsFunc(k.Images, func(i kustomizeImage) bool { return i.Name == imageName(c.Image) }) {
			t.Errorf("kustomization.yaml's images name none of %q: the registry set there would not apply", imageName(c.Image))
		}
	})
}
