package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/docs"
	"github.com/camsweep/camsweep/inventory"
)

// TestIdentifyReportFollowsReportContract: with a registry, identify writes
// a report (camsweep.report/v1) from nmap's XML, which names MACs in upper
// case, and from evidence lines; both validate against the schema, and a
// camera registered by its MAC in the registry's own form is matched.
func TestIdentifyReportFollowsReportContract(t *testing.T) {
	dir := t.TempDir()
	// 44:19:b6:a0:00:01 is the lab's first Hikvision as nmap saw it
	// (44:19:B6:A0:00:01 in the XML).
	reg := "id,site,ip,mac,vendor,category,owner,vms\nLAB-1,LAB,,44-19-b6-a0-00-01,Hikvision,facility,CEJ,milestone\n"
	if err := os.WriteFile(filepath.Join(dir, "registry.csv"), []byte(reg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte("banned_manufacturers: [Dahua]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"identify", "--site", "LAB", "--registry", filepath.Join(dir, "registry.csv"),
		"--policy", filepath.Join(dir, "policy.yaml"), "-o", "json", "--fail-on", "none"}
	lines := `{"host": "10.20.8.31", "probe": "http", "field": "http.server", "value": "App-webs/"}
{"host": "10.20.8.31", "probe": "tcp", "field": "tcp.open", "value": "80"}
{"host": "10.20.8.31", "probe": "tcp", "field": "tcp.open", "value": "80"}
{"host": "10.20.8.31", "probe": "tcp", "field": "tcp.open", "value": "0"}
{"host": "10.20.8.31", "probe": "arp", "field": "mac", "value": "E0:50:8B:3D:72:19"}
`
	for _, tt := range []struct {
		name, stdin string
		files       []string
	}{
		{"nmap XML", "", []string{labNmapXML}},
		{"evidence lines", lines, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := camsweep(t, tt.stdin, append(args, tt.files...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if err := docs.ValidateReport([]byte(stdout)); err != nil {
				t.Error(err)
			}
			var rep inventory.Report
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatal(err)
			}
			for _, d := range rep.Devices {
				if d.MAC != strings.ToLower(d.MAC) {
					t.Errorf("%s: MAC %q not in the registry's form", d.IP, d.MAC)
				}
				if tt.files != nil && d.MAC == "44:19:b6:a0:00:01" && d.RegistryID != "LAB-1" {
					t.Errorf("%s: registered by its MAC, matched %q", d.IP, d.RegistryID)
				}
			}
		})
	}
}
