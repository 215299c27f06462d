package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// The Kubernetes API types are imported by tests only: the binary does not carry them.

const k8sDir = "k8s"

// kustomization is the part of kustomize's Kustomization that deploy/k8s uses; a field outside it
// is refused, so that using another one means checking it here.
type kustomization struct {
	APIVersion string           `yaml:"apiVersion"`
	Kind       string           `yaml:"kind"`
	Namespace  string           `yaml:"namespace"`
	Resources  []string         `yaml:"resources"`
	Images     []kustomizeImage `yaml:"images"`
}

// kustomizeImage replaces the image named Name with NewName, NewTag or Digest.
type kustomizeImage struct {
	Name    string `yaml:"name"`
	NewName string `yaml:"newName"`
	NewTag  string `yaml:"newTag"`
	Digest  string `yaml:"digest"`
}

// k8sManifests is everything under deploy/k8s, decoded: one object of each kind.
type k8sManifests struct {
	kustomization kustomization
	deployment    *appsv1.Deployment
	pdb           *policyv1.PodDisruptionBudget
	service       *corev1.Service
	configMap     *corev1.ConfigMap
	secret        *corev1.Secret
	files         []string // the manifests' file names, kustomization.yaml aside
	secretFile    string   // the file holding the Secret
}

// loadK8s decodes every YAML document under deploy/k8s into its Kubernetes API type as the API
// server would, strictly: an unknown or misspelt field, a duplicate key or a field in the wrong
// case is an error, as it is for `kubectl apply --validate=strict`.
func loadK8s(t *testing.T) k8sManifests {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{appsv1.AddToScheme, corev1.AddToScheme, policyv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()

	names, err := filepath.Glob(filepath.Join(k8sDir, "*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("no manifests in deploy/%s", k8sDir)
	}
	var m k8sManifests
	once := func(file, kind string, set bool) {
		if set {
			t.Fatalf("%s: a second %s; the checks here expect one", file, kind)
		}
	}
	for _, path := range names {
		file := filepath.Base(path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if file == "kustomization.yaml" {
			dec := yaml.NewDecoder(bytes.NewReader(b))
			dec.KnownFields(true)
			if err := dec.Decode(&m.kustomization); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			continue
		}
		m.files = append(m.files, file)
		for i, doc := range yamlDocuments(t, path, b) {
			obj, _, err := decoder.Decode(doc, nil, nil)
			if err != nil {
				t.Fatalf("%s, document %d: %v", file, i+1, err)
			}
			switch obj := obj.(type) {
			case *appsv1.Deployment:
				once(file, "Deployment", m.deployment != nil)
				m.deployment = obj
			case *policyv1.PodDisruptionBudget:
				once(file, "PodDisruptionBudget", m.pdb != nil)
				m.pdb = obj
			case *corev1.Service:
				once(file, "Service", m.service != nil)
				m.service = obj
			case *corev1.ConfigMap:
				once(file, "ConfigMap", m.configMap != nil)
				m.configMap = obj
			case *corev1.Secret:
				once(file, "Secret", m.secret != nil)
				m.secret, m.secretFile = obj, file
			default:
				t.Fatalf("%s, document %d: a %T, which this test does not check", file, i+1, obj)
			}
		}
	}
	for kind, missing := range map[string]bool{
		"Deployment": m.deployment == nil, "PodDisruptionBudget": m.pdb == nil, "Service": m.service == nil,
		"ConfigMap": m.configMap == nil, "Secret": m.secret == nil, "kustomization.yaml": m.kustomization.Kind == "",
	} {
		if missing {
			t.Fatalf("deploy/%s has no %s", k8sDir, kind)
		}
	}
	if n := len(m.deployment.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("the Deployment's pod has %d containers, want rapport alone", n)
	}
	return m
}

// yamlDocuments splits a file into its YAML documents, leaving out those with nothing but comments.
func yamlDocuments(t *testing.T, path string, b []byte) [][]byte {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var v any
		if err := yaml.Unmarshal(doc, &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if v != nil {
			docs = append(docs, doc)
		}
	}
}

func replicas(d *appsv1.Deployment) int {
	if d.Spec.Replicas == nil {
		return 1 // Kubernetes' default
	}
	return int(*d.Spec.Replicas)
}

// imageName is an image reference without its tag or digest, as kustomize's images match it.
func imageName(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

// dockerfileUser is the user (without its group) of the Dockerfile's last USER.
func dockerfileUser(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	user := ""
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && strings.EqualFold(f[0], "USER") {
			user, _, _ = strings.Cut(f[1], ":")
		}
	}
	if user == "" {
		t.Fatal("the Dockerfile has no USER: the image would run as root")
	}
	return user
}

func mapKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
