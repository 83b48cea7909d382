package deploy_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/camsweep/camsweep/inventory/metrics"
)

// contractMetrics are the metric names issue 7 fixes for `camsweep serve`;
// the collector must export each, and the deploy files use no others.
var contractMetrics = []string{
	"camsweep_findings",
	"camsweep_finding_info",
	"camsweep_unregistered_camera_info",
	"camsweep_duplicate_identity_info",
	"camsweep_devices",
	"camsweep_dispensation_expiry_timestamp_seconds",
	"camsweep_dispensation_cameras",
	"camsweep_dispensation_max_cameras",
	"camsweep_last_scan_success_timestamp_seconds",
	"camsweep_last_scan_duration_seconds",
	"camsweep_last_scan_timestamp_seconds",
	"camsweep_last_scan_success",
	"camsweep_scan_interval_seconds",
	"camsweep_scan_quiet_seconds",
	"camsweep_scan_running",
	"camsweep_scans_total",
	"camsweep_probe_errors_total",
	"camsweep_registry_load_errors",
	"camsweep_config_last_reload_success_timestamp_seconds",
	"camsweep_build_info",
	"camsweep_api_tokens",
	"camsweep_packets_not_sent_total",
	"camsweep_hosts_timed_out_total",
	// Issue 13: continuous passive detection.
	"camsweep_finding_first_seen_timestamp_seconds",
	"camsweep_passive_listening",
	"camsweep_passive_frames_total",
	"camsweep_passive_frames_dropped_total",
	"camsweep_passive_hosts",
	"camsweep_devices_first_seen_total",
	"camsweep_address_mac_changes_total",
	"camsweep_triggered_probes_total",
	"camsweep_triggered_probes_refused_total",
	"camsweep_detection_seconds",
	"camsweep_infrastructure_harvest_success",
	"camsweep_infrastructure_harvest_duration_seconds",
	"camsweep_infrastructure_requests",
	"camsweep_infrastructure_harvest_error_info",
	// Issue 14: flow sources and the central VMS's list.
	"camsweep_flow_source",
	"camsweep_flow_records_total",
	"camsweep_flow_datagrams_total",
	"camsweep_flow_last_datagram_timestamp_seconds",
	"camsweep_flow_mirror_frames_total",
	"camsweep_flow_table_entries",
	"camsweep_flow_table_evictions_total",
	"camsweep_flow_cloud_lookups",
	"camsweep_vms_hardware",
	"camsweep_vms_last_success_timestamp_seconds",
	"camsweep_vms_errors_total",
	"camsweep_vms_refresh_seconds",
}

// seriesOf is the metric a series name belongs to: a histogram's
// _bucket, _sum and _count series are its own name's.
func seriesOf(name string, known map[string]bool) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && known[base] {
			return base
		}
	}
	return name
}

// prometheusSynthetic are series Prometheus itself adds to every target.
var prometheusSynthetic = map[string]bool{"up": true, "scrape_duration_seconds": true}

// exportedMetrics returns the metric names camsweep exports and where that
// list came from: the descriptors the collector registers (Describe is what
// the registry checks at registration, so it is the exported set).
func exportedMetrics(t *testing.T) (map[string]bool, string) {
	t.Helper()
	c := metrics.NewCollector(func() metrics.Snapshot { return metrics.Snapshot{} }, "deploy-test")
	ch := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	set := map[string]bool{}
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range ch {
		m := fqName.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read the metric name from descriptor %s", d)
		}
		set[m[1]] = true
	}
	if len(set) == 0 {
		t.Fatal("inventory/metrics describes no metrics")
	}
	return set, "inventory/metrics.Collector.Describe"
}

// usedExprs returns every PromQL expression of the rules and the dashboard,
// keyed by where it lives.
func usedExprs(t *testing.T) map[string]string {
	exprs := map[string]string{}
	for _, r := range loadRules(t) {
		exprs["rule "+r.Alert+r.Record] = r.Expr
	}
	for where, e := range dashboardExprs(t, loadDashboard(t)) {
		exprs["dashboard "+where] = e
	}
	return exprs
}

func TestRulesAndDashboardUseExportedMetrics(t *testing.T) {
	exported, source := exportedMetrics(t)
	t.Logf("exported metric names from %s: %d", source, len(exported))
	checked := 0
	for where, expr := range usedExprs(t) {
		for _, name := range metricNames(expr) {
			checked++
			if !exported[seriesOf(name, exported)] && !prometheusSynthetic[name] {
				t.Errorf("%s: metric %q is not exported by camsweep (per %s); expr: %s", where, name, source, expr)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no metric names found in any expression: the extractor is broken")
	}
}

// The rules and dashboard must not refer to metrics outside the contract
// either: the contract is what other sensors' versions promise.
func TestContractCoversWhatDeployUses(t *testing.T) {
	contract := map[string]bool{}
	for _, m := range contractMetrics {
		contract[m] = true
	}
	var missing []string
	for _, expr := range usedExprs(t) {
		for _, name := range metricNames(expr) {
			if !contract[seriesOf(name, contract)] && !prometheusSynthetic[name] {
				missing = append(missing, name)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("used but not in the metric contract: %v", missing)
	}
}

// The collector exports every name of the contract, so alerts written against
// the contract have something to read.
func TestCollectorExportsTheContract(t *testing.T) {
	exported, source := exportedMetrics(t)
	for _, m := range contractMetrics {
		if !exported[m] {
			t.Errorf("%s is in the metric contract but %s does not describe it", m, source)
		}
	}
}
