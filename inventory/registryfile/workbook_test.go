package registryfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/registryfile/workbooktest"
)

const examples = "../../deploy/examples/"

// sheetCells is a sheet as the test writes it: cell reference -> value.
type sheetCells = map[string]any

// workbook writes an .xlsx with the named sheets in order; hidden names
// sheets to hide.
func workbook(tb testing.TB, sheets []string, cells map[string]sheetCells, hidden ...string) []byte {
	tb.Helper()
	out := make([]workbooktest.Sheet, len(sheets))
	for i, name := range sheets {
		out[i] = workbooktest.Sheet{Name: name, Cells: cells[name], Hidden: slices.Contains(hidden, name)}
	}
	return workbooktest.Workbook(tb, out...)
}

// exampleAsSheet lays the example CMDB export (CSV) out on a sheet as a
// spreadsheet would hold it, starting at row start.
func exampleAsSheet(t *testing.T, start int) sheetCells {
	t.Helper()
	data, err := os.ReadFile(examples + "registry.csv")
	if err != nil {
		t.Fatal(err)
	}
	return workbooktest.CSVCells(t, data, ';', start)
}

func exampleColumns(t *testing.T) inventory.ColumnMap {
	t.Helper()
	m, err := inventory.LoadColumnMap(examples + "registry-columns.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func withoutLines(rows []inventory.Row) []inventory.Row {
	out := slices.Clone(rows)
	for i := range out {
		out[i].Line = 0
	}
	return out
}

// TestWorkbookLoadsLikeCSV writes the example CMDB export into a workbook
// (its sheet behind a hidden and a cover sheet, the header on row 3 below an
// empty title row) and checks that every row loads exactly as from the CSV,
// through the same column map, with row numbers as the spreadsheet shows them.
func TestWorkbookLoadsLikeCSV(t *testing.T) {
	mapping := exampleColumns(t)
	want, errs := inventory.LoadRegistry(examples+"registry.csv", mapping)
	if len(errs) > 0 || len(want.Rows) < 10 {
		t.Fatalf("example CSV: %d rows, errors %v", len(want.Rows), errs)
	}
	data := workbook(t, []string{"Gammel", "Kameraer NOH", "Forside"}, map[string]sheetCells{
		"Gammel":       {"A1": "id", "B1": "stale copy"},
		"Kameraer NOH": exampleAsSheet(t, 3),
		"Forside":      {"A1": "Kameraregister, udtræk"},
	}, "Gammel")

	tests := []struct {
		name  string
		sheet string
	}{
		{"named sheet", "Kameraer NOH"},
		{"sheet name in another case", "kameraer noh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mapping
			m.Sheet = tt.sheet
			got, errs := Parse("noh.xlsx", data, m)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if !reflect.DeepEqual(withoutLines(got.Rows), withoutLines(want.Rows)) {
				t.Fatalf("workbook rows differ from the CSV's:\n got %+v\nwant %+v", got.Rows, want.Rows)
			}
			// The CSV's line n (header on line 1) is the sheet's row n+2.
			for i := range got.Rows {
				if got.Rows[i].Line != want.Rows[i].Line+2 {
					t.Errorf("row %s at sheet row %d, want %d", got.Rows[i].ID, got.Rows[i].Line, want.Rows[i].Line+2)
				}
			}
		})
	}

	// Without a sheet name the first visible sheet is read: here the
	// registry, since the stale copy before it is hidden.
	got, errs := Parse("noh.xlsx", data, mapping)
	if len(errs) > 0 || len(got.Rows) != len(want.Rows) {
		t.Errorf("first visible sheet: %d rows, errors %v", len(got.Rows), errs)
	}
}

