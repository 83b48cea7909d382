package registryfile

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/camsweep/camsweep/inventory"
)

// limits bound what a workbook may cost, so a hostile or broken file costs
// bounded memory and time.
type limits struct {
	// unzipped bounds the workbook's parts once decompressed, so a zip
	// bomb is refused before it is inflated.
	unzipped int64
	// partInMemory is the size above which excelize moves a sheet or the
	// shared strings to a temporary file instead of memory.
	partInMemory int64
	// cells bounds the cells read from the sheet, counting the empty ones
	// before the last value of each row: a row whose one value sits in
	// column XFD still costs 16,384.
	cells int
}

// defaults fit a registry of 100,000 cameras with 20 columns (2 million
// cells, a few MB unzipped) many times over.
var defaults = limits{unzipped: 256 << 20, partInMemory: 16 << 20, cells: 16 << 20}

// oleMagic starts an OLE2 compound file: an old .xls workbook, or an .xlsx
// saved with a password (encrypted inside such a container).
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// readWorkbook reads the registry sheet of an .xlsx workbook into l.
func readWorkbook(l *inventory.RegistryLoader, name string, data []byte, sheet string, lim limits) {
	fail := func(format string, args ...any) {
		l.Fail(&inventory.RowError{File: name, Msg: fmt.Sprintf(format, args...)})
	}
	if bytes.HasPrefix(data, oleMagic) {
		fail("an old-style .xls workbook, or one saved with a password: save it as an Excel Workbook (.xlsx) without a password, or as CSV UTF-8")
		return
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    lim.unzipped,
		UnzipXMLSizeLimit: lim.partInMemory,
	})
	if err != nil {
		fail("not a readable .xlsx workbook: %v", err)
		return
	}
	defer f.Close() // removes excelize's temporary files, if it made any
	name2, err := pickSheet(f, sheet)
	if err != nil {
		fail("%v", err)
		return
	}
	rows, err := f.Rows(name2)
	if err != nil {
		l.Fail(&inventory.RowError{File: name, Sheet: name2, Msg: fmt.Sprintf("sheet cannot be read: %v", err), Err: err})
		return
	}
	defer rows.Close()
	l.ParseSheet(name, name2, sheetRows(rows, lim.cells, func() error { return sheetWellFormed(data, name2) }))
}

// sheetRows yields the sheet's rows, numbered as the spreadsheet numbers
// them, and stops with an error at the first problem or bound. wellFormed
// is asked once the iterator ends, since excelize's iterator ends at a
// syntax error without saying so.
func sheetRows(rows *excelize.Rows, maxCells int, wellFormed func() error) iter.Seq2[inventory.SheetRow, error] {
	return func(yield func(inventory.SheetRow, error) bool) {
		num, cells := 0, 0
		for rows.Next() {
			num++
			// The stored value, not the displayed one: an asset number
			// typed as a number with a thousands format reads 1234567,
			// not "1,234,567", as a CSV export of the same cell would.
			values, err := rows.Columns(excelize.Options{RawCellValue: true})
			if errors.Is(err, excelize.ErrMaxRows) {
				// This row was read whole; the next one is past the end.
				if yield(inventory.SheetRow{Num: num, Cells: values}, nil) {
					yield(inventory.SheetRow{}, errPastLastRow)
				}
				return
			}
			if err != nil {
				yield(inventory.SheetRow{Num: num}, fmt.Errorf("row cannot be read (rows below it were not read): %w", err))
				return
			}
			cells += len(values)
			if cells > maxCells {
				yield(inventory.SheetRow{Num: num}, fmt.Errorf("more than %d cells by this row, empty ones before a row's last value included; a registry is smaller (rows below it were not read)", maxCells))
				return
			}
			if !yield(inventory.SheetRow{Num: num, Cells: values}, nil) {
				return
			}
		}
		if err := rows.Error(); err != nil {
			if errors.Is(err, excelize.ErrMaxRows) {
				err = errPastLastRow
			}
			yield(inventory.SheetRow{}, err)
			return
		}
		if err := wellFormed(); err != nil {
			yield(inventory.SheetRow{Num: num}, fmt.Errorf("%w (row %d and the rows below it were not read whole)", err, num))
		}
	}
}

var errPastLastRow = fmt.Errorf("a row past Excel's last row %d (rows from there were not read)", excelize.TotalRows)

// pickSheet returns the sheet to read: the one named (exactly, or else
// ignoring case, as Excel compares sheet names), or the first visible one.
func pickSheet(f *excelize.File, want string) (string, error) {
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return "", errors.New("the workbook has no sheets")
	}
	if want == "" {
		for _, s := range sheets {
			if visible, err := f.GetSheetVisible(s); err == nil && visible {
				return s, nil
			}
		}
		return sheets[0], nil
	}
	for _, s := range sheets {
		if s == want {
			return s, nil
		}
	}
	for _, s := range sheets {
		if strings.EqualFold(s, want) {
			return s, nil
		}
	}
	quoted := make([]string, len(sheets))
	for i, s := range sheets {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "", fmt.Errorf("no sheet %q: the workbook has %s", want, strings.Join(quoted, ", "))
}
