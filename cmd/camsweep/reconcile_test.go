package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/camsweep/camsweep/inventory"
)

// TestApplyPartialReportClaimsNoMissingCameras: a sweep stopped by Ctrl-C
// (or a saved incomplete report given to diff) cannot tell a missing
// camera from one it never reached, so it must not report missing_camera;
// what it did find still counts.
func TestApplyPartialReportClaimsNoMissingCameras(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "registry.csv")
	csv := "id,site,ip,vendor,model,category,owner,vms\n" +
		"NOH-CAM-1,NOH,10.20.8.10,Axis,M3046-V,facility,CEJ,milestone\n"
	if err := os.WriteFile(reg, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	rf := reconcileFlags{registries: []string{reg}, failOn: "critical", now: "2026-11-28"}
	in, err := rf.load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		incomplete  bool
		wantMissing bool
	}{
		{"complete sweep", false, true},
		{"interrupted sweep", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &inventory.Report{
				Schema:     inventory.ReportSchema,
				Site:       "NOH",
				Incomplete: tc.incomplete,
				Scope:      inventory.ScopeSummary{Targets: []string{"10.20.8.0/24"}},
			}
			if err := in.apply(rep); err != nil {
				t.Fatal(err)
			}
			missing := false
			for _, f := range rep.Findings {
				missing = missing || f.Kind == inventory.KindMissingCamera
			}
			if missing != tc.wantMissing {
				t.Errorf("missing_camera reported = %v, want %v (findings %+v)", missing, tc.wantMissing, rep.Findings)
			}
		})
	}
}