// TestWorkbookStoredValues checks that numbers typed into cells read as a
// CSV export writes them, and that empty rows and trailing empty cells are
// nothing to report.
func TestWorkbookStoredValues(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	for ref, v := range map[string]any{
		"A1": "id", "B1": "site", "C1": "serial", "D1": "category", "E1": "owner", "F1": "vms", "G1": "location",
		"A2": 1001, "B2": "NOH", "C2": 123456789012345, "D2": "facility", "E2": "CEJ", "F2": "milestone", "G2": "Gang\nved akutmodtagelse",
		// row 3 left empty, as people leave a gap
		"A4": "NOH-2", "B4": "NOH", "C4": 1234567, "D4": "medico", "E4": "CIMT", "F4": "Milestone",
	} {
		if err := f.SetCellValue("Sheet1", ref, v); err != nil {
			t.Fatal(err)
		}
	}
	// A thousands-separator format shows 1,234,567; the stored value is read.
	style, err := f.NewStyle(&excelize.Style{NumFmt: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle("Sheet1", "C4", "C4", style); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	reg, errs := Parse("r.xlsx", buf.Bytes(), inventory.ColumnMap{})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	got := make([][4]string, len(reg.Rows))
	for i, r := range reg.Rows {
		got[i] = [4]string{r.ID, r.Serial, r.Location, r.VMS}
	}
	want := [][4]string{
		{"1001", "123456789012345", "Gang ved akutmodtagelse", "milestone"},
		{"NOH-2", "1234567", "", "milestone"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if reg.Rows[1].Line != 4 {
		t.Errorf("second row at line %d, want sheet row 4", reg.Rows[1].Line)
	}
}

// TestWorkbookErrorsNameTheCell writes bad cells at known places and checks
// each error names its cell the way the spreadsheet does. The expected
// references are the ones the test wrote the values to.
func TestWorkbookErrorsNameTheCell(t *testing.T) {
	header := sheetCells{"B2": "Aktiv-ID", "C2": "Matrikel", "D2": "IP-adresse", "E2": "MAC-adresse", "F2": "Kategori", "G2": "Ejer", "H2": "VMS"}
	good := func(row string, id, ip string) sheetCells {
		return sheetCells{"B" + row: id, "C" + row: "NOH", "D" + row: ip, "F" + row: "facility", "G" + row: "CEJ", "H" + row: "milestone"}
	}
	cells := sheetCells{}
	for _, part := range []sheetCells{
		header,
		good("3", "NOH-1", "10.20.8.11"),
		good("4", "NOH-2", "10.20.8.300"), // bad IP in D4
		good("5", "NOH-3", "10.20.8.13"),
		good("7", "NOH-1", "10.20.8.14"), // id of row 3 again, in B7
		good("8", "NOH-5", "10.20.8.15"),
		{"E8": "44:19:b6"}, // bad MAC in E8
		good("9", "NOH-6", "10.20.8.16"),
		{"G9": "CIMT"}, // facility owned by CIMT, in G9
		good("10", "NOH-7", "10.20.8.17"),
		{"J10": "stray note"}, // a value right of the header, J10
	} {
		for k, v := range part {
			cells[k] = v
		}
	}
	mapping := inventory.ColumnMap{Columns: map[string]string{
		"id": "Aktiv-ID", "site": "Matrikel", "ip": "IP-adresse", "mac": "MAC-adresse", "category": "Kategori", "owner": "Ejer",
	}}
	data := workbook(t, []string{"Kameraer NOH"}, map[string]sheetCells{"Kameraer NOH": cells})
	reg, errs := Parse("noh.xlsx", data, mapping)
	want := []string{
		`noh.xlsx: 'Kameraer NOH'!D4: ip "10.20.8.300": not an IP address`,
		`noh.xlsx: 'Kameraer NOH'!B7: duplicate id "NOH-1" (first at noh.xlsx: 'Kameraer NOH'!3:3)`,
		`noh.xlsx: 'Kameraer NOH'!E8: mac "44:19:b6"`,
		`noh.xlsx: 'Kameraer NOH'!G9: `,
		`noh.xlsx: 'Kameraer NOH'!J10: a value in a column without a header`,
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(want), errs)
	}
	for i, err := range errs {
		if !strings.HasPrefix(err.Error(), want[i]) {
			t.Errorf("error %d = %q, want it to start %q", i, err, want[i])
		}
		var re *inventory.RowError
		if !errors.As(err, &re) || re.Sheet != "Kameraer NOH" {
			t.Errorf("error %d is not a *RowError on the sheet: %#v", i, err)
		}
	}
	ids := make([]string, len(reg.Rows))
	for i, r := range reg.Rows {
		ids[i] = r.ID
	}
	if !slices.Equal(ids, []string{"NOH-1", "NOH-3"}) {
		t.Errorf("loaded %v, want the two good rows", ids)
	}
}

func TestWorkbookFileErrors(t *testing.T) {
	twoSheets := workbook(t, []string{"Forside", "Kameraer"}, map[string]sheetCells{"Kameraer": {"A1": "id"}})
	tests := []struct {
		name  string
		data  []byte
		sheet string
		want  []string
	}{
		{"no such sheet", twoSheets, "Cameras", []string{`r.xlsx: no sheet "Cameras": the workbook has "Forside", "Kameraer"`}},
		{"empty first sheet", twoSheets, "", []string{"r.xlsx: Forside: empty sheet: want a header row"}},
		{"header lacks columns", twoSheets, "Kameraer", []string{
			"r.xlsx: Kameraer!A1: header lacks site, category, owner, vms, one of ip, mac, serial",
			"r.xlsx: Kameraer!A1: no rows loaded: fix the header"}},
		{"old xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...), "", []string{"r.xlsx: an old-style .xls workbook, or one saved with a password"}},
		{"not a zip", []byte("id,site\n"), "", []string{"r.xlsx: not a readable .xlsx workbook: zip: not a valid zip file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := Parse("r.xlsx", tt.data, inventory.ColumnMap{Sheet: tt.sheet})
			if len(errs) != len(tt.want) {
				t.Fatalf("got %v, want %q", errs, tt.want)
			}
			for i, err := range errs {
				if !strings.HasPrefix(err.Error(), tt.want[i]) {
					t.Errorf("error %d = %q, want it to start %q", i, err, tt.want[i])
				}
			}
		})
	}
}

// withSheetXML returns a valid workbook whose first sheet is replaced by
// the given worksheet XML, for what no spreadsheet program would write.
func withSheetXML(t testing.TB, sheetXML []byte) []byte {
	t.Helper()
	base := workbook(t, []string{"Sheet1"}, map[string]sheetCells{"Sheet1": {"A1": "id", "B1": "site"}})
	zr, err := zip.NewReader(bytes.NewReader(base), int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == "xl/worksheets/sheet1.xml" {
			if _, err := w.Write(sheetXML); err != nil {
				t.Fatal(err)
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func sheetXML(rows string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rows + `</sheetData></worksheet>`)
}

const headerRowXML = `<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>site</t></is></c><c r="C1" t="inlineStr"><is><t>ip</t></is></c><c r="D1" t="inlineStr"><is><t>category</t></is></c><c r="E1" t="inlineStr"><is><t>owner</t></is></c><c r="F1" t="inlineStr"><is><t>vms</t></is></c></row>`

// TestWorkbookBounds feeds sheets no spreadsheet program writes: a row past
// Excel's last, a shared string that does not exist, a zip bomb, and a
// sheet of cells far to the right. Each ends in an error, never a hang or
// an unbounded allocation.
func TestWorkbookBounds(t *testing.T) {
	var wide strings.Builder
	wide.WriteString(headerRowXML)
	for r := 2; r <= 40; r++ {
		ref := inventory.CellName(16384, r)
		wide.WriteString(`<row r="` + strings.TrimLeft(ref, "XFD") + `"><c r="` + ref + `" t="inlineStr"><is><t>x</t></is></c></row>`)
	}
	var big strings.Builder
	big.WriteString(headerRowXML)
	for r := 2; r <= 20000; r++ {
		big.WriteString(`<row><c t="inlineStr"><is><t>padding padding padding padding</t></is></c></row>`)
	}
	tests := []struct {
		name string
		xml  []byte
		lim  limits
		want string
	}{
		{"row past the last", sheetXML(headerRowXML + `<row r="1048577"><c r="A1048577" t="inlineStr"><is><t>x</t></is></c></row>`), defaults,
			"r.xlsx: Sheet1: a row past Excel's last row 1048576"},
		{"bad cell reference", sheetXML(headerRowXML + `<row r="2"><c r="2A" t="inlineStr"><is><t>x</t></is></c></row>`), defaults,
			"r.xlsx: Sheet1!A2: row cannot be read"},
		{"cells far right", sheetXML(wide.String()), limits{unzipped: defaults.unzipped, partInMemory: defaults.partInMemory, cells: 100_000},
			"r.xlsx: Sheet1!A8: more than 100000 cells"},
		{"broken XML after a good row", sheetXML(headerRowXML + `<row r="2"><c r="A2" t="inlineStr"><is><t>NOH-1</t></is></c></row><row r="3"><c r="A3" <<</row>`), defaults,
			"r.xlsx: Sheet1!A3: the sheet's XML breaks at line 2 of xl/worksheets/sheet1.xml"},
		{"zip bomb", sheetXML(big.String()), limits{unzipped: 1 << 20, partInMemory: 1 << 20, cells: defaults.cells},
			"r.xlsx: not a readable .xlsx workbook: unzip size exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := inventory.NewRegistryLoader(inventory.ColumnMap{})
			readWorkbook(l, "r.xlsx", withSheetXML(t, tt.xml), "", tt.lim)
			_, errs := l.Result()
			if !slices.ContainsFunc(errs, func(err error) bool { return strings.HasPrefix(err.Error(), tt.want) }) {
				t.Fatalf("got %v, want an error starting %q", errs, tt.want)
			}
		})
	}
}

func TestLoadMixesFormats(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "rh.csv")
	if err := os.WriteFile(csvPath, []byte("id,site,ip,category,owner,vms\nRH-1,RH,10.30.8.1,facility,CEJ,milestone\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	xlsxPath := filepath.Join(dir, "noh.xlsx")
	data := workbook(t, []string{"Sheet1"}, map[string]sheetCells{"Sheet1": {
		"A1": "id", "B1": "site", "C1": "ip", "D1": "category", "E1": "owner", "F1": "vms",
		"A2": "NOH-1", "B2": "NOH", "C2": "10.20.8.1", "D2": "facility", "E2": "CEJ", "F2": "milestone",
		"A3": "RH-1", "B3": "NOH", "C3": "10.20.8.2", "D3": "facility", "E3": "CEJ", "F3": "milestone",
	}})
	if err := os.WriteFile(xlsxPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// A workbook under a name without an extension is recognised by its bytes.
	sniffed := filepath.Join(dir, "export")
	if err := os.WriteFile(sniffed, data, 0o600); err != nil {
		t.Fatal(err)
	}
	reg, errs := Load([]string{csvPath, xlsxPath, filepath.Join(dir, "missing.xlsx")}, inventory.ColumnMap{})
	if len(reg.Rows) != 2 || len(errs) != 2 {
		t.Fatalf("rows %v, errors %v; want RH-1 and NOH-1, and 2 errors", reg.Rows, errs)
	}
	if want := xlsxPath + `: Sheet1!A3: duplicate id "RH-1" (first at ` + csvPath + `:2)`; errs[0].Error() != want {
		t.Errorf("got %q, want %q", errs[0], want)
	}
	if !strings.HasPrefix(errs[1].Error(), "registryfile: load registry: ") || !errors.Is(errs[1], os.ErrNotExist) {
		t.Errorf("got %v, want a wrapped not-exist error", errs[1])
	}
	reg, errs = Load([]string{sniffed}, inventory.ColumnMap{})
	if len(reg.Rows) != 2 || len(errs) != 0 {
		t.Errorf("sniffed workbook: rows %d, errors %v", len(reg.Rows), errs)
	}
}
