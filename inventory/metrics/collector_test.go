package metrics

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

func nohReport() *inventory.Report {
	// Behind a router: its MAC and its switch port come from the network.
	where := &evidence.Location{Switch: "noh-b1-asw03", Port: "Gi1/0/17", PortDescription: "Gang ved akutmodtagelse", VLAN: 120, Source: "snmp dot1qTpFdbTable"}
	dahua := inventory.Device{IP: netip.MustParseAddr("10.20.8.11"), MAC: "e0:50:8b:3d:72:19", Class: evidence.Camera,
		Brand: "Dahua", Manufacturer: "Dahua", Model: "IPC-HDW2431T-AS-S2", MACSource: "snmp router noh-core1", Location: where,
		Evidence: []evidence.Evidence{{Probe: "onvif", Field: "onvif.manufacturer", Value: "Dahua"}}}
	// A white-label Hikvision: the brand on the box is not the maker.
	lts := inventory.Device{IP: netip.MustParseAddr("10.20.8.12"), MAC: "44:19:b6:00:00:12", Class: evidence.Camera,
		Brand: "LTS", Manufacturer: "Hikvision", Model: "CMIP3042"}
	axis := inventory.Device{IP: netip.MustParseAddr("10.20.8.13"), MAC: "ac:cc:8e:00:00:13", Class: evidence.Camera,
		Brand: "Axis", Manufacturer: "Axis", Model: "P3245", RegistryID: "NOH-CAM-7"}
	pc := inventory.Device{IP: netip.MustParseAddr("10.20.20.5"), Class: evidence.Other, Manufacturer: "Dell"}
	return &inventory.Report{
		Schema: inventory.ReportSchema, Site: "NOH",
		Devices: []inventory.Device{dahua, lts, axis, pc},
		Findings: []inventory.Finding{
			{Key: "unregistered_camera/NOH/mac=e0:50:8b:3d:72:19", Kind: inventory.KindUnregisteredCamera, Severity: inventory.SeverityCritical,
				Site: "NOH", IP: "10.20.8.11", MAC: "e0:50:8b:3d:72:19", Manufacturer: "Dahua", Brand: "Dahua", Model: "IPC-HDW2431T-AS-S2", Location: where},
			// Brand and model left empty in the finding: taken from the device.
			{Key: "unregistered_camera/NOH/mac=44:19:b6:00:00:12", Kind: inventory.KindUnregisteredCamera, Severity: inventory.SeverityCritical,
				Site: "NOH", IP: "10.20.8.12", MAC: "44:19:B6:00:00:12"},
			{Key: "banned_manufacturer/NOH/mac=e0:50:8b:3d:72:19", Kind: inventory.KindBannedManufacturer, Severity: inventory.SeverityHigh,
				Site: "NOH", IP: "10.20.8.11", MAC: "e0:50:8b:3d:72:19", Manufacturer: "Dahua", Model: "IPC-HDW2431T-AS-S2"},
			// A clone at .14 answers with the registered camera's MAC.
			{Key: "duplicate_identity/NOH/mac=ac:cc:8e:00:00:13", Kind: inventory.KindDuplicateIdentity, Severity: inventory.SeverityHigh,
				Site: "NOH", IP: "10.20.8.14", MAC: "ac:cc:8e:00:00:13", IPs: []string{"10.20.8.13", "10.20.8.14"}, RegistryID: "NOH-CAM-7",
				Manufacturer: "Axis", Model: "P3245"},
			// The same key twice must not break the scrape.
			{Key: "banned_manufacturer/NOH/mac=e0:50:8b:3d:72:19", Kind: inventory.KindBannedManufacturer, Severity: inventory.SeverityHigh,
				Site: "NOH", IP: "10.20.8.11"},
		},
		Infrastructure: []inventory.InfraDevice{
			{Name: "noh-core1", Address: "10.20.0.1", OK: true, Requests: 42, DurationSeconds: 1.5},
			{Name: "noh-b1-asw03", Address: "10.20.0.33", ErrorKind: "timeout", Error: "request timeout", Requests: 2, DurationSeconds: 4},
		},
	}
}

