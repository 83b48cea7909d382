package registryfile

import (
	"errors"
	"testing"

	"github.com/camsweep/camsweep/inventory"
)

// checkResult holds what every workbook read must give, whatever the
// input: only *RowErrors naming the file, and only rows that validate.
func checkResult(t *testing.T, reg *inventory.Registry, errs []error) {
	t.Helper()
	for _, err := range errs {
		var re *inventory.RowError
		if !errors.As(err, &re) || re.File != "f.xlsx" || re.Line < 0 {
			t.Fatalf("error without a position: %T %v", err, err)
		}
	}
	seen := map[string]bool{}
	for _, r := range reg.Rows {
		if r.ID == "" || seen[r.ID] || r.Site == "" || (!r.IP.IsValid() && r.MAC == "" && r.Serial == "") {
			t.Fatalf("invalid row loaded: %+v", r)
		}
		seen[r.ID] = true
	}
}

// FuzzParseWorkbook feeds whole files: mostly broken zips, which must be
// refused with an error naming the file.
func FuzzParseWorkbook(f *testing.F) {
	f.Add(workbook(f, []string{"Sheet1"}, map[string]sheetCells{"Sheet1": {
		"A1": "id", "B1": "site", "C1": "ip", "D1": "category", "E1": "owner", "F1": "vms",
		"A2": "NOH-1", "B2": "NOH", "C2": "10.20.8.1", "D2": "facility", "E2": "CEJ", "F2": "milestone",
	}}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, errs := Parse("f.xlsx", data, inventory.ColumnMap{})
		checkResult(t, reg, errs)
	})
}

// FuzzWorkbookSheetXML puts fuzzed worksheet XML inside a valid workbook,
// where the decoding path (excelize's row iterator, our bounds, the table
// checks) meets it rather than the zip reader.
func FuzzWorkbookSheetXML(f *testing.F) {
	f.Add(sheetXML(headerRowXML + `<row r="2"><c r="A2" t="inlineStr"><is><t>NOH-1</t></is></c><c r="B2" t="inlineStr"><is><t>NOH</t></is></c><c r="C2" t="inlineStr"><is><t>10.20.8.1</t></is></c><c r="D2" t="inlineStr"><is><t>facility</t></is></c><c r="E2" t="inlineStr"><is><t>CEJ</t></is></c><c r="F2" t="inlineStr"><is><t>milestone</t></is></c></row>`))
	f.Add(sheetXML(headerRowXML + `<row r="3"><c r="C3" t="s"><v>0</v></c><c r="XFD3"><v>1</v></c></row>`))
	f.Fuzz(func(t *testing.T, xml []byte) {
		if len(xml) > 1<<16 {
			return
		}
		l := inventory.NewRegistryLoader(inventory.ColumnMap{})
		readWorkbook(l, "f.xlsx", withSheetXML(t, xml), "", limits{unzipped: 8 << 20, partInMemory: 4 << 20, cells: 1 << 20})
		reg, errs := l.Result()
		checkResult(t, reg, errs)
	})
}
