package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/docs"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/scantest"
)

const examplesDir = "../../deploy/examples/"

// startNOH serves the emulated NOH network for a test.
func startNOH(t *testing.T) *scantest.Network {
	t.Helper()
	// A random base keeps parallel test packages off each other's addresses.
	base := scantest.RandomBase()
	hosts, err := scantest.NOHAt(base)
	if err != nil {
		t.Fatal(err)
	}
	n := scantest.StartTB(t, hosts, scantest.Options{Base: base, Logger: zerolog.Nop()})
	return n
}

func camsweep(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func nohScanArgs(n *scantest.Network, extra ...string) []string {
	cfg := demoConfig(n)
	args := []string{"scan", "--site", "NOH", "--ports", strings.Join(cfg.Ports, ","), "--rate", "4000",
		"--udp-ports", fmt.Sprintf("ssdp=%d,mdns=%d", cfg.UDPPorts["ssdp"], cfg.UDPPorts["mdns"]),
		"--connect-timeout", "500ms", "--probe-timeout", "2s", "--host-timeout", "10s", "--log-level", "warn"}
	args = append(args, extra...)
	return append(args, cfg.Targets...)
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkKeys walks decoded JSON and fails on any key not in snake_case.
func checkKeys(t *testing.T, path string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if !snakeCase.MatchString(k) {
				t.Errorf("%s: key %q is not snake_case", path, k)
			}
			checkKeys(t, path+"."+k, child)
		}
	case []any:
		for _, child := range x {
			checkKeys(t, path+"[]", child)
		}
	}
}

func requireKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q", what, k)
		}
	}
}

// TestScanJSONFollowsReportContract checks `scan -o json` and `diff -o json`
// against the report v1 contract (docs/report.schema.json), and that `diff`
// on the saved report gives the same findings the scan gave, with the
// registry as CSV or as a workbook.
func TestScanJSONFollowsReportContract(t *testing.T) {
	n := startNOH(t)
	reconcile := []string{"--registry", examplesDir + "registry.csv", "--columns", examplesDir + "registry-columns.yaml",
		"--policy", examplesDir + "policy.yaml", "--now", "2026-11-28", "-o", "json"}
	stdout, stderr, code := camsweep(t, "", nohScanArgs(n, append(reconcile, "--fail-on", "critical")...)...)
	if code != exitFindings {
		t.Fatalf("exit code %d, want %d (critical findings); stderr:\n%s", code, exitFindings, stderr)
	}

	if err := docs.ValidateReport([]byte(stdout)); err != nil {
		t.Errorf("scan -o json: %v", err)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
	}
	checkKeys(t, "report", raw)
	requireKeys(t, "report", raw, "schema", "site", "started", "finished", "scope", "stats", "devices", "findings")
	if raw["schema"] != inventory.ReportSchema {
		t.Errorf("schema = %v", raw["schema"])
	}
	requireKeys(t, "stats", raw["stats"].(map[string]any), "addresses", "live", "cameras", "packets_sent")
	devices := raw["devices"].([]any)
	if len(devices) == 0 {
		t.Fatal("no devices")
	}
	for _, d := range devices {
		requireKeys(t, "device", d.(map[string]any), "ip", "mac", "hostnames", "open_ports", "class", "brand",
			"manufacturer", "model", "firmware", "serial", "confidence", "registry_id", "evidence")
		for _, e := range d.(map[string]any)["evidence"].([]any) {
			requireKeys(t, "evidence", e.(map[string]any), "probe", "field", "value")
		}
	}
	findings := raw["findings"].([]any)
	for _, f := range findings {
		requireKeys(t, "finding", f.(map[string]any), "key", "kind", "severity", "site", "ip", "mac", "registry_id", "detail")
	}

	// The seven NOH Dahua cameras are unregistered, whatever else is found.
	var rep inventory.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	unregistered := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Kind == inventory.KindUnregisteredCamera && f.Severity == inventory.SeverityCritical {
			unregistered[f.IP] = true
		}
	}
	dahua := 0
	for _, h := range n.Hosts {
		if strings.HasPrefix(h.Persona.Name, "dahua-ipc-") {
			dahua++
			if !unregistered[h.Addr.String()] {
				t.Errorf("Dahua camera %s not reported as unregistered", h.Addr)
			}
		}
	}
	if dahua != 7 {
		t.Errorf("the NOH network holds %d Dahua cameras, want 7", dahua)
	}

	// diff on the saved report reproduces the scan's findings.
	saved := filepath.Join(t.TempDir(), "noh.json")
	if err := os.WriteFile(saved, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	diffOut, stderr, code := camsweep(t, "", append(append([]string{"diff"}, reconcile...), "--fail-on", "none", saved)...)
	if code != exitOK {
		t.Fatalf("diff exit %d: %s", code, stderr)
	}
	if err := docs.ValidateReport([]byte(diffOut)); err != nil {
		t.Errorf("diff -o json: %v", err)
	}
	var again inventory.Report
	if err := json.Unmarshal([]byte(diffOut), &again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(findingKeys(rep.Findings), findingKeys(again.Findings)) {
		t.Errorf("diff findings differ from scan findings:\nscan: %v\ndiff: %v", findingKeys(rep.Findings), findingKeys(again.Findings))
	}

	// The same registry kept as the keepers' workbook gives the same findings.
	wb := []string{"diff", "--registry", exampleWorkbook(t, false), "--sheet", "Kameraer", "--columns", examplesDir + "registry-columns.yaml",
		"--policy", examplesDir + "policy.yaml", "--now", "2026-11-28", "-o", "json", "--fail-on", "none", saved}
	wbOut, stderr, code := camsweep(t, "", wb...)
	if code != exitOK {
		t.Fatalf("diff with a workbook registry: exit %d: %s", code, stderr)
	}
	var fromWorkbook inventory.Report
	if err := json.Unmarshal([]byte(wbOut), &fromWorkbook); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(findingKeys(rep.Findings), findingKeys(fromWorkbook.Findings)) {
		t.Errorf("findings with the workbook registry differ:\ncsv:  %v\nxlsx: %v", findingKeys(rep.Findings), findingKeys(fromWorkbook.Findings))
	}
}

// TestDemoJSONFollowsReportContract: the demo's report is the same contract.
func TestDemoJSONFollowsReportContract(t *testing.T) {
	stdout, stderr, code := camsweep(t, "", "demo", "-o", "json", "--now", "2026-11-28", "--log-level", "warn", "--fail-on", "critical")
	if code != exitFindings {
		t.Fatalf("demo exit %d, want %d (critical findings); stderr:\n%s", code, exitFindings, stderr)
	}
	if err := docs.ValidateReport([]byte(stdout)); err != nil {
		t.Error(err)
	}
}

func findingKeys(fs []inventory.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Key+" "+f.Severity.String())
	}
	slices.Sort(out)
	return out
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"public target", []string{"scan", "8.8.8.8"}, "public addresses"},
		{"bad target", []string{"scan", "10.0.0.0/40"}, "CIDR"},
		{"bad format", []string{"scan", "-o", "xml", "127.0.0.1"}, "unknown output format"},
		{"bad profile", []string{"scan", "--profile", "loud", "127.0.0.1"}, "unknown profile"},
		{"bad port", []string{"scan", "--ports", "99999", "127.0.0.1"}, "port"},
		{"bad flag", []string{"scan", "--frobnicate", "127.0.0.1"}, "unknown flag"},
		{"bad fail-on", []string{"diff", "--policy", examplesDir + "policy.yaml", "--fail-on", "severe", "x.json"}, "--fail-on"},
		{"no targets", []string{"scan"}, "requires at least 1 arg"},
		{"bad log level", []string{"--log-level", "loud", "version"}, "--log-level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := camsweep(t, "", tt.args...)
			if code != exitError {
				t.Errorf("exit %d, want %d", code, exitError)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", stderr, tt.want)
			}
		})
	}
}

