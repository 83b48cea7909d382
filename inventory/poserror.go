package inventory

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/camsweep/camsweep/internal/yamlpos"
)

// RowError is one problem at a position in an input file: a registry row, a
// registry header or a policy entry. It reads "file:line:col: msg", the form
// editors and CI annotations jump to. Column counts characters from 1; it is
// 0 when the parser could not tell (some YAML syntax errors), and is then left
// out.
//
// In a workbook (Sheet set) Line is the row number and Column the column
// number, both from 1, and the error reads "file: Sheet!C7: msg", the cell
// reference the registry keeper types into the spreadsheet's name box.
type RowError struct {
	File   string
	Sheet  string
	Line   int
	Column int
	// Field is the canonical column or policy key the problem is in, "" when
	// it concerns the whole row.
	Field string
	Msg   string
	// Err is the underlying cause, when there is one (for errors.Is/As).
	Err error
}

func (e *RowError) Error() string {
	return e.where() + ": " + e.Msg
}

// where is the position part of the message: "file:line:col", or
// "file: Sheet!C7" in a workbook. A Column below 0 names the whole row
// ("file:12", "file: Sheet!12:12"), as a reference to where a row was loaded.
func (e *RowError) where() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Sheet != "" {
		b.WriteString(": ")
		b.WriteString(SheetRef(e.Sheet))
		switch {
		case e.Line > 0 && e.Column < 0:
			fmt.Fprintf(&b, "!%d:%d", e.Line, e.Line)
		case e.Line > 0:
			b.WriteByte('!')
			b.WriteString(CellName(max(e.Column, 1), e.Line))
		}
		return b.String()
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	return b.String()
}

func (e *RowError) Unwrap() error { return e.Err }

// CellName is a spreadsheet cell reference: column 3, row 7 is "C7".
func CellName(col, row int) string {
	return ColumnName(col) + strconv.Itoa(row)
}

// ColumnName is a spreadsheet column's letters: 1 is A, 27 is AA.
func ColumnName(col int) string {
	var b []byte
	for col > 0 {
		col--
		b = append(b, byte('A'+col%26))
		col /= 26
	}
	slices.Reverse(b)
	return string(b)
}

// SheetRef writes a sheet name as a formula would: quoted when it holds
// anything but letters, digits and underscores ('Kameraer NOH'!C7), with
// inner quotes doubled.
func SheetRef(name string) string {
	plain := name != ""
	for i, r := range name {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			plain = false
			break
		}
	}
	if plain {
		return name
	}
	return "'" + strings.ReplaceAll(name, "'", "''") + "'"
}

// posErrors collects RowErrors for one file (or one sheet of a workbook).
type posErrors struct {
	file  string
	sheet string
	errs  []error
	// final holds conclusions ("no rows loaded") that belong after the
	// problems that caused them, whatever their position.
	final []error
}

func (p *posErrors) add(line, col int, field, format string, args ...any) {
	p.errs = append(p.errs, &RowError{File: p.file, Sheet: p.sheet, Line: line, Column: col, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// yamlSyntaxError gives a YAML syntax error the file:line form; the yaml
// library names the line in its message but offers no column.
func yamlSyntaxError(file string, err error) *RowError {
	return &RowError{File: file, Line: yamlpos.Line(err), Msg: "YAML: " + err.Error(), Err: err}
}
