package inventory

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// parseRegistryCSV reads a CSV registry as spreadsheets export it: comma or
// semicolon (Danish Excel writes semicolons), UTF-8 with or without a BOM,
// quoted fields with doubled quotes and line breaks, CRLF line ends. The
// first record is the header. Rows whose every cell is empty carry nothing
// (spreadsheets write them after the last row) and are skipped.
func parseRegistryCSV(pe *posErrors, data []byte, res resolver) []rawRow {
	data = bytes.TrimPrefix(data, utf8BOM)
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		pe.add(1, 1, "", "file is UTF-16 (Excel's \"Unicode text\"); export it as \"CSV UTF-8\"")
		return nil
	}
	lines := lineStarts(data)
	col := func(line, byteCol int) int { return runeCol(data, lines, line, byteCol) }

	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = sniffComma(data)
	r.FieldsPerRecord = -1 // field counts are checked per row, against the header
	r.LazyQuotes = false

	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			pe.add(1, 1, "", "empty file: want a header line with %s", strings.Join(Columns, ", "))
			return nil
		}
		addCSVError(pe, err, col)
		pe.final = append(pe.final, &RowError{File: pe.file, Line: 1, Column: 1, Msg: "no rows loaded: the header line could not be read"})
		return nil
	}
	tab := &table{pe: pe, res: res}
	if !tab.readHeader(header, func(i int) (int, int) {
		line, bc := r.FieldPos(i)
		return line, col(line, bc)
	}) {
		return nil
	}

	var rows []rawRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			addCSVError(pe, err, col)
			continue
		}
		if allEmpty(rec) {
			continue
		}
		raw := tab.row(rec, func(i int) (int, int) {
			line, bc := r.FieldPos(i)
			return line, col(line, bc)
		})
		if len(rec) < len(header) {
			fl, bc := r.FieldPos(len(rec) - 1)
			pe.add(fl, col(fl, bc)+utf8.RuneCountInString(rec[len(rec)-1]), "", "row has %d fields, the header %d (a missing separator?)", len(rec), len(header))
			raw.bad = true
		}
		rows = append(rows, raw)
	}
	return rows
}

func addCSVError(pe *posErrors, err error, col func(line, byteCol int) int) {
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		pe.errs = append(pe.errs, &RowError{File: pe.file, Line: perr.Line, Column: col(perr.Line, perr.Column), Msg: "CSV: " + perr.Err.Error(), Err: err})
		return
	}
	pe.errs = append(pe.errs, &RowError{File: pe.file, Msg: "CSV: " + err.Error(), Err: err})
}

func allEmpty(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// sniffComma picks the separator of the header line (outside quotes):
// whichever of ';', ',' and tab occurs most, comma on a tie.
func sniffComma(data []byte) rune {
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
func lineStarts(data []byte) []int {
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
func runeCol(data []byte, starts []int, line, byteCol int) int {
	if line < 1 || line > len(starts) || byteCol < 1 {
		return byteCol
	}
	s := starts[line-1]
	e := min(s+byteCol-1, len(data))
	return utf8.RuneCount(data[s:e]) + 1
}
