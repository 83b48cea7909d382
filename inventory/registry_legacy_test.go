package inventory

// The registry CSV loader as it was before it streamed (commit 5de4f16),
// kept only as the baseline of BenchmarkRegistryLoad: the whole file in
// memory, every raw row kept until all were read, and every field's
// column counted from the start of its line. Not used by camsweep.

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

func legacyParseRegistry(name string, data []byte, mapping ColumnMap, seen map[string]string) (*Registry, []error) {
	pe := &posErrors{file: name}
	var raws []rawRow
	raws = legacyParseRegistryCSV(pe, data, mapping.resolver())
	reg := &Registry{Rows: make([]Row, 0, len(raws))}
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
		if prev, dup := seen[row.ID]; dup {
			c := raw.cells[ColID]
			pe.add(c.line, c.col, ColID, "duplicate id %q (first at %s)", row.ID, prev)
			continue
		}
		seen[row.ID] = fmt.Sprintf("%s:%d", name, raw.line)
		reg.Rows = append(reg.Rows, row)
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
	return reg, append(pe.errs, pe.final...)
}

func legacyParseRegistryCSV(pe *posErrors, data []byte, res resolver) []rawRow {
	data = bytes.TrimPrefix(data, utf8BOM)
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		pe.add(1, 1, "", "file is UTF-16 (Excel's \"Unicode text\"); export it as \"CSV UTF-8\"")
		return nil
	}
	lines := legacyLineStarts(data)
	col := func(line, byteCol int) int { return legacyRuneCol(data, lines, line, byteCol) }

	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = legacySniffComma(data)
	r.FieldsPerRecord = -1 // field counts are checked per row, against the header
	r.LazyQuotes = false

	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			pe.add(1, 1, "", "empty file: want a header line with %s", strings.Join(Columns, ", "))
			return nil
		}
		legacyAddCSVError(pe, err, col)
		pe.final = append(pe.final, &RowError{File: pe.file, Line: 1, Column: 1, Msg: "no rows loaded: the header line could not be read"})
		return nil
	}
	cols := make([]string, len(header)) // field index -> canonical column, "" to skip
	have := map[string]bool{}
	headerOK := true
	for i, h := range header {
		line, bc := r.FieldPos(i)
		canon, ignored := res.column(h)
		switch {
		case canon != "" && have[canon]:
			pe.add(line, col(line, bc), canon, "header %q: column %s appears twice", h, canon)
			headerOK = false
		case canon != "":
			cols[i] = canon
			have[canon] = true
		case ignored:
		case strings.TrimSpace(h) == "":
			pe.add(line, col(line, bc), "", "header %d is empty: name it, or map or ignore it in the column map", i+1)
		default:
			pe.add(line, col(line, bc), "", "unknown column %q: map it to a camsweep column or list it under ignore in the column map", h)
		}
	}
	var missing []string
	for _, c := range []string{ColID, ColSite, ColCategory, ColOwner, ColVMS} {
		if !have[c] {
			missing = append(missing, c)
		}
	}
	if !have[ColIP] && !have[ColMAC] && !have[ColSerial] {
		missing = append(missing, "one of ip, mac, serial")
	}
	if len(missing) > 0 || !headerOK {
		if len(missing) > 0 {
			pe.add(1, 1, "", "header lacks %s", strings.Join(missing, ", "))
		}
		pe.final = append(pe.final, &RowError{File: pe.file, Line: 1, Column: 1, Msg: "no rows loaded: fix the header (or the column map) first"})
		return nil
	}

	var rows []rawRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			legacyAddCSVError(pe, err, col)
			continue
		}
		if legacyAllEmpty(rec) {
			continue
		}
		line, _ := r.FieldPos(0)
		raw := rawRow{line: line, col: 1, cells: make(map[string]cell, len(Columns))}
		for i, v := range rec {
			fl, bc := r.FieldPos(i)
			if i >= len(cols) {
				if strings.TrimSpace(v) != "" {
					pe.add(fl, col(fl, bc), "", "row has %d fields, the header %d", len(rec), len(header))
					raw.bad = true
				}
				continue
			}
			if cols[i] == "" {
				continue
			}
			raw.cells[cols[i]] = cell{value: strings.TrimSpace(v), line: fl, col: col(fl, bc)}
		}
		if len(rec) < len(header) {
			fl, bc := r.FieldPos(len(rec) - 1)
			pe.add(fl, col(fl, bc)+utf8.RuneCountInString(rec[len(rec)-1]), "", "row has %d fields, the header %d (a missing separator?)", len(rec), len(header))
			raw.bad = true
		}
		rows = append(rows, raw)
	}
	return rows
}

func legacyAddCSVError(pe *posErrors, err error, col func(line, byteCol int) int) {
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		pe.errs = append(pe.errs, &RowError{File: pe.file, Line: perr.Line, Column: col(perr.Line, perr.Column), Msg: "CSV: " + perr.Err.Error(), Err: err})
		return
	}
	pe.errs = append(pe.errs, &RowError{File: pe.file, Msg: "CSV: " + err.Error(), Err: err})
}

func legacyAllEmpty(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// sniffComma picks the separator of the header line (outside quotes):
// whichever of ';', ',' and tab occurs most, comma on a tie.
func legacySniffComma(data []byte) rune {
	counts := map[rune]int{}
	inQuote := false
	for _, b := range data {
		if b == '"' {
			inQuote = !inQuote
			continue
		}
		if inQuote {
			continue
		}
		if b == '\n' {
			break
		}
		switch b {
		case ';', ',', '\t':
			counts[rune(b)]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// lineStarts returns the byte offset of each line's start; index 0 is line 1.
func legacyLineStarts(data []byte) []int {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// runeCol converts the csv package's 1-based byte column into a 1-based
// character column, so "Børneafdeling" does not push the column off by one.
func legacyRuneCol(data []byte, starts []int, line, byteCol int) int {
	if line < 1 || line > len(starts) || byteCol < 1 {
		return byteCol
	}
	s := starts[line-1]
	e := min(s+byteCol-1, len(data))
	return utf8.RuneCount(data[s:e]) + 1
}
