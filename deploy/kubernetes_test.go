package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/probe"
)

// k8sObject is a manifest read generically; the helpers below walk it.
type k8sObject map[string]any

func (o k8sObject) kind() string { s, _ := o["kind"].(string); return s }
func (o k8sObject) name() string { s, _ := dig(o, "metadata", "name").(string); return s }

func dig(v any, path ...any) any {
	for _, p := range path {
		if o, ok := v.(k8sObject); ok {
			v = map[string]any(o)
		}
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func str(v any) string { s, _ := v.(string); return s }

// readManifests parses every document of a YAML file.
func readManifests(t *testing.T, path string) []k8sObject {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, path)))
	var out []k8sObject
	for {
		var o k8sObject
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if o != nil {
			out = append(out, o)
		}
	}
}

type kustomization struct {
	Resources []string `yaml:"resources"`
	Patches   []struct {
		Path string `yaml:"path"`
	} `yaml:"patches"`
	NameSuffix string `yaml:"nameSuffix"`
	Labels     []struct {
		Pairs map[string]string `yaml:"pairs"`
	} `yaml:"labels"`
}

// kustomize is a small, honest subset of `kustomize build`: it resolves
// resources (files and directories) and applies patches whose kind and name
// match, merging maps and replacing everything else (strategic merge without
// list keys, which is all these overlays use). It fails on any reference
// that does not resolve. No kustomize binary or module is available here.
func kustomize(t *testing.T, dir string) ([]k8sObject, kustomization) {
	t.Helper()
	var k kustomization
	if err := yaml.Unmarshal(readFile(t, filepath.Join(dir, "kustomization.yaml")), &k); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	var objs []k8sObject
	for _, r := range k.Resources {
		p := filepath.Join(dir, r)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: resource %s: %v", dir, r, err)
		}
		if st.IsDir() {
			sub, _ := kustomize(t, p)
			objs = append(objs, sub...)
			continue
		}
		objs = append(objs, readManifests(t, p)...)
	}
	for _, p := range k.Patches {
		for _, patch := range readManifests(t, filepath.Join(dir, p.Path)) {
			i := slices.IndexFunc(objs, func(o k8sObject) bool { return o.kind() == patch.kind() && o.name() == patch.name() })
			if i < 0 {
				t.Fatalf("%s: patch %s targets %s/%s, which no resource defines", dir, p.Path, patch.kind(), patch.name())
			}
			objs[i] = merge(objs[i], patch).(map[string]any)
		}
	}
	return objs, k
}

// merge is a strategic merge without list keys. yaml.v3 decodes nested maps
// into the outer named type, hence asMap for both shapes.
func merge(dst, src any) any {
	d, s := asMap(dst), asMap(src)
	if d == nil || s == nil {
		return src
	}
	out := map[string]any{}
	for k, v := range d {
		out[k] = v
	}
	for k, v := range s {
		out[k] = merge(out[k], v)
	}
	return out
}

func find(objs []k8sObject, kind string) k8sObject {
	for _, o := range objs {
		if o.kind() == kind {
			return o
		}
	}
	return nil
}

func TestKubernetesManifestsParse(t *testing.T) {
	root := filepath.Join(deployDir(t), "kubernetes")
	n := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".yaml" {
			return err
		}
		for _, o := range readManifests(t, p) {
			n++
			if str(o["apiVersion"]) == "" || o.kind() == "" {
				t.Errorf("%s: a document without apiVersion or kind", p)
			}
			if o.kind() != "Kustomization" && o.name() == "" {
				t.Errorf("%s: %s without metadata.name", p, o.kind())
			}
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("walk %s: %v (%d documents)", root, err, n)
	}
}

var overlays = []string{"noh", "rh"}

