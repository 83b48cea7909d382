package deploy_test

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The alerts issue 7 asks for, each with the severity the security team routes on.
var wantAlerts = map[string]string{
	"CamsweepUnregisteredCamera":           "critical",
	"CamsweepBannedManufacturer":           "high",
	"CamsweepDispensationExpired":          "high",
	"CamsweepDispensationExpiringSoon":     "warning",
	"CamsweepCameraOutsideSegment":         "high",
	"CamsweepDuplicateIdentity":            "high",
	"CamsweepScanStale":                    "warning",
	"CamsweepScanFailing":                  "warning",
	"CamsweepSensorDown":                   "warning",
	"CamsweepPassiveListenerDown":          "warning",
	"CamsweepRecordedOutsideVMS":           "high",
	"CamsweepUnapprovedRecorder":           "high",
	"CamsweepCameraEgress":                 "critical",
	"CamsweepFlowCollectorSilent":          "warning",
	"CamsweepFlowExporterRefused":          "warning",
	"CamsweepVMSListStale":                 "warning",
	"CamsweepInfrastructureHarvestFailing": "warning",
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func rulesPath(t *testing.T) string {
	return filepath.Join(deployDir(t), "prometheus", "rules", "camsweep.rules.yml")
}

func loadRules(t *testing.T) []rule {
	t.Helper()
	var f ruleFile
	if err := yaml.Unmarshal(readFile(t, rulesPath(t)), &f); err != nil {
		t.Fatalf("parse rules: %v", err)
	}
	var rules []rule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	return rules
}

func TestPromtoolCheckRules(t *testing.T) {
	promtool := needTool(t, "promtool", "prometheus")
	out, err := runTool(t, deployDir(t), promtool, "check", "rules", rulesPath(t))
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

func TestPromtoolCheckConfig(t *testing.T) {
	promtool := needTool(t, "promtool", "prometheus")
	dir := filepath.Join(deployDir(t), "prometheus")
	out, err := runTool(t, dir, promtool, "check", "config", "prometheus.yml")
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
}

func TestPromtoolTestRules(t *testing.T) {
	promtool := needTool(t, "promtool", "prometheus")
	files, err := filepath.Glob(filepath.Join(deployDir(t), "prometheus", "tests", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule unit tests under deploy/prometheus/tests (%v)", err)
	}
	for _, f := range files {
		out, err := runTool(t, filepath.Dir(f), promtool, "test", "rules", filepath.Base(f))
		if err != nil {
			t.Errorf("promtool test rules %s: %v\n%s", filepath.Base(f), err, out)
		}
	}
}

func TestAlertRulesAreComplete(t *testing.T) {
	runbooks := string(readFile(t, filepath.Join(repoRoot(t), "docs", "runbooks.md")))
	anchors := markdownAnchors(runbooks)
	seen := map[string]bool{}
	for _, r := range loadRules(t) {
		if r.Alert == "" {
			continue
		}
		seen[r.Alert] = true
		want, ok := wantAlerts[r.Alert]
		if !ok {
			t.Errorf("%s: not an alert this test knows; add it to wantAlerts and the runbooks", r.Alert)
			continue
		}
		if got := r.Labels["severity"]; got != want {
			t.Errorf("%s: severity %q, want %q", r.Alert, got, want)
		}
		for _, a := range []string{"summary", "description", "action", "runbook_url"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("%s: annotation %q is empty", r.Alert, a)
			}
		}
		url := r.Annotations["runbook_url"]
		anchor := url[strings.LastIndex(url, "#")+1:]
		if !strings.Contains(url, "docs/runbooks.md#") || !anchors[anchor] {
			t.Errorf("%s: runbook_url %q does not point at a heading of docs/runbooks.md", r.Alert, url)
		}
	}
	for name := range wantAlerts {
		if !seen[name] {
			t.Errorf("alert %s is missing from %s", name, rulesPath(t))
		}
	}
}

// The security team must be able to act on the page alone: it names the device.
func TestUnregisteredCameraAlertNamesTheDevice(t *testing.T) {
	for _, r := range loadRules(t) {
		if r.Alert != "CamsweepUnregisteredCamera" {
			continue
		}
		text := r.Annotations["summary"] + r.Annotations["description"]
		for _, l := range []string{"site", "ip", "mac", "manufacturer", "model"} {
			if !strings.Contains(text, "$labels."+l) {
				t.Errorf("CamsweepUnregisteredCamera annotations do not name $labels.%s", l)
			}
		}
		if !strings.Contains(r.Expr, "camsweep_unregistered_camera_info") {
			t.Errorf("CamsweepUnregisteredCamera must read camsweep_unregistered_camera_info (it carries the labels), got %q", r.Expr)
		}
		return
	}
	t.Fatal("CamsweepUnregisteredCamera not found")
}

// Every alert has a unit test where it fires and one where it stays quiet;
// an alert only ever tested firing could be `vector(1)`.
func TestEveryAlertHasFiringAndQuietUnitTests(t *testing.T) {
	type unitFile struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string           `yaml:"alertname"`
				ExpAlerts []map[string]any `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	files, _ := filepath.Glob(filepath.Join(deployDir(t), "prometheus", "tests", "*.yml"))
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		var u unitFile
		if err := yaml.Unmarshal(readFile(t, f), &u); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tc := range u.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					fires[a.Alertname] = true
				} else {
					quiet[a.Alertname] = true
				}
			}
		}
	}
	for name := range wantAlerts {
		if !fires[name] {
			t.Errorf("%s: no promtool unit test where it fires", name)
		}
		if !quiet[name] {
			t.Errorf("%s: no promtool unit test where it stays quiet", name)
		}
	}
}

// The expiring-soon window in PromQL must match the policy's
// expiry_warning_days, or the alert and the dispensation_expiring finding
// disagree about what "soon" is.
func TestExpiryWindowMatchesPolicy(t *testing.T) {
	var window int
	for _, r := range loadRules(t) {
		if r.Alert == "CamsweepDispensationExpiringSoon" {
			m := regexp.MustCompile(`<=\s*(\d+)\s*\*\s*86400`).FindStringSubmatch(r.Expr)
			if m == nil {
				t.Fatalf("cannot find the `<= N * 86400` window in %q", r.Expr)
			}
			window, _ = strconv.Atoi(m[1])
		}
	}
	files, _ := filepath.Glob(filepath.Join(deployDir(t), "examples", "*.y*ml"))
	checked := 0
	for _, f := range files {
		var doc map[string]any
		if yaml.Unmarshal(readFile(t, f), &doc) != nil {
			continue
		}
		days, ok := doc["expiry_warning_days"].(int)
		if !ok {
			continue
		}
		checked++
		if days != window {
			t.Errorf("%s: expiry_warning_days %d, but CamsweepDispensationExpiringSoon warns %d days ahead", f, days, window)
		}
	}
	if checked == 0 {
		t.Fatal("no example policy with expiry_warning_days under deploy/examples: the window cannot be checked")
	}
}

// markdownAnchors lists the GitHub anchors of a document's headings.
func markdownAnchors(doc string) map[string]bool {
	anchors := map[string]bool{}
	drop := regexp.MustCompile(`[^a-z0-9 _-]`)
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		anchors[strings.ReplaceAll(drop.ReplaceAllString(h, ""), " ", "-")] = true
	}
	return anchors
}
