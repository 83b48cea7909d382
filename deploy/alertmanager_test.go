package deploy_test

import (
	"path/filepath"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

func alertmanagerPath(t *testing.T) string {
	return filepath.Join(deployDir(t), "alertmanager", "alertmanager.yml")
}

func TestAmtoolCheckConfig(t *testing.T) {
	amtool := needTool(t, "amtool", "prometheus-alertmanager")
	out, err := runTool(t, deployDir(t), amtool, "check-config", alertmanagerPath(t))
	if err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
}

// Routing as the security team expects it, checked by Alertmanager's own
// route tree (amtool exits non-zero when the receivers differ).
func TestAlertmanagerRoutes(t *testing.T) {
	amtool := needTool(t, "amtool", "prometheus-alertmanager")
	cases := []struct {
		labels    []string
		receivers string
	}{
		{[]string{"alertname=CamsweepUnregisteredCamera", "severity=critical", "site=NOH"}, "security-team-page"},
		{[]string{"alertname=CamsweepBannedManufacturer", "severity=high", "site=NOH"}, "security-team"},
		{[]string{"alertname=CamsweepCameraOutsideSegment", "severity=high", "site=RH"}, "security-team"},
		{[]string{"alertname=CamsweepDispensationExpired", "severity=high", "owner=CIMT"}, "cimt-medico,security-team"},
		{[]string{"alertname=CamsweepDispensationExpiringSoon", "severity=warning", "owner=CEJ"}, "cej-facility,security-team"},
		{[]string{"alertname=CamsweepScanStale", "severity=warning", "site=RH"}, "security-team"},
		{[]string{"alertname=CamsweepSensorDown", "severity=warning", "site=RH"}, "security-team"},
	}
	for _, c := range cases {
		args := append([]string{"config", "routes", "test", "--config.file=" + alertmanagerPath(t), "--verify.receivers=" + c.receivers}, c.labels...)
		out, err := runTool(t, deployDir(t), amtool, args...)
		if err != nil {
			t.Errorf("%v: want receivers %s: %v\n%s", c.labels, c.receivers, err, out)
		}
	}
}

// amtool cannot exercise inhibition offline, so check the rule's shape: a down
// sensor silences the scan alerts of its own site, and only those.
func TestAlertmanagerInhibitsScanAlertsWhenSensorDown(t *testing.T) {
	var cfg struct {
		Route struct {
			GroupBy []string `yaml:"group_by"`
		} `yaml:"route"`
		InhibitRules []struct {
			SourceMatchers []string `yaml:"source_matchers"`
			TargetMatchers []string `yaml:"target_matchers"`
			Equal          []string `yaml:"equal"`
		} `yaml:"inhibit_rules"`
	}
	if err := yaml.Unmarshal(readFile(t, alertmanagerPath(t)), &cfg); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"site", "alertname"} {
		if !slices.Contains(cfg.Route.GroupBy, l) {
			t.Errorf("route.group_by %v lacks %q", cfg.Route.GroupBy, l)
		}
	}
	found := false
	for _, r := range cfg.InhibitRules {
		if slices.Equal(r.SourceMatchers, []string{`alertname = "CamsweepSensorDown"`}) &&
			slices.Equal(r.TargetMatchers, []string{`alertname =~ "CamsweepScanStale|CamsweepScanFailing"`}) &&
			slices.Equal(r.Equal, []string{"site"}) {
			found = true
		}
	}
	if !found {
		t.Errorf("no inhibit rule: CamsweepSensorDown silencing CamsweepScanStale|CamsweepScanFailing with equal [site]")
	}
}
