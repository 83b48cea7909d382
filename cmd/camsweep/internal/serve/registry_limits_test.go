package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/inventory/store"
)

// TestRegistryOverItsLimitFailsTheScan: a registry edit that passes
// registry_limits fails the scan loudly, naming the limit, and keeps the
// last good registry: a partial one would turn registered cameras into
// unregistered ones.
func TestRegistryOverItsLimitFailsTheScan(t *testing.T) {
	sw := newFakeSweep()
	h := startHarness(t, "registry_limits: {max_rows: 1}\n", sw)
	h.idle()
	if err := os.WriteFile(filepath.Join(h.dir, "registry.csv"), []byte(registryWithDahua), 0o600); err != nil {
		t.Fatal(err)
	}
	id := h.startScan(t, "NOH")
	h.waitFor("the scan to end", func() bool { return h.scan(id).Status != store.StatusRunning })
	sc := h.scan(id)
	if sc.Status != store.StatusFailed || !strings.Contains(sc.Error, "the limit is max_rows = 1") || !strings.Contains(sc.Error, "registry_limits.max_rows") {
		t.Errorf("scan %+v: want failed, naming registry_limits.max_rows", sc)
	}
	if !strings.Contains(h.metrics(), `camsweep_registry_load_errors{site="NOH"} 1`) {
		t.Error("camsweep_registry_load_errors does not count the failed load")
	}
}

func TestRegistryLimitsConfig(t *testing.T) {
	dir := t.TempDir()
	writeEnv(t, dir)
	cfg, err := LoadConfig(writeConfig(t, dir, "registry_limits: {max_rows: 50000, max_bytes: 1048576}\n"+validBase))
	if err != nil {
		t.Fatal(err)
	}
	if l := cfg.RegistryLimits.Limits(); l.MaxRows != 50000 || l.MaxBytes != 1<<20 {
		t.Errorf("limits %+v", l)
	}
	_, err = LoadConfig(writeConfig(t, dir, "registry_limits: {max_rows: -1}\n"+validBase))
	if err == nil || !strings.Contains(err.Error(), "registry_limits.max_rows -1: want a positive number") {
		t.Errorf("a negative limit: %v", err)
	}
}
