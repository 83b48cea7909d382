package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/inventory"
)

// TestDemoTellsTheNOHStory runs `camsweep demo` (on 127.77.0.0/16, which
// only the demo uses) and checks the whole NOH story: the seven Dahua
// cameras are unregistered, recorded by the local NVR, which is an
// unapproved recorder, and absent from the central VMS's own list; every
// finding of the registry story is still there.
func TestDemoTellsTheNOHStory(t *testing.T) {
	stdout, stderr, code := camsweep(t, "", "demo", "--now", "2026-11-28", "-o", "json", "--log-level", "warn")
	if code != 0 {
		t.Fatalf("demo exit %d:\n%s", code, stderr)
	}
	var rep inventory.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	byKind := map[string][]inventory.Finding{}
	for _, f := range rep.Findings {
		count[f.Kind]++
		byKind[f.Kind] = append(byKind[f.Kind], f)
	}
	want := map[string]int{
		inventory.KindUnregisteredCamera: 9, inventory.KindBannedManufacturer: 10, inventory.KindDispensationExpired: 6, inventory.KindMissingCamera: 1,
		// From the recorders' pulls, decoded as IPFIX by the collector.
		inventory.KindRecordedOutsideVMS: 7, inventory.KindUnapprovedRecorder: 1,
		// From the emulated Milestone's hardware list: the seven Dahua
		// cameras, their NVR and the Amcrest; the Axis and LTS are in it,
		// the Hikvision and Reolink cameras are under dispensations.
		inventory.KindNotOnCentralVMS: 9,
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %s, want %d", count[k], k, n)
		}
	}
	if len(count) != len(want) {
		t.Errorf("finding kinds %v, want %v", count, want)
	}
	for _, f := range byKind[inventory.KindRecordedOutsideVMS] {
		if !strings.HasPrefix(f.IP, "127.77.8.1") || !strings.HasSuffix(f.Key, "/recorder=127.77.8.40") {
			t.Errorf("recorded_outside_vms %s %s: want a Dahua camera recorded by the NVR at 127.77.8.40", f.IP, f.Key)
		}
	}
	if r := byKind[inventory.KindUnapprovedRecorder]; len(r) != 1 || r[0].IP != "127.77.8.40" {
		t.Errorf("unapproved_recorder %+v, want the Dahua NVR", r)
	}
	if o := rep.Observations; o == nil || o.VMSSource != "milestone" || o.VMSHardware != 2 || len(o.FlowSources) != 1 {
		t.Errorf("observations %+v", o)
	}
	for _, d := range rep.Devices {
		if d.IP.String() == "127.77.8.40" && len(d.Records) != 7 {
			t.Errorf("the NVR records %v, want the seven cameras", d.Records)
		}
	}

	// diff of the saved report, against the same registry and policy,
	// judges the same evidence again: the recorders, the egress and the
	// VMS's list are in the report, and none of them may vanish.
	saved := filepath.Join(t.TempDir(), "noh.json")
	if err := os.WriteFile(saved, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	diffOut, stderr, code := camsweep(t, "", "diff", "--registry", examplesDir+"registry.csv", "--columns", examplesDir+"registry-columns.yaml",
		"--policy", examplesDir+"policy.yaml", "--now", "2026-11-28", "--fail-on", "none", "-o", "json", saved)
	if code != 0 {
		t.Fatalf("diff exit %d:\n%s", code, stderr)
	}
	var again inventory.Report
	if err := json.Unmarshal([]byte(diffOut), &again); err != nil {
		t.Fatal(err)
	}
	if got, want := findingLines(again.Findings), findingLines(rep.Findings); !slices.Equal(got, want) {
		t.Errorf("diff of the demo's report judged differently:\n got %q\nwant %q", got, want)
	}
	if o := again.Observations; o == nil || o.VMSSource != "milestone" || len(o.FlowSources) != 1 {
		t.Errorf("diff's observations %+v, want the saved report's", o)
	}
}

func findingLines(fs []inventory.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Severity.String() + " " + f.Key + " " + f.Detail
	}
	return out
}