var (
	finished    = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	firstRaised = time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC)
	expiry      = time.Date(2026, 8, 19, 0, 0, 0, 0, time.UTC)
)

func detection(vs ...float64) Histogram {
	var h Histogram
	for _, v := range vs {
		h.Observe(v)
	}
	return h
}

func testSnapshot() Snapshot {
	return Snapshot{
		ConfigReloaded: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC),
		APITokens:      2,
		Sites: []Site{
			{
				Name: "NOH", Interval: 6 * time.Hour, Report: nohReport(),
				LastScan: finished, LastScanDuration: 90 * time.Second, LastScanOK: true, LastSuccess: finished,
				ScansTotal: map[string]uint64{"ok": 3, "failed": 1}, ProbeErrorsTotal: map[string]uint64{"onvif": 2},
				PacketsNotSentTotal: 5, HostsTimedOutTotal: 1,
				Passive: &Passive{Listening: true, Frames: 12345, FramesDropped: 6, Hosts: 87, DevicesFirstSeen: 3, MACChanges: 1,
					ProbesOK: 2, ProbesFailed: 1, ProbesRefused: 4, Detection: detection(3.2, 8.5, 700)},
				FindingFirstSeen: map[string]time.Time{
					"unregistered_camera/NOH/mac=e0:50:8b:3d:72:19": firstRaised,
					"banned_manufacturer/NOH/mac=e0:50:8b:3d:72:19": firstRaised.Add(time.Second),
				},
			},
			// Never scanned, a scan running, registry broken, its listener
			// unable to listen.
			{Name: "RH", Interval: 24 * time.Hour, Quiet: 16 * time.Hour, Running: true, RegistryLoadErrors: 2, Passive: &Passive{}},
		},
		Dispensations: []Dispensation{
			{ID: "DISP-HIK-70", Manufacturer: "Hikvision", Owner: "CIMT", Expires: expiry, Cameras: 4, MaxCameras: 70},
			{ID: "DISP-HIK-70", Manufacturer: "Hikvision", Owner: "CIMT", Expires: expiry, Cameras: 4, MaxCameras: 70},
		},
	}
}

