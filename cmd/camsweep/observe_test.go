package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/docs"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/scantest"
)

// rebasedExamples writes the example registry and policy with the demo's
// 127.77/16 moved to the test network's base, so the approved recorders
// and registered addresses are the test network's.
func rebasedExamples(t *testing.T, n *scantest.Network) (registry, policy string) {
	t.Helper()
	hi := n.Prefix().Addr().As4()
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		out  *string
	}{{"registry.csv", &registry}, {"policy.yaml", &policy}} {
		data, err := os.ReadFile(examplesDir + f.name)
		if err != nil {
			t.Fatal(err)
		}
		*f.out = filepath.Join(dir, f.name)
		body := strings.ReplaceAll(string(data), "127.77.", fmt.Sprintf("%d.%d.", hi[0], hi[1]))
		if err := os.WriteFile(*f.out, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return registry, policy
}

// startMilestone serves the NOH central VMS on loopback and writes the
// --vms file and its credentials (mode 0600) for it.
func startMilestone(t *testing.T, n *scantest.Network) (*scantest.MilestoneVMS, string) {
	t.Helper()
	fake := scantest.NOHMilestone(n.Prefix())
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, writeVMSFile(t, srv.URL, fake.ClientID, fake.ClientSecret)
}

func writeVMSFile(t *testing.T, url, id, secret string) string {
	t.Helper()
	dir := t.TempDir()
	creds := filepath.Join(dir, "milestone-credentials.yaml")
	if err := os.WriteFile(creds, fmt.Appendf(nil, "client_id: %s\nclient_secret: %s\n", id, secret), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "vms.yaml")
	body := fmt.Sprintf("vms:\n  type: milestone\n  url: %s\n  credentials_file: milestone-credentials.yaml\n  timeout: 5s\n", url)
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// exportNOHPulls stands in for the router: until stop is closed it sends
// IPFIX records of the NOH recorders pulling their cameras' RTSP (camera
// port 554 to the recorder, 5 MiB each) to addr over loopback, every 50 ms,
// so that whenever the collector opens, records reach it.
func exportNOHPulls(t *testing.T, n *scantest.Network, addr string) (stop func()) {
	t.Helper()
	out, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	records := func(now time.Time) []scantest.FlowRecord {
		var recs []scantest.FlowRecord
		for i, p := range scantest.NOHPulls(n.Prefix()) {
			recs = append(recs, scantest.FlowRecord{Src: netip.AddrPortFrom(p.Camera, 554), Dst: netip.AddrPortFrom(p.Recorder, uint16(40000+i)), Proto: 6,
				Bytes: 5 << 20, Packets: 4000, Start: now.Add(-time.Minute), End: now})
		}
		return recs
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for seq := uint32(0); ; seq++ {
			// Nothing listens before the scan opens its collector: the
			// write's error is the loopback's port unreachable.
			now := time.Now()
			_, _ = out.Write(scantest.EncodeIPFIX(records(now), scantest.ExportOptions{Now: now, Domain: 1, Sequence: seq}))
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished; out.Close() }
}

// freeUDP picks a loopback UDP port for the collector to take.
func freeUDP(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

func findingsByKind(rep inventory.Report) map[string][]inventory.Finding {
	out := map[string][]inventory.Finding{}
	for _, f := range rep.Findings {
		out[f.Kind] = append(out[f.Kind], f)
	}
	return out
}

// TestScanWithVMSAndCollector: `camsweep scan --vms --collector` judges as
// the daemon does. The collector (the daemon's) decodes the router's
// IPFIX sent while the sweep runs: the local NVR recording the seven Dahua
// cameras gives 7 recorded_outside_vms and 1 unapproved_recorder, the
// cameras the approved recording server pulls give none. The VMS's own
// list (the daemon's Milestone client) judges not_on_central_vms, and the
// report says so; the client secret reaches neither report nor log.
func TestScanWithVMSAndCollector(t *testing.T) {
	n := startNOH(t)
	registry, policy := rebasedExamples(t, n)
	fake, vmsFile := startMilestone(t, n)
	collector := freeUDP(t)
	stop := exportNOHPulls(t, n, collector)
	defer stop()

	args := nohScanArgs(n, "--registry", registry, "--columns", examplesDir+"registry-columns.yaml", "--policy", policy, "--now", "2026-11-28",
		"-o", "json", "--fail-on", "none", "--log-level", "debug",
		"--vms", vmsFile, "--collector", collector, "--exporter", "127.0.0.1", "--flow-wait", "200ms")
	stdout, stderr, code := camsweep(t, "", args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, out := range []string{stdout, stderr} {
		if strings.Contains(out, fake.ClientSecret) {
			t.Fatal("the VMS client secret reached the report or the log")
		}
	}
	if err := docs.ValidateReport([]byte(stdout)); err != nil {
		t.Errorf("report: %v", err)
	}
	var rep inventory.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	o := rep.Observations
	if o == nil || o.VMSSource != "milestone" || o.VMSHardware != 2 || o.VMSError != "" || len(o.FlowSources) != 1 || o.FlowSources[0] != "netflow" || o.Flows == 0 {
		t.Fatalf("observations %+v", o)
	}
	byKind := findingsByKind(rep)
	nvr := scantest.NOHPulls(n.Prefix())[0].Recorder.String()
	if got := byKind[inventory.KindRecordedOutsideVMS]; len(got) != 7 {
		t.Errorf("%d recorded_outside_vms, want the seven Dahua cameras: %+v", len(got), got)
	}
	for _, f := range byKind[inventory.KindRecordedOutsideVMS] {
		if !strings.HasSuffix(f.Key, "/recorder="+nvr) {
			t.Errorf("recorded_outside_vms %s %s: want recorder %s", f.IP, f.Key, nvr)
		}
	}
	if r := byKind[inventory.KindUnapprovedRecorder]; len(r) != 1 || r[0].IP != nvr {
		t.Errorf("unapproved_recorder %+v, want the NVR %s", r, nvr)
	}
	onVMS := map[string]bool{}
	for _, h := range fake.Hardware {
		u := strings.TrimSuffix(strings.TrimPrefix(h.Address, "http://"), "/")
		onVMS[u] = true
	}
	notOn := map[string]bool{}
	for _, f := range byKind[inventory.KindNotOnCentralVMS] {
		notOn[f.IP] = true
		if onVMS[f.IP] {
			t.Errorf("%s is in the VMS's list but not_on_central_vms: %s", f.IP, f.Detail)
		}
	}
	for _, p := range scantest.NOHPulls(n.Prefix())[:7] {
		if !notOn[p.Camera.String()] {
			t.Errorf("Dahua %s, absent from the VMS, not not_on_central_vms", p.Camera)
		}
	}
	if fake.Requests("/API/IDP/connect/token") == 0 {
		t.Error("the VMS was never asked for a token")
	}
}

// TestDiffWithVMS: `camsweep diff --vms` judges a saved report's
// not_on_central_vms from the VMS's list read now; a VMS that cannot be
// read leaves the registry's column to judge, and the report says why.
func TestDiffWithVMS(t *testing.T) {
	n := startNOH(t)
	registry, policy := rebasedExamples(t, n)
	reconcile := []string{"--registry", registry, "--columns", examplesDir + "registry-columns.yaml", "--policy", policy, "--now", "2026-11-28", "-o", "json", "--fail-on", "none"}
	saved, stderr, code := camsweep(t, "", nohScanArgs(n, reconcile...)...)
	if code != exitOK {
		t.Fatalf("scan exit %d: %s", code, stderr)
	}
	file := filepath.Join(t.TempDir(), "scan.json")
	if err := os.WriteFile(file, []byte(saved), 0o600); err != nil {
		t.Fatal(err)
	}
	fake, vmsFile := startMilestone(t, n)
	// A gateway that is not there: loopback port with nothing behind it.
	deadVMS := writeVMSFile(t, "http://"+freeTCP(t), fake.ClientID, fake.ClientSecret)

	judge := func(vms string) (inventory.Report, string) {
		t.Helper()
		stdout, stderr, code := camsweep(t, "", append([]string{"diff", "--vms", vms, "--log-level", "debug"}, append(reconcile, file)...)...)
		if code != exitOK {
			t.Fatalf("diff exit %d: %s", code, stderr)
		}
		if strings.Contains(stdout+stderr, fake.ClientSecret) {
			t.Fatal("the VMS client secret reached the report or the log")
		}
		var rep inventory.Report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		return rep, stderr
	}
	rep, _ := judge(vmsFile)
	if o := rep.Observations; o == nil || o.VMSSource != "milestone" || o.VMSHardware != 2 {
		t.Fatalf("observations %+v", rep.Observations)
	}
	notOn := map[string]bool{}
	for _, f := range findingsByKind(rep)[inventory.KindNotOnCentralVMS] {
		notOn[f.IP] = true
	}
	for _, h := range fake.Hardware {
		if ip := strings.TrimSuffix(strings.TrimPrefix(h.Address, "http://"), "/"); notOn[ip] {
			t.Errorf("%s is in the VMS's list but not_on_central_vms", ip)
		}
	}
	if len(notOn) < 7 {
		t.Errorf("%d not_on_central_vms, want at least the seven Dahua cameras", len(notOn))
	}

	rep, stderr = judge(deadVMS)
	if o := rep.Observations; o == nil || o.VMSSource != "registry" || o.VMSError == "" {
		t.Errorf("observations %+v: want the registry to judge, and the VMS's error", rep.Observations)
	}
	if !strings.Contains(stderr, "VMS list not read") {
		t.Errorf("log %s: want the VMS's failure", stderr)
	}
}

func freeTCP(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestObserveFlagsRefused: VMS and flow flags that cannot work stop the
// run before a packet, with the reason; the dry run says what they will do.
func TestObserveFlagsRefused(t *testing.T) {
	n := startNOH(t)
	registry, policy := rebasedExamples(t, n)
	reconcile := []string{"--registry", registry, "--columns", examplesDir + "registry-columns.yaml", "--policy", policy}
	badVMS := filepath.Join(t.TempDir(), "vms.yaml")
	if err := os.WriteFile(badVMS, []byte("vms:\n  type: milestone\n  url: https://vms.example\n  credentials_file: nope.yaml\n  refesh: 1h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, vmsFile := startMilestone(t, n)
	taken, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"collector without exporter", append([]string{"--collector", "127.0.0.1:0"}, reconcile...), "--collector needs --exporter"},
		{"collector not host:port", append([]string{"--collector", "2055", "--exporter", "127.0.0.1"}, reconcile...), "want host:port"},
		{"exporter without collector", append([]string{"--exporter", "127.0.0.1"}, reconcile...), "give --collector too"},
		{"bad exporter", append([]string{"--collector", "127.0.0.1:0", "--exporter", "router1"}, reconcile...), "router1"},
		{"vms without registry or policy", []string{"--vms", vmsFile}, "give --registry and/or --policy"},
		{"collector port in use", append([]string{"--collector", taken.LocalAddr().String(), "--exporter", "127.0.0.1"}, reconcile...), "address already in use"},
		{"no such mirror interface", append([]string{"--mirror", "camsweep-nope0"}, reconcile...), "mirror interface"},
		{"unknown key in the vms file", append([]string{"--vms", badVMS}, reconcile...), "vms.yaml:5: field refesh not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := camsweep(t, "", nohScanArgs(n, append(tc.args, "--log-level", "warn")...)...)
			if code != exitError || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q: want exit %d and %q", code, stderr, exitError, tc.want)
			}
		})
	}

	stdout, stderr, code := camsweep(t, "", nohScanArgs(n, append([]string{"--dry-run", "--vms", vmsFile, "--collector", "127.0.0.1:2055", "--exporter", "127.0.0.1"}, reconcile...)...)...)
	if code != exitOK {
		t.Fatalf("dry run exit %d: %s", code, stderr)
	}
	for _, want := range []string{"vms: after the sweep, reads the hardware list of the milestone", "flows: listens for NetFlow/IPFIX/sFlow on UDP 127.0.0.1:2055 from 127.0.0.1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, stdout)
		}
	}
}
