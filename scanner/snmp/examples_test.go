package snmp_test

import (
	"path/filepath"
	"testing"

	"github.com/camsweep/camsweep/scanner/snmp"
)

// The example files a site copies load, and their profiles resolve from
// the environment they name.
func TestExampleFiles(t *testing.T) {
	cfg, err := snmp.LoadConfig(filepath.Join("..", "..", "deploy", "examples", "infrastructure.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"NOH_SNMP_AUTH": "auth-secret-123", "NOH_SNMP_PRIV": "priv-secret-123", "NOH_SNMP_COMMUNITY": "c"}
	creds, err := snmp.ResolveCredentials(cfg, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(creds) != 2 || len(cfg.Devices) != 5 || !cfg.Resolved(1).Has(snmp.RoleRouter) || cfg.Resolved(3).Rate != 20 ||
		cfg.Resolved(4).VLANIndexing != snmp.VLANIndexingAuto || cfg.Resolved(4).MaxVLANs != 64 || len(cfg.Resolved(4).VLANs) != 3 {
		t.Errorf("example: %d profiles, %d devices", len(creds), len(cfg.Devices))
	}
}