// golden is the exposition the alert rules and dashboard are written
// against. Edit it only together with docs/metrics.md and deploy/.
const golden = `
# HELP camsweep_api_tokens Bearer tokens the API accepts; 0 when the token file could not be read at the last reload and the API refuses every request.
# TYPE camsweep_api_tokens gauge
camsweep_api_tokens 2
# HELP camsweep_build_info Always 1; the labels name the build.
# TYPE camsweep_build_info gauge
camsweep_build_info{goversion="GOVERSION",version="v1.2.3"} 1
# HELP camsweep_config_last_reload_success_timestamp_seconds When the configuration was last loaded successfully, in seconds since the Unix epoch.
# TYPE camsweep_config_last_reload_success_timestamp_seconds gauge
camsweep_config_last_reload_success_timestamp_seconds 1.7724384e+09
# HELP camsweep_address_mac_changes_total Addresses the site's passive listener heard with another MAC than the history last saw there, since the process started.
# TYPE camsweep_address_mac_changes_total counter
camsweep_address_mac_changes_total{site="NOH"} 1
camsweep_address_mac_changes_total{site="RH"} 0
# HELP camsweep_detection_seconds Time from a device's first frame heard to the findings of its triggered probe being published.
# TYPE camsweep_detection_seconds histogram
camsweep_detection_seconds_bucket{site="NOH",le="1"} 0
camsweep_detection_seconds_bucket{site="NOH",le="2"} 0
camsweep_detection_seconds_bucket{site="NOH",le="5"} 1
camsweep_detection_seconds_bucket{site="NOH",le="10"} 2
camsweep_detection_seconds_bucket{site="NOH",le="15"} 2
camsweep_detection_seconds_bucket{site="NOH",le="30"} 2
camsweep_detection_seconds_bucket{site="NOH",le="60"} 2
camsweep_detection_seconds_bucket{site="NOH",le="120"} 2
camsweep_detection_seconds_bucket{site="NOH",le="300"} 2
camsweep_detection_seconds_bucket{site="NOH",le="600"} 2
camsweep_detection_seconds_bucket{site="NOH",le="+Inf"} 3
camsweep_detection_seconds_sum{site="NOH"} 711.7
camsweep_detection_seconds_count{site="NOH"} 3
camsweep_detection_seconds_bucket{site="RH",le="1"} 0
camsweep_detection_seconds_bucket{site="RH",le="2"} 0
camsweep_detection_seconds_bucket{site="RH",le="5"} 0
camsweep_detection_seconds_bucket{site="RH",le="10"} 0
camsweep_detection_seconds_bucket{site="RH",le="15"} 0
camsweep_detection_seconds_bucket{site="RH",le="30"} 0
camsweep_detection_seconds_bucket{site="RH",le="60"} 0
camsweep_detection_seconds_bucket{site="RH",le="120"} 0
camsweep_detection_seconds_bucket{site="RH",le="300"} 0
camsweep_detection_seconds_bucket{site="RH",le="600"} 0
camsweep_detection_seconds_bucket{site="RH",le="+Inf"} 0
camsweep_detection_seconds_sum{site="RH"} 0
camsweep_detection_seconds_count{site="RH"} 0
# HELP camsweep_devices Devices in the latest complete scan.
# TYPE camsweep_devices gauge
camsweep_devices{class="camera",manufacturer="Axis",site="NOH"} 1
camsweep_devices{class="camera",manufacturer="Dahua",site="NOH"} 1
camsweep_devices{class="camera",manufacturer="Hikvision",site="NOH"} 1
camsweep_devices{class="other",manufacturer="Dell",site="NOH"} 1
# HELP camsweep_dispensation_cameras Registry rows that claim a dispensation.
# TYPE camsweep_dispensation_cameras gauge
camsweep_dispensation_cameras{dispensation="DISP-HIK-70"} 4
# HELP camsweep_dispensation_expiry_timestamp_seconds When a policy dispensation expires, in seconds since the Unix epoch.
# TYPE camsweep_dispensation_expiry_timestamp_seconds gauge
camsweep_dispensation_expiry_timestamp_seconds{dispensation="DISP-HIK-70",manufacturer="Hikvision",owner="CIMT"} 1.7870976e+09
# HELP camsweep_dispensation_max_cameras Cameras a dispensation allows.
# TYPE camsweep_dispensation_max_cameras gauge
camsweep_dispensation_max_cameras{dispensation="DISP-HIK-70"} 70
# HELP camsweep_duplicate_identity_info One series per MAC or serial that two or more devices claim (a cloned or spoofed camera); ips names them all, the location is the suspect's.
# TYPE camsweep_duplicate_identity_info gauge
camsweep_duplicate_identity_info{identity="mac=ac:cc:8e:00:00:13",ip="10.20.8.14",ips="10.20.8.13,10.20.8.14",mac="ac:cc:8e:00:00:13",manufacturer="Axis",model="P3245",port="",port_description="",registry_id="NOH-CAM-7",site="NOH",switch="",vlan=""} 1
# HELP camsweep_devices_first_seen_total Devices the site's passive listener heard that its history had never seen, since the process started.
# TYPE camsweep_devices_first_seen_total counter
camsweep_devices_first_seen_total{site="NOH"} 3
camsweep_devices_first_seen_total{site="RH"} 0
# HELP camsweep_finding_first_seen_timestamp_seconds When an open finding was first raised, in seconds since the Unix epoch.
# TYPE camsweep_finding_first_seen_timestamp_seconds gauge
camsweep_finding_first_seen_timestamp_seconds{key="banned_manufacturer/NOH/mac=e0:50:8b:3d:72:19",kind="banned_manufacturer",severity="high",site="NOH"} 1.772449201e+09
camsweep_finding_first_seen_timestamp_seconds{key="unregistered_camera/NOH/mac=e0:50:8b:3d:72:19",kind="unregistered_camera",severity="critical",site="NOH"} 1.7724492e+09
# HELP camsweep_finding_info One series per open finding, carrying the device that has it and the switch port it is plugged into.
# TYPE camsweep_finding_info gauge
camsweep_finding_info{ip="10.20.8.11",key="banned_manufacturer/NOH/mac=e0:50:8b:3d:72:19",kind="banned_manufacturer",mac="e0:50:8b:3d:72:19",manufacturer="Dahua",model="IPC-HDW2431T-AS-S2",port="Gi1/0/17",port_description="Gang ved akutmodtagelse",registry_id="",severity="high",site="NOH",switch="noh-b1-asw03",vlan="120"} 1
camsweep_finding_info{ip="10.20.8.14",key="duplicate_identity/NOH/mac=ac:cc:8e:00:00:13",kind="duplicate_identity",mac="ac:cc:8e:00:00:13",manufacturer="Axis",model="P3245",port="",port_description="",registry_id="NOH-CAM-7",severity="high",site="NOH",switch="",vlan=""} 1
camsweep_finding_info{ip="10.20.8.11",key="unregistered_camera/NOH/mac=e0:50:8b:3d:72:19",kind="unregistered_camera",mac="e0:50:8b:3d:72:19",manufacturer="Dahua",model="IPC-HDW2431T-AS-S2",port="Gi1/0/17",port_description="Gang ved akutmodtagelse",registry_id="",severity="critical",site="NOH",switch="noh-b1-asw03",vlan="120"} 1
camsweep_finding_info{ip="10.20.8.12",key="unregistered_camera/NOH/mac=44:19:b6:00:00:12",kind="unregistered_camera",mac="44:19:b6:00:00:12",manufacturer="Hikvision",model="CMIP3042",port="",port_description="",registry_id="",severity="critical",site="NOH",switch="",vlan=""} 1
# HELP camsweep_findings Open findings in the latest complete scan.
# TYPE camsweep_findings gauge
camsweep_findings{kind="banned_manufacturer",severity="high",site="NOH"} 1
camsweep_findings{kind="duplicate_identity",severity="high",site="NOH"} 1
camsweep_findings{kind="unregistered_camera",severity="critical",site="NOH"} 2
# HELP camsweep_hosts_timed_out_total Hosts whose probes the host timeout cut short, since the process started: they are reported with what was found.
# TYPE camsweep_hosts_timed_out_total counter
camsweep_hosts_timed_out_total{site="NOH"} 1
camsweep_hosts_timed_out_total{site="RH"} 0
# HELP camsweep_infrastructure_harvest_duration_seconds How long the latest complete scan's harvest of the router or switch took.
# TYPE camsweep_infrastructure_harvest_duration_seconds gauge
camsweep_infrastructure_harvest_duration_seconds{device="noh-b1-asw03",site="NOH"} 4
camsweep_infrastructure_harvest_duration_seconds{device="noh-core1",site="NOH"} 1.5
# HELP camsweep_infrastructure_harvest_error_info One series per router or switch whose harvest failed in the latest complete scan, naming the kind of failure (timeout, auth, refused, deadline, truncated, protocol, error).
# TYPE camsweep_infrastructure_harvest_error_info gauge
camsweep_infrastructure_harvest_error_info{device="noh-b1-asw03",kind="timeout",site="NOH"} 1
# HELP camsweep_infrastructure_harvest_success Whether the latest complete scan read every table it asked of the router or switch (1) or not (0).
# TYPE camsweep_infrastructure_harvest_success gauge
camsweep_infrastructure_harvest_success{device="noh-b1-asw03",site="NOH"} 0
camsweep_infrastructure_harvest_success{device="noh-core1",site="NOH"} 1
# HELP camsweep_infrastructure_requests SNMP datagrams the latest complete scan sent to the router or switch, retries included.
# TYPE camsweep_infrastructure_requests gauge
camsweep_infrastructure_requests{device="noh-b1-asw03",site="NOH"} 2
camsweep_infrastructure_requests{device="noh-core1",site="NOH"} 42
# HELP camsweep_last_scan_duration_seconds How long the latest finished scan ran.
# TYPE camsweep_last_scan_duration_seconds gauge
camsweep_last_scan_duration_seconds{site="NOH"} 90
# HELP camsweep_last_scan_success Whether the latest finished scan succeeded (1) or not (0).
# TYPE camsweep_last_scan_success gauge
camsweep_last_scan_success{site="NOH"} 1
camsweep_last_scan_success{site="RH"} 0
# HELP camsweep_last_scan_success_timestamp_seconds When the latest successful scan ended, in seconds since the Unix epoch; 0 if none yet.
# TYPE camsweep_last_scan_success_timestamp_seconds gauge
camsweep_last_scan_success_timestamp_seconds{site="NOH"} 1.7724528e+09
camsweep_last_scan_success_timestamp_seconds{site="RH"} 0
# HELP camsweep_last_scan_timestamp_seconds When the latest finished scan (any outcome) ended, in seconds since the Unix epoch; 0 if none yet.
# TYPE camsweep_last_scan_timestamp_seconds gauge
camsweep_last_scan_timestamp_seconds{site="NOH"} 1.7724528e+09
camsweep_last_scan_timestamp_seconds{site="RH"} 0
# HELP camsweep_packets_not_sent_total Packets sweeps meant to send and could not (their wait for the rate limit failed), since the process started; each made its scan incomplete.
# TYPE camsweep_packets_not_sent_total counter
camsweep_packets_not_sent_total{site="NOH"} 5
camsweep_packets_not_sent_total{site="RH"} 0
# HELP camsweep_passive_frames_total What the site's passive listener heard since the process started: one per frame and host it names.
# TYPE camsweep_passive_frames_total counter
camsweep_passive_frames_total{site="NOH"} 12345
camsweep_passive_frames_total{site="RH"} 0
# HELP camsweep_passive_frames_dropped_total Frames the site's passive listener lost before reading them (its socket buffer or queue overflowed), since the process started.
# TYPE camsweep_passive_frames_dropped_total counter
camsweep_passive_frames_dropped_total{site="NOH"} 6
camsweep_passive_frames_dropped_total{site="RH"} 0
# HELP camsweep_passive_hosts Hosts the site's passive listener holds in memory (bounded; least recently heard dropped first).
# TYPE camsweep_passive_hosts gauge
camsweep_passive_hosts{site="NOH"} 87
camsweep_passive_hosts{site="RH"} 0
# HELP camsweep_passive_listening Whether the site's continuous passive listener is listening (1) or cannot (0); absent when the site does not listen.
# TYPE camsweep_passive_listening gauge
camsweep_passive_listening{site="NOH"} 1
camsweep_passive_listening{site="RH"} 0
# HELP camsweep_probe_errors_total Probes that could not run (not 'port closed', which is evidence), since the process started.
# TYPE camsweep_probe_errors_total counter
camsweep_probe_errors_total{probe="onvif",site="NOH"} 2
# HELP camsweep_registry_load_errors Errors in the latest load of the site's registry and policy; 0 when clean.
# TYPE camsweep_registry_load_errors gauge
camsweep_registry_load_errors{site="NOH"} 0
camsweep_registry_load_errors{site="RH"} 2
# HELP camsweep_scan_interval_seconds The configured interval between scheduled scans.
# TYPE camsweep_scan_interval_seconds gauge
camsweep_scan_interval_seconds{site="NOH"} 21600
camsweep_scan_interval_seconds{site="RH"} 86400
# HELP camsweep_scan_quiet_seconds How long the site's daily quiet window lasts, in which no scheduled scan starts; 0 without one.
# TYPE camsweep_scan_quiet_seconds gauge
camsweep_scan_quiet_seconds{site="NOH"} 0
camsweep_scan_quiet_seconds{site="RH"} 57600
# HELP camsweep_scan_running Whether a scan of the site is running now (1) or not (0).
# TYPE camsweep_scan_running gauge
camsweep_scan_running{site="NOH"} 0
camsweep_scan_running{site="RH"} 1
# HELP camsweep_scans_total Finished scans by outcome since the process started.
# TYPE camsweep_scans_total counter
camsweep_scans_total{site="NOH",status="cancelled"} 0
camsweep_scans_total{site="NOH",status="failed"} 1
camsweep_scans_total{site="NOH",status="ok"} 3
camsweep_scans_total{site="RH",status="cancelled"} 0
camsweep_scans_total{site="RH",status="failed"} 0
camsweep_scans_total{site="RH",status="ok"} 0
# HELP camsweep_triggered_probes_refused_total Triggered probes not done because the site's budget per minute was spent, since the process started.
# TYPE camsweep_triggered_probes_refused_total counter
camsweep_triggered_probes_refused_total{site="NOH"} 4
camsweep_triggered_probes_refused_total{site="RH"} 0
# HELP camsweep_triggered_probes_total Probes of one host triggered by a new device or a changed MAC, by outcome (ok, failed), since the process started.
# TYPE camsweep_triggered_probes_total counter
camsweep_triggered_probes_total{outcome="failed",site="NOH"} 1
camsweep_triggered_probes_total{outcome="failed",site="RH"} 0
camsweep_triggered_probes_total{outcome="ok",site="NOH"} 2
camsweep_triggered_probes_total{outcome="ok",site="RH"} 0
# HELP camsweep_unregistered_camera_info One series per camera found on the network that no registry row matches, with the switch port it is plugged into.
# TYPE camsweep_unregistered_camera_info gauge
camsweep_unregistered_camera_info{brand="Dahua",ip="10.20.8.11",mac="e0:50:8b:3d:72:19",manufacturer="Dahua",model="IPC-HDW2431T-AS-S2",port="Gi1/0/17",port_description="Gang ved akutmodtagelse",site="NOH",switch="noh-b1-asw03",vlan="120"} 1
camsweep_unregistered_camera_info{brand="LTS",ip="10.20.8.12",mac="44:19:b6:00:00:12",manufacturer="Hikvision",model="CMIP3042",port="",port_description="",site="NOH",switch="",vlan=""} 1
`