func TestKubernetesBase(t *testing.T) {
	objs, _ := kustomize(t, filepath.Join(deployDir(t), "kubernetes", "base"))
	for _, kind := range []string{"Deployment", "Service", "ConfigMap", "Secret", "PersistentVolumeClaim", "ServiceMonitor"} {
		if find(objs, kind) == nil {
			t.Errorf("base has no %s", kind)
		}
	}
	if sm := find(objs, "ServiceMonitor"); sm != nil && str(sm["apiVersion"]) != "monitoring.coreos.com/v1" {
		t.Errorf("ServiceMonitor apiVersion %q", sm["apiVersion"])
	}
	d := find(objs, "Deployment")
	spec := dig(d, "spec")
	pod := dig(spec, "template", "spec")
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"replicas", dig(spec, "replicas"), 1},
		{"strategy", dig(spec, "strategy", "type"), "Recreate"},
		{"hostNetwork", dig(pod, "hostNetwork"), true},
		{"dnsPolicy", dig(pod, "dnsPolicy"), "ClusterFirstWithHostNet"},
		{"runAsNonRoot", dig(pod, "securityContext", "runAsNonRoot"), true},
		{"readOnlyRootFilesystem", dig(pod, "containers", 0, "securityContext", "readOnlyRootFilesystem"), true},
		{"capabilities.drop", dig(pod, "containers", 0, "securityContext", "capabilities", "drop"), []any{"ALL"}},
		{"capabilities.add", dig(pod, "containers", 0, "securityContext", "capabilities", "add"), []any{"NET_RAW"}},
	}
	for _, c := range checks {
		if !equalYAML(c.got, c.want) {
			t.Errorf("Deployment %s = %v, want %v", c.what, c.got, c.want)
		}
	}
	// Every volume names an object the base defines, and every mount a volume.
	names := map[string]bool{}
	for _, o := range objs {
		names[o.kind()+"/"+o.name()] = true
	}
	vols := map[string]bool{}
	for _, v := range asList(dig(pod, "volumes")) {
		vols[str(dig(v, "name"))] = true
		for ref, kind := range map[string]string{"configMap.name": "ConfigMap", "secret.secretName": "Secret", "persistentVolumeClaim.claimName": "PersistentVolumeClaim"} {
			a, b, _ := strings.Cut(ref, ".")
			if n := str(dig(v, a, b)); n != "" && !names[kind+"/"+n] {
				t.Errorf("volume %s refers to %s/%s, which the base does not define", str(dig(v, "name")), kind, n)
			}
		}
	}
	for _, m := range asList(dig(pod, "containers", 0, "volumeMounts")) {
		if !vols[str(dig(m, "name"))] {
			t.Errorf("volumeMount %s has no volume", str(dig(m, "name")))
		}
	}
	// The Service selects the pods and the ServiceMonitor scrapes a named Service port.
	svc := find(objs, "Service")
	for k, v := range asMap(dig(svc, "spec", "selector")) {
		if str(dig(spec, "template", "metadata", "labels", k)) != str(v) {
			t.Errorf("Service selector %s=%v does not match the pod labels", k, v)
		}
	}
	port := str(dig(find(objs, "ServiceMonitor"), "spec", "endpoints", 0, "port"))
	if str(dig(svc, "spec", "ports", 0, "name")) != port {
		t.Errorf("ServiceMonitor endpoint port %q is not the Service's port name", port)
	}
}

func TestKubernetesOverlays(t *testing.T) {
	for _, o := range overlays {
		t.Run(o, func(t *testing.T) {
			objs, k := kustomize(t, filepath.Join(deployDir(t), "kubernetes", "overlays", o))
			site := ""
			for _, l := range k.Labels {
				if s := l.Pairs["site"]; s != "" {
					site = s
				}
			}
			if site == "" || k.NameSuffix == "" {
				t.Fatalf("overlay %s needs a site label and a nameSuffix (two sensors share the namespace)", o)
			}
			pod := dig(find(objs, "Deployment"), "spec", "template", "spec")
			if dig(pod, "hostNetwork") != true || len(asList(dig(pod, "volumes"))) == 0 {
				t.Errorf("overlay %s: the patch lost the base's pod spec", o)
			}
			if len(asMap(dig(pod, "nodeSelector"))) == 0 {
				t.Errorf("overlay %s does not pin the sensor to a node with nodeSelector", o)
			}
			if got := str(dig(find(objs, "ServiceMonitor"), "spec", "selector", "matchLabels", "site")); got != site {
				t.Errorf("ServiceMonitor selects site %q, want %q: it would scrape other sites' sensors", got, site)
			}
			cfg := parseServeConfig(t, find(objs, "ConfigMap"))
			if len(cfg.Sites) != 1 || cfg.Sites[0].Name != site {
				t.Errorf("camsweep.yaml sites %v, want exactly %s", cfg.Sites, site)
			}
		})
	}
}

// serveConfig is the part of camsweep.yaml the manifests must agree with.
type serveConfig struct {
	Listen        string `yaml:"listen"`
	APITokensFile string `yaml:"api_tokens_file"`
	History       struct {
		Path string `yaml:"path"`
	} `yaml:"history"`
	Sites []struct {
		Name            string `yaml:"name"`
		Registry        string `yaml:"registry"`
		Policy          string `yaml:"policy"`
		CredentialsFile string `yaml:"credentials_file"`
	} `yaml:"sites"`
}

