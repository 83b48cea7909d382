package inventory

import (
	"fmt"
	"strings"

	"github.com/camsweep/camsweep/internal/yamlpos"
)

// RowError is one problem at a position in an input file: a registry row, a
// registry header or a policy entry. It reads "file:line:col: msg", the form
// editors and CI annotations jump to. Column counts characters from 1; it is
// 0 when the parser could not tell (some YAML syntax errors), and is then left
// out.
type RowError struct {
	File   string
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
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

func (e *RowError) Unwrap() error { return e.Err }

// posErrors collects RowErrors for one file.
type posErrors struct {
	file string
	errs []error
	// final holds conclusions ("no rows loaded") that belong after the
	// problems that caused them, whatever their position.
	final []error
}

func (p *posErrors) add(line, col int, field, format string, args ...any) {
	p.errs = append(p.errs, &RowError{File: p.file, Line: line, Column: col, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// yamlSyntaxError gives a YAML syntax error the file:line form; the yaml
// library names the line in its message but offers no column.
func yamlSyntaxError(file string, err error) *RowError {
	return &RowError{File: file, Line: yamlpos.Line(err), Msg: "YAML: " + err.Error(), Err: err}
}
