package inventory

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// demoDevices reads the host table of docs/demo-network.md, the contract for
// the emulated NOH network, and turns each host into the Device a perfect
// fingerprint would give. Reading the page (rather than copying it) keeps
// the example registry and the demo network from drifting apart.
func demoDevices(t *testing.T) []Device {
	t.Helper()
	f, err := os.Open("../docs/demo-network.md")
	if err != nil {
		t.Skipf("demo network page not present: %v", err)
	}
	defer f.Close()
	var out []Device
	sc := bufio.NewScanner(f)
	inHosts := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			inHosts = line == "## Hosts"
			continue
		}
		if !inHosts || !strings.HasPrefix(line, "| 127.") {
			continue
		}
		c := strings.Split(strings.Trim(line, "|"), "|")
		for i := range c {
			c[i] = strings.TrimSpace(c[i])
			if c[i] == "-" {
				c[i] = ""
			}
		}
		if len(c) != 8 {
			t.Fatalf("demo-network.md host row has %d cells: %q", len(c), line)
		}
		d := Device{IP: netip.MustParseAddr(c[0]), Serial: c[2], MAC: c[3], Class: evidence.Class(c[4]), Brand: c[5], Manufacturer: c[6], Model: c[7]}
		d.Evidence = []evidence.Evidence{{Probe: "demo", Field: "persona", Value: strings.Trim(c[1], "`")}}
		out = append(out, d)
	}
	if len(out) == 0 {
		t.Fatal("no hosts read from docs/demo-network.md")
	}
	return out
}

func loadExamples(t *testing.T) (*Registry, *Policy) {
	t.Helper()
	cm, err := LoadColumnMap("../deploy/examples/registry-columns.yaml")
	if err != nil {
		t.Fatal(err)
	}
	reg, errs := LoadRegistry("../deploy/examples/registry.csv", cm)
	if len(errs) > 0 {
		t.Fatalf("example registry: %v", errs)
	}
	pol, err := LoadPolicy("../deploy/examples/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return reg, pol
}

// TestExampleNOHStory runs the seed case end to end on data: the emulated
// NOH network against the example registry and policy on 2026-11-28.
func TestExampleNOHStory(t *testing.T) {
	reg, pol := loadExamples(t)
	devices := demoDevices(t)
	scope := Scope{Site: "NOH", Prefixes: []netip.Prefix{netip.MustParsePrefix("127.77.0.0/16")}}
	res := Reconcile(devices, reg, pol, scope, today)

	count := map[string]int{}
	for _, f := range res.Findings {
		count[f.Kind]++
	}
	want := map[string]int{
		KindUnregisteredCamera:  9,  // seven Dahua cameras, their NVR, the Dahua-made Amcrest
		KindBannedManufacturer:  10, // the nine unregistered Dahua-made devices and the registered LTS (Hikvision-made)
		KindDispensationExpired: 6,  // three Hikvision cameras and their NVR (DISP-HIK-70), two Reolinks (DISP-REO-6)
		KindMissingCamera:       1,  // NOH-CAM-0112, registered in scope, not on the network
		// The policy names NOH's approved recorders, so the Dahua NVR is
		// judged on its fingerprint alone (the demo adds the flows).
		KindUnapprovedRecorder: 1,
	}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		for _, f := range res.Findings {
			t.Logf("%s %s: %s", f.Severity, f.Key, f.Detail)
		}
		t.Fatalf("finding counts %v, want %v", count, want)
	}
	// The press case itself: each of the seven Dahua cameras is named.
	for _, ip := range []string{"127.77.8.11", "127.77.8.12", "127.77.8.13", "127.77.8.14", "127.77.8.15", "127.77.8.16", "127.77.8.17"} {
		if !slices.ContainsFunc(res.Findings, func(f Finding) bool {
			return f.Kind == KindUnregisteredCamera && f.IP == ip && f.Severity == SeverityCritical
		}) {
			t.Errorf("the Dahua camera at %s is not reported unregistered", ip)
		}
	}
	// Registered devices carry their row; the office hosts none.
	ids := map[string]string{}
	for _, d := range res.Devices {
		ids[d.IP.String()] = d.RegistryID
	}
	for ip, id := range map[string]string{"127.77.9.21": "NOH-CAM-0101", "127.77.9.30": "NOH-NVR-0104", "127.77.9.42": "NOH-CAM-0106",
		"127.77.10.5": "NOH-CAM-0110", "127.77.10.21": "NOH-CAM-0111", "127.77.8.11": "", "127.77.20.10": ""} {
		if ids[ip] != id {
			t.Errorf("device %s: registry id %q, want %q", ip, ids[ip], id)
		}
	}
	// Nothing at all for the approved Axis.
	for _, f := range res.Findings {
		if f.RegistryID == "NOH-CAM-0110" {
			t.Errorf("the approved Axis has a finding: %s", f.Key)
		}
	}
}

func TestExampleRegistryAllSites(t *testing.T) {
	reg, pol := loadExamples(t)
	sites := map[string]int{}
	for _, r := range reg.Rows {
		sites[r.Site]++
	}
	if sites["NOH"] == 0 || sites["RH"] == 0 {
		t.Errorf("rows per site %v: want NOH and RH", sites)
	}
	if got := CheckRegistry(reg, pol, ""); len(got) != 0 {
		t.Errorf("the example registry has conflicts: %v", summary(got))
	}
	for _, c := range DispensationClaims(reg, pol, today) {
		if c.Claimed > c.MaxCameras || c.State != DispensationExpired {
			t.Errorf("%s: claimed %d of %d, state %s", c.ID, c.Claimed, c.MaxCameras, c.State)
		}
	}
	// RH's parking camera records locally; its suppression holds until 2027-03-31.
	res := Reconcile([]Device{{IP: netip.MustParseAddr("10.30.8.40"), MAC: "00:40:8c:aa:01:02", Class: evidence.Camera, Manufacturer: "Axis", Brand: "Axis",
		Evidence: []evidence.Evidence{{Probe: "onvif", Field: "onvif.manufacturer", Value: "AXIS"}}}},
		reg, pol, Scope{Site: "RH"}, today)
	if len(res.Findings) != 0 || len(res.Suppressed) != 1 || res.Suppressed[0].Kind != KindNotOnCentralVMS {
		t.Errorf("RH parking camera: findings %v suppressed %v", summary(res.Findings), summary(res.Suppressed))
	}
}