func parseServeConfig(t *testing.T, cm k8sObject) serveConfig {
	t.Helper()
	var c serveConfig
	if err := yaml.Unmarshal([]byte(str(dig(cm, "data", "camsweep.yaml"))), &c); err != nil {
		t.Fatalf("camsweep.yaml in ConfigMap %s: %v", cm.name(), err)
	}
	return c
}

// materialize lays a sensor's ConfigMap, Secret and state volume out in a
// temporary directory as the pod would see them, rewriting the mount paths
// in camsweep.yaml, and returns the config's path there.
func materialize(t *testing.T, objs []k8sObject) string {
	t.Helper()
	dir := t.TempDir()
	pod := dig(find(objs, "Deployment"), "spec", "template", "spec")
	mounts := map[string]string{} // volume -> mountPath
	for _, m := range asList(dig(pod, "containers", 0, "volumeMounts")) {
		mounts[str(dig(m, "name"))] = str(dig(m, "mountPath"))
	}
	var rewrites []string
	for _, v := range asList(dig(pod, "volumes")) {
		name := str(dig(v, "name"))
		local := filepath.Join(dir, name)
		if err := os.MkdirAll(local, 0o700); err != nil {
			t.Fatal(err)
		}
		var data map[string]any
		switch {
		case dig(v, "configMap") != nil:
			data = asMap(dig(find(objs, "ConfigMap"), "data"))
		case dig(v, "secret") != nil:
			data = asMap(dig(find(objs, "Secret"), "stringData"))
		}
		for k, val := range data {
			if err := os.WriteFile(filepath.Join(local, k), []byte(str(val)), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		rewrites = append(rewrites, mounts[name]+"/", local+"/")
	}
	cfg := strings.NewReplacer(rewrites...).Replace(str(dig(find(objs, "ConfigMap"), "data", "camsweep.yaml")))
	path := filepath.Join(dir, "config", "camsweep.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Each sensor's configuration passes the daemon's own validation, as the pod
// would load it, and the registry, policy and credentials it names parse.
func TestKubernetesSensorConfigs(t *testing.T) {
	bin := camsweepBinary(t)
	for _, o := range append([]string{"../base"}, overlays...) {
		t.Run(filepath.Base(o), func(t *testing.T) {
			objs, _ := kustomize(t, filepath.Join(deployDir(t), "kubernetes", "overlays", o))
			cfgPath := materialize(t, objs)
			if !serveHasCheckConfig(t, bin) {
				t.Skip("camsweep serve --check-config is not available in this build")
			}
			out, err := runTool(t, filepath.Dir(cfgPath), bin, "serve", "--check-config", "--config", cfgPath)
			if err != nil {
				t.Fatalf("camsweep serve --check-config: %v\n%s", err, out)
			}
			cfg := parseServeConfig(t, find(objs, "ConfigMap"))
			dir := filepath.Dir(cfgPath)
			for _, s := range cfg.Sites {
				if _, errs := inventory.LoadRegistry(filepath.Join(dir, s.Registry), inventory.ColumnMap{}); len(errs) > 0 {
					t.Errorf("registry %s: %v", s.Registry, errs)
				}
				if _, err := inventory.LoadPolicy(filepath.Join(dir, s.Policy)); err != nil {
					t.Errorf("policy %s: %v", s.Policy, err)
				}
				if s.CredentialsFile != "" {
					creds := strings.Replace(s.CredentialsFile, "/etc/camsweep-secrets/", filepath.Join(filepath.Dir(dir), "secrets")+"/", 1)
					if _, err := probe.LoadCredentials(creds, func(string) string { return "" }); err != nil {
						t.Errorf("credentials: %v", err)
					}
				}
			}
			if !strings.HasSuffix(cfg.Listen, ":9750") || strings.HasPrefix(cfg.Listen, "127.") {
				t.Errorf("listen %q: must be reachable from Prometheus on port 9750 (the containerPort)", cfg.Listen)
			}
		})
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }
func asMap(v any) map[string]any {
	if o, ok := v.(k8sObject); ok {
		return o
	}
	m, _ := v.(map[string]any)
	return m
}
func equalYAML(got, want any) bool {
	a, _ := yaml.Marshal(got)
	b, _ := yaml.Marshal(want)
	return bytes.Equal(a, b)
}
