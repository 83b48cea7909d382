//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

// TestLabNmapIdentify runs Debian's nmap with service detection and the
// scripts a security team runs against emulated cameras and other hosts in
// a namespace lab, then feeds nmap's own XML to `camsweep identify`: the
// cameras must come out as cameras of their real makers from nmap's view
// alone, the others not as cameras, and with a registry and policy the
// unregistered and banned ones must be findings.
// CAMSWEEP_LAB_NMAP_KEEP=DIR keeps the XML (testdata/nmap/ holds one such
// run for the unit tests).
func TestLabNmapIdentify(t *testing.T) {
	if why := netlab.Skip(); why != "" {
		t.Skip(why)
	}
	if _, err := exec.LookPath("nmap"); err != nil {
		t.Skip("nmap not installed (apt-get install -y nmap)")
	}
	prefix := netip.MustParsePrefix("10.83.0.0/24")
	names := []string{"hikvision-ds-2cd2143g2-i", "hikvision-ds-7608ni-k2", "dahua-ipc-hdw2431t-as-s2", "dahua-nvr4108hs-4ks2",
		"axis-p3245-lve", "hanwha-xnv-c8083r", "vivotek-fd8372", "hp-laserjet-m404dn", "linux-server"}
	var (
		hosts []netlab.Host
		specs []scantest.HostSpec
		truth = map[string]scantest.Persona{}
	)
	addr := prefix.Addr().Next()
	for i, name := range names {
		p, err := scantest.PersonaByName(name)
		if err != nil {
			t.Fatal(err)
		}
		addr = addr.Next()
		h := netlab.Host{Addr: addr, MAC: labMAC(p.MAC, i+1), Vendor: p.Truth.Manufacturer}
		hosts = append(hosts, h)
		specs = append(specs, scantest.HostSpec{Persona: p, Addr: h.Addr, MAC: h.MAC.String()})
		truth[h.Addr.String()] = p
	}
	lab := netlab.New(t, netlab.Config{Prefix: prefix, Hosts: hosts})
	serveIn(t, lab, lab.DeviceNS, prefix, specs)

	out := filepath.Join(t.TempDir(), "nmap.xml")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	run := runIn(ctx, lab, lab.ScannerNS, nil, "nmap", "-n", "-e", lab.ScannerIf, "-sS", "-sV", "-p", "80,443,554,8000",
		"--script", "http-title,http-server-header,http-auth,ssl-cert,rtsp-methods,http-favicon",
		"-oX", out, hosts[0].Addr.String()+"-"+strings.Split(addr.String(), ".")[3])
	if run.err != nil {
		t.Fatalf("nmap: %v\n%.4000s", run.err, run.stderr.String())
	}
	if dir := os.Getenv("CAMSWEEP_LAB_NMAP_KEEP"); dir != "" {
		b, _ := os.ReadFile(out)
		if err := os.WriteFile(filepath.Join(dir, "lab-nmap.xml"), b, 0o644); err != nil {
			t.Error(err)
		}
	}

	stdout, stderr, code := camsweep(t, "", "identify", "-o", "json", out)
	if code != exitOK {
		t.Fatalf("identify: exit %d: %s", code, stderr)
	}
	got := map[string]hostVerdict{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var v hostVerdict
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		got[v.Host] = v
	}
	for a, p := range truth {
		v, ok := got[a]
		isCam := p.Truth.Class.IsVideo()
		switch {
		case !ok:
			t.Errorf("%s (%s): no verdict from nmap's XML", a, p.Name)
		case isCam && !v.Class.IsVideo():
			t.Errorf("%s (%s): class %s, want %s; why %v", a, p.Name, v.Class, p.Truth.Class, v.Why)
		case isCam && v.Manufacturer != p.Truth.Manufacturer:
			t.Errorf("%s (%s): manufacturer %q, want %q; why %v", a, p.Name, v.Manufacturer, p.Truth.Manufacturer, v.Why)
		case !isCam && v.Class.IsVideo():
			t.Errorf("%s (%s): called a %s; why %v", a, p.Name, v.Class, v.Why)
		default:
			t.Logf("%s (%s): %s %s %s (%.2f)", a, p.Name, v.Class, v.Manufacturer, v.Model, v.Confidence)
		}
	}

	// With a registry and a policy: findings, as a scan gives them.
	dir := t.TempDir()
	var axis string
	for a, p := range truth {
		if p.Name == "axis-p3245-lve" {
			axis = a
		}
	}
	reg := "id,site,building,location,ip,mac,serial,vendor,model,category,owner,vms,dispensation_id\n" +
		fmt.Sprintf("LAB-1,LAB,B1,hall,%s,,,Axis,P3245-LVE,facility,CEJ,milestone,\n", axis)
	pol := "banned_manufacturers: [Hikvision, Dahua]\nexpiry_warning_days: 30\n"
	if err := os.WriteFile(filepath.Join(dir, "registry.csv"), []byte(reg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(pol), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = camsweep(t, "", "identify", "--site", "LAB", "--registry", filepath.Join(dir, "registry.csv"),
		"--policy", filepath.Join(dir, "policy.yaml"), "-o", "json", out)
	if code != exitFindings {
		t.Fatalf("identify with registry: exit %d, want %d (critical findings): %s", code, exitFindings, stderr)
	}
	var rep inventory.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]map[string]bool{}
	for _, f := range rep.Findings {
		if kinds[f.IP] == nil {
			kinds[f.IP] = map[string]bool{}
		}
		kinds[f.IP][string(f.Kind)] = true
	}
	for a, p := range truth {
		k := kinds[a]
		switch {
		case a == axis:
			if k["unregistered_camera"] {
				t.Errorf("registered Axis %s reported unregistered", a)
			}
		case p.Truth.Class.IsVideo():
			if !k["unregistered_camera"] {
				t.Errorf("%s (%s): no unregistered_camera finding: %v", a, p.Name, k)
			}
			if banned := p.Truth.Manufacturer == "Hikvision" || p.Truth.Manufacturer == "Dahua"; banned != k["banned_manufacturer"] {
				t.Errorf("%s (%s): banned_manufacturer %v, want %v", a, p.Name, k["banned_manufacturer"], banned)
			}
		default:
			if len(k) > 0 {
				t.Errorf("%s (%s): findings %v for a non-camera", a, p.Name, k)
			}
		}
	}
	for _, f := range rep.Findings {
		if f.Kind == "missing_camera" {
			t.Errorf("imported scan reported a missing camera: %+v", f)
		}
	}
}
