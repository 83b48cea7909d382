package inventory

import "strings"

// table turns a header and its records into raw rows. CSV files and workbook
// sheets share it, so both map, check and position their columns alike.
type table struct {
	pe   *posErrors
	res  resolver
	cols []string // field index -> canonical column, "" to skip
	// sheet marks a worksheet, where a table may start right of column A
	// and an empty column is layout, not a missing header: a header cell
	// is empty-but-fine unless a value sits below it.
	sheet bool
	blank []bool // field index -> its header is empty (sheets only)
}

// cellPos gives the line (or sheet row) and column of field i of a record.
type cellPos func(i int) (line, col int)

// readHeader resolves the header's cells to canonical columns. It reports
// false, having said why, when the header stops the whole table: a required
// column missing or a column named twice. An unknown header is an error but
// does not stop the table, as its values are simply not read.
func (t *table) readHeader(header []string, pos cellPos) bool {
	t.cols = make([]string, len(header))
	t.blank = make([]bool, len(header))
	have := map[string]bool{}
	ok := true
	for i, h := range header {
		line, col := pos(i)
		canon, ignored := t.res.column(h)
		switch {
		case canon != "" && have[canon]:
			t.pe.add(line, col, canon, "header %q: column %s appears twice", h, canon)
			ok = false
		case canon != "":
			t.cols[i] = canon
			have[canon] = true
		case ignored:
		case strings.TrimSpace(h) == "" && t.sheet:
			t.blank[i] = true
		case strings.TrimSpace(h) == "":
			t.pe.add(line, col, "", "header %d is empty: name it, or map or ignore it in the column map", i+1)
		default:
			t.pe.add(line, col, "", "unknown column %q: map it to a camsweep column or list it under ignore in the column map", h)
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
	line, col := pos(t.first())
	if len(missing) > 0 {
		t.pe.add(line, col, "", "header lacks %s", strings.Join(missing, ", "))
	}
	if len(missing) > 0 || !ok {
		t.pe.final = append(t.pe.final, &RowError{File: t.pe.file, Sheet: t.pe.sheet, Line: line, Column: col,
			Msg: "no rows loaded: fix the header (or the column map) first"})
		return false
	}
	return true
}

// first is the index of the header's first named column: where a sheet's
// table starts.
func (t *table) first() int {
	for i, b := range t.blank {
		if !b {
			return i
		}
	}
	return 0
}

// row turns one record into a raw row. A value in a field past the header's
// is an error that marks the row bad; cells of unmapped columns are dropped.
func (t *table) row(rec []string, pos cellPos) rawRow {
	line, _ := pos(0)
	raw := rawRow{line: line, col: 1, cells: make(map[string]cell, len(Columns))}
	for i, v := range rec {
		if i >= len(t.cols) || (t.sheet && t.blank[i]) {
			if strings.TrimSpace(v) != "" {
				fl, fc := pos(i)
				if t.sheet {
					t.pe.add(fl, fc, "", "a value in a column without a header: name the column in the header row, or clear the cell")
				} else {
					t.pe.add(fl, fc, "", "row has %d fields, the header %d", len(rec), len(t.cols))
				}
				raw.bad = true
			}
			continue
		}
		if t.cols[i] == "" {
			continue
		}
		fl, fc := pos(i)
		raw.cells[t.cols[i]] = cell{value: strings.TrimSpace(v), line: fl, col: fc}
	}
	return raw
}