func TestDryRunSendsNothing(t *testing.T) {
	// 10.255.0.0/16 is never reached: dry run only prices the plan.
	stdout, stderr, code := camsweep(t, "", "scan", "--dry-run", "--exclude", "10.255.1.0/24", "--exclude-oui", "00:09:02", "10.255.0.0/16")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"nothing is sent", "65280", "10.255.0.0-10.255.0.255", "packets expected", "duration expected", "oui 00:09:02"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
}

func TestIdentifyFromJSONLines(t *testing.T) {
	in := `{"host":"10.0.0.1","probe":"http","field":"http.server","value":"App-webs/"}
{"host":"10.0.0.2","probe":"rtsp","field":"rtsp.server","value":"Rtsp Server/3.0"}
{"host":"10.0.0.1","probe":"rtsp","field":"rtsp.realm","value":"IP Camera(C2412)"}
`
	stdout, stderr, code := camsweep(t, in, "identify", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one verdict per host, got %q", stdout)
	}
	var first hostVerdict
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Host != "10.0.0.1" || first.Manufacturer != "Hikvision" {
		t.Errorf("first verdict %+v", first)
	}
	_, stderr, code = camsweep(t, "{not json}\n", "identify")
	if code != exitError || !strings.Contains(stderr, "line 1") {
		t.Errorf("bad input: exit %d, stderr %q", code, stderr)
	}
}

func TestOUI(t *testing.T) {
	stdout, _, code := camsweep(t, "", "oui", "44:19:b6:01:02:03")
	if code != exitOK || !strings.Contains(strings.ToLower(stdout), "hikvision") {
		t.Errorf("exit %d, %q", code, stdout)
	}
}

// TestInterruptWritesPartialReport cancels a sweep (as Ctrl-C does) and
// checks that the report is still written, marked incomplete, with exit 3.
func TestInterruptWritesPartialReport(t *testing.T) {
	n := startNOH(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	go func() {
		// The sweep takes seconds (a silent host holds its probes to the
		// deadline); cancel once it is under way.
		time.Sleep(700 * time.Millisecond)
		cancel()
	}()
	args := nohScanArgs(n, "-o", "json", "--rate", "200")
	code := run(ctx, args, strings.NewReader(""), &out, &errb)
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, errb.String())
	}
	var rep inventory.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("no report after interrupt: %v\n%s", err, out.String())
	}
	if !rep.Incomplete {
		t.Error("report not marked incomplete")
	}
}
