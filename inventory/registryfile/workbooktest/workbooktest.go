// Package workbooktest writes Excel workbooks for tests, the way
// net/http/httptest serves HTTP: a registry kept as a spreadsheet is made
// in the test, from cell references and values, rather than checked in as a
// binary file.
package workbooktest

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/camsweep/camsweep/inventory"
)

// Sheet is one worksheet: cell reference ("C7") -> value. Strings are
// stored as text and ints as numbers, as Excel stores what is typed.
type Sheet struct {
	Name   string
	Cells  map[string]any
	Hidden bool
}

// Workbook returns an .xlsx file holding the sheets in order.
func Workbook(tb testing.TB, sheets ...Sheet) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	active := -1
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.Name); err != nil {
				tb.Fatal(err)
			}
		} else if _, err := f.NewSheet(s.Name); err != nil {
			tb.Fatal(err)
		}
		for ref, v := range s.Cells {
			if err := f.SetCellValue(s.Name, ref, v); err != nil {
				tb.Fatal(err)
			}
		}
		if !s.Hidden && active < 0 {
			active = i
		}
	}
	// Excel cannot hide the active sheet: the first visible one is active.
	f.SetActiveSheet(max(active, 0))
	for _, s := range sheets {
		if s.Hidden {
			if err := f.SetSheetVisible(s.Name, false); err != nil {
				tb.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// CSVCells lays a CSV file's records out as a spreadsheet holds them, the
// first record on row startRow from column A, empty values left out. comma
// is the file's separator; a UTF-8 BOM is dropped.
func CSVCells(tb testing.TB, data []byte, comma rune, startRow int) map[string]any {
	tb.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	r.Comma = comma
	recs, err := r.ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	cells := map[string]any{}
	for i, rec := range recs {
		for j, v := range rec {
			if v != "" {
				cells[inventory.CellName(j+1, startRow+i)] = v
			}
		}
	}
	return cells
}
