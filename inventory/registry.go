package inventory

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"math"
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
// (see ParseRegistry) under the default Limits; inventory/registryfile
// reads workbooks too, and takes limits and a context.
func LoadRegistries(paths []string, mapping ColumnMap) (*Registry, []error) {
	l := NewRegistryLoader(mapping)
	for _, p := range paths {
		l.ReadFile(p)
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
// file. The text formats come through Read (streamed: a row is validated
// and kept, or reported, as soon as it is read, so memory holds the
// registry and not the file); a worksheet read by a workbook reader
// (inventory/registryfile) comes through ParseSheet, one row at a time
// too, so this package needs no zip or XML code. Limits bound what a load
// may hold, and the context ends a long load.
type RegistryLoader struct {
	mapping ColumnMap
	res     resolver
	reg     Registry
	errs    []error
	// seen maps a loaded row's id to where it was loaded, for the
	// duplicate-id error: 8 bytes a row rather than a string.
	seen   map[string]rowRef
	inputs []posErrors // file and sheet of each input, by rowRef.input
	lim    Limits
	ctx    context.Context
	// stop is what ended the load early: a limit or cancellation. The
	// registry is then partial and must not be reconciled against.
	stop error
	// cur is the input being read, for sizing the registry once its
	// first rows show how long a row is.
	cur struct {
		size  int64         // bytes, when known (a file)
		guard *guardReader  // bytes read so far
		in    *bufio.Reader // of which not yet parsed: in.Buffered()
		rows  int
	}
}

// rowRef is where a loaded row came from: its input and line.
type rowRef struct{ input, line int32 }

// NewRegistryLoader starts an empty registry read with mapping, under the
// default Limits and no cancellation.
func NewRegistryLoader(mapping ColumnMap) *RegistryLoader {
	return &RegistryLoader{mapping: mapping, res: mapping.resolver(), seen: map[string]rowRef{}, ctx: context.Background()}
}

// SetLimits replaces the default Limits.
func (l *RegistryLoader) SetLimits(lim Limits) { l.lim = lim }

// Limits are the limits the loader applies.
func (l *RegistryLoader) Limits() Limits { return l.lim }

// Mapping is the column map the loader reads with.
func (l *RegistryLoader) Mapping() ColumnMap { return l.mapping }

// SetContext makes cancelling ctx end the load (Ctrl-C, SIGTERM, a daemon
// shutting down), with an error saying so.
func (l *RegistryLoader) SetContext(ctx context.Context) { l.ctx = ctx }

// Context is the load's context; a workbook reader checks it between rows.
func (l *RegistryLoader) Context() context.Context { return l.ctx }

// Stopped is what ended the load before every input was read (a
// *LimitError, or the context's error), nil when nothing did. A stopped
// load's registry is partial: its missing rows would make registered
// cameras look unregistered.
func (l *RegistryLoader) Stopped() error { return l.stop }

// ReadFile opens path and reads it with Read.
func (l *RegistryLoader) ReadFile(path string) {
	if l.stop != nil {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		l.Fail(fmt.Errorf("inventory: load registry: %w", err))
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		l.SizeHint(fi.Size())
	}
	l.Read(path, f)
}

// SizeHint says how many bytes the next input holds, so the registry can
// be sized once its first rows show how long a row is, instead of grown
// by copying as it loads (growing a slice of a million rows copies it
// several times over, and the copies are what fills memory).
func (l *RegistryLoader) SizeHint(bytes int64) { l.cur.size = bytes }

// Parse adds a registry file held in memory; see Read.
func (l *RegistryLoader) Parse(name string, data []byte) { l.Read(name, bytes.NewReader(data)) }

// Read adds a registry file in a text format, read from r as a stream (see
// ParseRegistry for the formats). CSV and JSON are read row by row; YAML,
// which the YAML library reads only whole, is held whole and bounded by
// Limits.MaxYAMLBytes.
func (l *RegistryLoader) Read(name string, r io.Reader) {
	if l.stop != nil {
		return
	}
	pe := l.input(name, "")
	guard := &guardReader{r: r, ctx: l.ctx, file: name, max: l.lim.maxBytes()}
	l.cur.guard, l.cur.rows = guard, 0
	defer func() { l.cur.size, l.cur.guard, l.cur.in = 0, nil, nil }()
	in := bufio.NewReaderSize(guard, 64<<10)
	l.cur.in = in
	if b, _ := in.Peek(3); bytes.Equal(b, utf8BOM) {
		_, _ = in.Discard(3) // positions count from after the mark, as editors do
	}
	head, _ := in.Peek(64 << 10) // the format and separator are in the first line
	var err error
	switch registryFormat(name, head) {
	case "json":
		err = jsonRows(l.ctx, pe, in, l.res, l.lim, func(raw rawRow) bool { return l.addRow(pe, raw) })
	case "yaml":
		err = l.readYAML(pe, in)
	case "workbook":
		pe.add(0, 0, "", "an Excel workbook: read it with inventory/registryfile, or save it as CSV UTF-8")
	default:
		err = csvRows(l.ctx, pe, in, head, l.res, l.lim, func(raw rawRow) bool { return l.addRow(pe, raw) })
	}
	if err != nil && l.stop == nil {
		l.stop = err
	}
	l.finish(pe)
}

func (l *RegistryLoader) readYAML(pe *posErrors, in io.Reader) error {
	max := l.lim.maxYAMLBytes()
	data, err := io.ReadAll(io.LimitReader(in, max+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > max {
		return &LimitError{File: pe.file, Limit: "max_yaml_bytes", Value: max,
			What: fmt.Sprintf("a YAML registry larger than %d bytes (YAML is read whole; export a large registry as CSV)", max)}
	}
	for _, raw := range parseRegistryYAML(pe, data, l.res) {
		if !l.addRow(pe, raw) {
			break
		}
	}
	return nil
}

// input starts the errors of one input.
func (l *RegistryLoader) input(file, sheet string) *posErrors {
	l.inputs = append(l.inputs, posErrors{file: file, sheet: sheet})
	return &posErrors{file: file, sheet: sheet, max: maxErrorsPerInput}
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
// Rows are validated as they come, so a sheet costs memory for its loaded
// rows only.
func (l *RegistryLoader) ParseSheet(file, sheet string, rows iter.Seq2[SheetRow, error]) {
	if l.stop != nil {
		return
	}
	pe := l.input(file, sheet)
	var (
		tab    *table
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
		if cerr := l.ctx.Err(); cerr != nil {
			l.stop = fmt.Errorf("inventory: read registry %s: %w", file, cerr)
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
		if tab != nil && !l.addRow(pe, tab.row(row.Cells, pos)) {
			break
		}
	}
	if !header && len(pe.errs) == 0 && l.stop == nil {
		pe.errs = append(pe.errs, &RowError{File: file, Sheet: sheet,
			Msg: "empty sheet: want a header row with " + strings.Join(Columns, ", ")})
	}
	l.finish(pe)
}

// Fail records a problem that kept an input from being read at all (a file
// that cannot be opened, a workbook without the sheet asked for).
func (l *RegistryLoader) Fail(err error) {
	l.errs = append(l.errs, err)
}

// Result returns the registry (the rows without a problem) and every
// problem, inputs in the order they were added, each in file order; a load
// that was stopped ends with what stopped it.
func (l *RegistryLoader) Result() (*Registry, []error) {
	reg := &Registry{Rows: slices.Clip(l.reg.Rows)}
	if reg.Rows == nil {
		reg.Rows = []Row{}
	}
	errs := l.errs
	if l.stop != nil {
		errs = append(slices.Clip(errs), l.stop)
	}
	return reg, errs
}

// addRow validates one raw row and keeps it if it has no problem. It
// reports false when the load must stop: the row limit is reached. The
// row's cells may be reused by the parser once it returns.
func (l *RegistryLoader) addRow(pe *posErrors, raw rawRow) bool {
	// A structurally broken row (wrong field count, unknown key) has
	// been reported; its values may sit in the wrong columns, so
	// validating them would only add confusing errors.
	if raw.bad {
		return true
	}
	row, ok := validateRow(pe, raw)
	if !ok {
		return true
	}
	if prev, dup := l.seen[row.ID]; dup {
		c := raw.cells[ColID]
		in := l.inputs[prev.input]
		where := (&RowError{File: in.file, Sheet: in.sheet, Line: int(prev.line), Column: -1}).where()
		pe.add(c.line, c.col, ColID, "duplicate id %q (first at %s)", row.ID, where)
		return true
	}
	if max := l.lim.maxRows(); len(l.reg.Rows) >= max {
		l.stop = &LimitError{File: pe.file, Limit: "max_rows", Value: int64(max),
			What: fmt.Sprintf("more than %d registry rows (the rows after line %d were not read)", max, raw.line)}
		return false
	}
	if l.cur.rows++; l.cur.rows == sizingRows {
		l.presize()
	}
	l.seen[row.ID] = rowRef{input: int32(len(l.inputs) - 1), line: int32(min(raw.line, math.MaxInt32))}
	l.reg.Rows = append(l.reg.Rows, row)
	return true
}

// sizingRows is how many rows of a file are read before the registry is
// sized from their average length.
const sizingRows = 4096

// presize grows the registry (and the id index) once to what the rest of
// the current file will need, estimated from the rows read so far, and
// never past the row limit.
func (l *RegistryLoader) presize() {
	if l.cur.size <= 0 || l.cur.guard == nil || l.cur.in == nil {
		return
	}
	used := l.cur.guard.n - int64(l.cur.in.Buffered())
	if used <= 0 {
		return
	}
	perRow := float64(used) / float64(l.cur.rows)
	left := float64(max(l.cur.size-used, 0))
	want := min(len(l.reg.Rows)+int(left/perRow*1.1)+1, l.lim.maxRows())
	if want <= cap(l.reg.Rows) {
		return
	}
	l.reg.Rows = slices.Grow(l.reg.Rows, want-len(l.reg.Rows))
	seen := make(map[string]rowRef, want)
	maps.Copy(seen, l.seen)
	l.seen = seen
}

// finish files one input's errors, in file order: parsers report
// structure first and values later, and a registry keeper reads the file
// top to bottom.
func (l *RegistryLoader) finish(pe *posErrors) {
	slices.SortStableFunc(pe.errs, func(a, b error) int {
		ra, _ := a.(*RowError)
		rb, _ := b.(*RowError)
		if ra == nil || rb == nil {
			return 0
		}
		return cmp.Or(cmp.Compare(ra.Line, rb.Line), cmp.Compare(ra.Column, rb.Column))
	})
	l.errs = append(append(l.errs, pe.errs...), pe.final...)
	if pe.dropped > 0 {
		l.errs = append(l.errs, &RowError{File: pe.file, Sheet: pe.sheet,
			Msg: fmt.Sprintf("%d more problems not listed (only the first %d of a file are)", pe.dropped, pe.max)})
	}
}

// guardReader is every text registry's input: it ends the read when the
// context is cancelled or the file passes its size limit, with an error
// saying which.
type guardReader struct {
	r    io.Reader
	ctx  context.Context
	file string
	max  int64
	n    int64
}

func (g *guardReader) Read(p []byte) (int, error) {
	if err := g.ctx.Err(); err != nil {
		return 0, fmt.Errorf("inventory: read registry %s: %w", g.file, err)
	}
	if g.n > g.max {
		return 0, &LimitError{File: g.file, Limit: "max_bytes", Value: g.max, What: fmt.Sprintf("larger than %d bytes", g.max)}
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	return n, err
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
