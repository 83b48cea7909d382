package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory/registryfile/workbooktest"
)

// TestSiteRegistryWorkbook: a site whose registry is the .xlsx the
// registry keepers maintain, its sheet named in registry_columns, loads
// like a CSV; a bad cell is a row error naming the cell, and the good rows
// still count.
func TestSiteRegistryWorkbook(t *testing.T) {
	dir := t.TempDir()
	writeEnv(t, dir)
	wb := workbooktest.Workbook(t,
		workbooktest.Sheet{Name: "Forside", Cells: map[string]any{"A1": "Kameraregister"}},
		workbooktest.Sheet{Name: "Kameraer", Cells: map[string]any{
			"A1": "Aktiv-ID", "B1": "Matrikel", "C1": "IP-adresse", "D1": "Kategori", "E1": "Ejer", "F1": "VMS",
			"A2": "NOH-1", "B2": "NOH", "C2": "10.20.8.5", "D2": "facility", "E2": "CEJ", "F2": "milestone",
			"A3": "NOH-2", "B3": "NOH", "C3": "10.20.8.6", "D3": "facility", "E3": "CEJ", "F3": "Milstone",
		}})
	if err := os.WriteFile(filepath.Join(dir, "noh.xlsx"), wb, 0o600); err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(validBase, "registry: registry.csv", `registry: noh.xlsx
    registry_columns:
      columns: {id: Aktiv-ID, site: Matrikel, ip: IP-adresse, category: Kategori, owner: Ejer}
      sheet: Kameraer`, 1)
	cfg, err := LoadConfig(writeConfig(t, dir, body))
	if err != nil {
		t.Fatal(err)
	}
	refs, err := newRefCache().load(cfg.Sites[0], zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if len(refs.registry.Rows) != 1 || refs.registry.Rows[0].ID != "NOH-1" {
		t.Errorf("rows %+v, want NOH-1", refs.registry.Rows)
	}
	want := filepath.Join(dir, "noh.xlsx") + `: Kameraer!F3: vms "Milstone"`
	if len(refs.rowErrors) != 1 || !strings.HasPrefix(refs.rowErrors[0].Error(), want) {
		t.Errorf("row errors %v, want one starting %q", refs.rowErrors, want)
	}

	// A sheet in registry_columns and a separate column map file are one
	// or the other, as the columns are: the sheet is part of the map.
	both := strings.Replace(validBase, "registry: registry.csv", "registry: noh.xlsx\n    registry_columns: {sheet: Kameraer}\n    registry_columns_file: cols.yaml", 1)
	if err := os.WriteFile(filepath.Join(dir, "cols.yaml"), []byte("columns: {id: Aktiv-ID}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(writeConfig(t, dir, both)); err == nil || !strings.Contains(err.Error(), "give registry_columns or registry_columns_file, not both") {
		t.Errorf("got %v, want the not-both error", err)
	}
}
