package inventory

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// cell is one value of a raw registry row and where it stands in the file.
type cell struct {
	value     string
	line, col int
}

// rawRow is a registry row as a format parser read it, before validation:
// canonical column -> cell. Parsers report structural problems (syntax,
// unknown keys) themselves and mark the row bad so it is not loaded.
type rawRow struct {
	line, col int
	cells     map[string]cell
	bad       bool
}

// LoadRegistry reads one registry file; see ParseRegistry.
func LoadRegistry(path string, mapping ColumnMap) (*Registry, []error) {
	return LoadRegistries([]string{path}, mapping)
}

// LoadRegistries reads several registry files as one registry (a CMDB may be
// exported per site). An ID used twice, in one file or across files, is an
// error on the later row. Every problem in every file is returned; the
// Registry holds exactly the rows that had none. It reads the text formats
// (see ParseRegistry); inventory/registryfile reads workbooks too.
func LoadRegistries(paths []string, mapping ColumnMap) (*Registry, []error) {
	l := NewRegistryLoader(mapping)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			l.Fail(fmt.Errorf("inventory: load registry: %w", err))
			continue
		}
		l.Parse(p, data)
	}
	return l.Result()
}

// ParseRegistry parses a registry from data. The format follows the name's
// extension (.csv, .json, .yaml, .yml); any other name is sniffed: a first
// character of '[' or '{' means JSON, a leading "- " or "rows:" YAML, else
// CSV. Every problem comes back as a *RowError (file:line:col); rows with a
// problem are left out of the Registry and every other row is in it, so
// nothing is dropped without an error saying so.
func ParseRegistry(name string, data []byte, mapping ColumnMap) (*Registry, []error) {
	l := NewRegistryLoader(mapping)
	l.Parse(name, data)
	return l.Result()
}

// RegistryLoader reads registry inputs one after another into one registry,
// so that an ID used twice across inputs is caught like one used twice in a
// file. The text formats come through Parse; a worksheet read by a workbook
// reader (inventory/registryfile) comes through ParseSheet, so this package
// needs no zip or XML code.
type RegistryLoader struct {
	mapping ColumnMap
	res     resolver
	reg     Registry
	errs    []error
	seen    map[string]string // id -> where it was first loaded
}

// NewRegistryLoader starts an empty registry read with mapping.
func NewRegistryLoader(mapping ColumnMap) *RegistryLoader {
	return &RegistryLoader{mapping: mapping, res: mapping.resolver(), seen: map[string]string{}}
}

// Parse adds a registry file in a text format; see ParseRegistry.
func (l *RegistryLoader) Parse(name string, data []byte) {
	pe := &posErrors{file: name}
	var raws []rawRow
	switch registryFormat(name, data) {
	case "json":
		raws = parseRegistryJSON(pe, data, l.res)
	case "yaml":
		raws = parseRegistryYAML(pe, data, l.res)
	case "workbook":
		pe.add(0, 0, "", "an Excel workbook: read it with inventory/registryfile, or save it as CSV UTF-8")
	default:
		raws = parseRegistryCSV(pe, data, l.res)
	}
	l.add(pe, raws)
}

// SheetRow is one row of a worksheet: Num is its number as the spreadsheet
// shows it (from 1), Cells its values from column A on. A reader may leave
// empty rows out.
type SheetRow struct {
	Num   int
	Cells []string
}

