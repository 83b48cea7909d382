package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRemovedSiteDispensations: a site taken out of the configuration
// takes its policy's dispensations with it. Its references stayed cached,
// so its dispensation kept being exported (and could page as expiring)
// for a site the sensor no longer watches.
func TestRemovedSiteDispensations(t *testing.T) {
	const rhPolicy = `dispensations:
  - id: DISP-RH-9
    manufacturer: Hikvision
    owner: CIMT
    reason: lift cameras
    expires: 2026-04-01
    max_cameras: 9
`
	h := startHarnessWith(t, "", newFakeSweep(), func(dir, cfg string) string {
		if err := os.WriteFile(filepath.Join(dir, "rh-policy.yaml"), []byte(rhPolicy), 0o600); err != nil {
			t.Fatal(err)
		}
		i := strings.Index(cfg, "- name: RH")
		return cfg[:i] + strings.Replace(cfg[i:], "policy: policy.yaml", "policy: rh-policy.yaml", 1)
	})
	const series = `camsweep_dispensation_max_cameras{dispensation="DISP-RH-9"} 9`
	h.waitFor("RH's dispensation", func() bool { return strings.Contains(h.metrics(), series) })
	h.idle()

	i := strings.Index(testConfig(""), "  - name: RH")
	writeConfig(t, h.dir, testConfig("")[:i])
	h.reload <- struct{}{}
	h.waitFor("RH removed", func() bool { return !strings.Contains(h.metrics(), `camsweep_scan_interval_seconds{site="RH"}`) })
	m := h.metrics()
	if strings.Contains(m, "DISP-RH-9") {
		t.Errorf("the removed site's dispensation is still exported:\n%s", grepLines(m, "DISP-RH-9"))
	}
	if !strings.Contains(m, `camsweep_dispensation_max_cameras{dispensation="DISP-HIK-70"} 70`) {
		t.Errorf("the remaining site's dispensation is gone")
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