func TestCollectorGolden(t *testing.T) {
	c := NewCollector(testSnapshot, "v1.2.3")
	want := strings.ReplaceAll(golden, "GOVERSION", runtime.Version())
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %+v", err, problems)
	}
}

// TestNoStaleSeries: what leaves the snapshot leaves the exposition.
func TestNoStaleSeries(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Snapshot)
		gone   string
		count  int // series of metric gone after the change
	}{
		{"resolved finding", func(s *Snapshot) { s.Sites[0].Report.Findings = s.Sites[0].Report.Findings[2:] }, "camsweep_unregistered_camera_info", 0},
		{"camera left", func(s *Snapshot) { s.Sites[0].Report.Devices = s.Sites[0].Report.Devices[3:] }, "camsweep_devices", 1},
		{"site removed", func(s *Snapshot) { s.Sites = s.Sites[:1] }, "camsweep_scan_running", 1},
		{"dispensation dropped", func(s *Snapshot) { s.Dispensations = nil }, "camsweep_dispensation_cameras", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := testSnapshot()
			c := NewCollector(func() Snapshot { return snap }, "v")
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(c)
			if n, err := testutil.GatherAndCount(reg, tc.gone); err != nil || n == 0 {
				t.Fatalf("before: %d %v", n, err)
			}
			tc.change(&snap)
			n, err := testutil.GatherAndCount(reg, tc.gone)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.count {
				t.Errorf("%s: %d series after the change, want %d", tc.gone, n, tc.count)
			}
		})
	}
}

// TestPromtoolCheckMetrics runs Prometheus' own linter over the exposition,
// Go and process collectors included as the daemon serves them.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus); skipping promtool check metrics")
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(testSnapshot, "v1.2.3"))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = &buf
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	if dir := os.Getenv("CAMSWEEP_METRICS_OUT"); dir != "" {
		_ = os.WriteFile(dir+"/metrics.txt", buf.Bytes(), 0o644)
	}
}