// ParseSheet adds a registry kept as one worksheet of a workbook file. The
// first row with a value is the header; below it, rows whose every cell is
// empty are skipped and every other row loads or gets an error. Columns map
// and values validate exactly as in a CSV file, and errors name the cell
// ("noh.xlsx: Kameraer!C7: ..."). An error from rows (the sheet could not be
// read on) is recorded where it stopped, and what was read before it counts.
func (l *RegistryLoader) ParseSheet(file, sheet string, rows iter.Seq2[SheetRow, error]) {
	pe := &posErrors{file: file, sheet: sheet}
	var (
		tab    *table
		raws   []rawRow
		header bool
	)
	for row, err := range rows {
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				re = &RowError{File: file, Sheet: sheet, Line: row.Num, Column: 1, Msg: err.Error(), Err: err}
			}
			pe.errs = append(pe.errs, re)
			break
		}
		if allEmpty(row.Cells) {
			continue
		}
		pos := func(i int) (int, int) { return row.Num, i + 1 }
		if !header {
			header = true
			tab = &table{pe: pe, res: l.res, sheet: true}
			if !tab.readHeader(row.Cells, pos) {
				// Read on, unvalidated, only to report a broken sheet.
				tab = nil
			}
			continue
		}
		if tab != nil {
			raws = append(raws, tab.row(row.Cells, pos))
		}
	}
	if !header && len(pe.errs) == 0 {
		pe.errs = append(pe.errs, &RowError{File: file, Sheet: sheet,
			Msg: "empty sheet: want a header row with " + strings.Join(Columns, ", ")})
	}
	l.add(pe, raws)
}

// Fail records a problem that kept an input from being read at all (a file
// that cannot be opened, a workbook without the sheet asked for).
func (l *RegistryLoader) Fail(err error) {
	l.errs = append(l.errs, err)
}

// Result returns the registry (the rows without a problem) and every
// problem, inputs in the order they were added, each in file order.
func (l *RegistryLoader) Result() (*Registry, []error) {
	reg := &Registry{Rows: slices.Clip(l.reg.Rows)}
	if reg.Rows == nil {
		reg.Rows = []Row{}
	}
	return reg, l.errs
}

// add validates one input's raw rows and keeps those without a problem.
func (l *RegistryLoader) add(pe *posErrors, raws []rawRow) {
	for _, raw := range raws {
		// A structurally broken row (wrong field count, unknown key) has
		// been reported; its values may sit in the wrong columns, so
		// validating them would only add confusing errors.
		if raw.bad {
			continue
		}
		row, ok := validateRow(pe, raw)
		if !ok {
			continue
		}
		if prev, dup := l.seen[row.ID]; dup {
			c := raw.cells[ColID]
			pe.add(c.line, c.col, ColID, "duplicate id %q (first at %s)", row.ID, prev)
			continue
		}
		l.seen[row.ID] = (&RowError{File: pe.file, Sheet: pe.sheet, Line: raw.line, Column: -1}).where()
		l.reg.Rows = append(l.reg.Rows, row)
	}
	// Parsers report structure first and values later; a registry keeper
	// reads the file top to bottom, so errors come in file order.
	slices.SortStableFunc(pe.errs, func(a, b error) int {
		ra, _ := a.(*RowError)
		rb, _ := b.(*RowError)
		if ra == nil || rb == nil {
			return 0
		}
		return cmp.Or(cmp.Compare(ra.Line, rb.Line), cmp.Compare(ra.Column, rb.Column))
	})
	l.errs = append(append(l.errs, pe.errs...), pe.final...)
}

func registryFormat(name string, data []byte) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return "json"
	case ".yaml", ".yml":
		return "yaml"
	case ".csv", ".txt":
		return "csv"
	case ".xlsx", ".xlsm", ".xls":
		return "workbook"
	}
	if IsWorkbook(data) {
		return "workbook"
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	switch {
	case len(t) > 0 && (t[0] == '[' || t[0] == '{'):
		return "json"
	case bytes.HasPrefix(t, []byte("- ")) || bytes.HasPrefix(t, []byte("rows:")) || bytes.HasPrefix(t, []byte("---")):
		return "yaml"
	}
	return "csv"
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// IsWorkbook reports whether data starts like a spreadsheet workbook: a zip
// archive (.xlsx) or an OLE2 compound file (.xls, or an .xlsx saved with a
// password), neither of which is a text registry.
func IsWorkbook(data []byte) bool {
	return bytes.HasPrefix(data, []byte("PK\x03\x04")) ||
		bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
}
