package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/inventory/registryfile/workbooktest"
)

// exampleWorkbook writes the example NOH registry as an .xlsx, its sheet
// "Kameraer" behind a cover sheet, with one bad MAC typed into E5 when bad.
func exampleWorkbook(t *testing.T, bad bool) string {
	t.Helper()
	data, err := os.ReadFile(examplesDir + "registry.csv")
	if err != nil {
		t.Fatal(err)
	}
	cells := workbooktest.CSVCells(t, data, ';', 1)
	if bad {
		cells["F5"] = "44:19:b6:zz:00:01"
	}
	path := filepath.Join(t.TempDir(), "noh.xlsx")
	wb := workbooktest.Workbook(t,
		workbooktest.Sheet{Name: "Forside", Cells: map[string]any{"A1": "Kameraregister NOH"}},
		workbooktest.Sheet{Name: "Kameraer", Cells: cells})
	if err := os.WriteFile(path, wb, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRegistryCheckWorkbook(t *testing.T) {
	good, bad := exampleWorkbook(t, false), exampleWorkbook(t, true)
	columns := examplesDir + "registry-columns.yaml"
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"clean", []string{"registry", "check", "--columns", columns, "--sheet", "Kameraer", good}, exitOK, "17 row(s) loaded, 0 error(s)"},
		{"bad cell", []string{"registry", "check", "--columns", columns, "--sheet", "Kameraer", bad}, exitError,
			bad + `: Kameraer!F5: mac "44:19:b6:zz:00:01": not a MAC address: non-hex digit`},
		{"first sheet is the cover", []string{"registry", "check", "--columns", columns, good}, exitError,
			good + `: Forside!A1: unknown column "Kameraregister NOH"`},
		{"no such sheet", []string{"registry", "check", "--sheet", "Cameras", good}, exitError,
			good + `: no sheet "Cameras": the workbook has "Forside", "Kameraer"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := camsweep(t, "", tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.want) {
				t.Fatalf("exit %d, want %d; stdout lacks %q:\n%s%s", code, tt.code, tt.want, stdout, stderr)
			}
		})
	}
}
