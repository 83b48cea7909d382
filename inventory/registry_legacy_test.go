package inventory

// The registry CSV loader as it was before it streamed (commit 5de4f16),
// kept only as the baseline of BenchmarkRegistryLoad: the whole file in
// memory, every raw row kept until all were read, and every field's
// column counted from the start of its line. Not used by camsweep.

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

func legacyParseRegistry(name string, data []byte, mapping ColumnMap, seen map[string]string) (*Registry, []error) {
	pe := &posErrors{file: name}
	raws := legacyParseRegistryCSV(pe, data, mapping.resolver())
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

// legacyParseRegistryJSON reads a JSON registry: an array of objects, or an object
// whose "rows" member is that array. Values are strings; numbers are taken as
// written and null as empty, as CMDB exports write them.
func legacyParseRegistryJSON(pe *posErrors, data []byte, res resolver) []rawRow {
	data = bytes.TrimPrefix(data, utf8BOM)
	p := &legacyJSONWalker{pe: pe, data: data, lines: legacyLineStarts(data)}
	p.dec = json.NewDecoder(bytes.NewReader(data))
	p.dec.UseNumber()

	tok, off, ok := p.next()
	if !ok {
		return nil
	}
	wrapped := false
	switch tok {
	case json.Delim('['):
	case json.Delim('{'):
		wrapped = true
		// {"rows": [...]}: the only member allowed.
		key, koff, ok := p.next()
		if !ok {
			return nil
		}
		if key != "rows" {
			p.errAt(koff, "", "want {\"rows\": [...]} or a top-level array")
			return nil
		}
		open, ooff, ok := p.next()
		if !ok {
			return nil
		}
		if open != json.Delim('[') {
			p.errAt(ooff, "", "\"rows\": want an array of objects")
			return nil
		}
	default:
		p.errAt(off, "", "want an array of row objects")
		return nil
	}
	var rows []rawRow
	for {
		tok, off, ok := p.next()
		if !ok {
			return rows
		}
		if tok == json.Delim(']') {
			break
		}
		if tok != json.Delim('{') {
			p.errAt(off, "", "want a row object")
			if !p.skipValue(tok) {
				return rows
			}
			continue
		}
		line, col := p.pos(off)
		raw := rawRow{line: line, col: col, cells: map[string]cell{}}
		for {
			k, koff, ok := p.next()
			if !ok {
				return rows
			}
			if k == json.Delim('}') {
				break
			}
			key, _ := k.(string)
			v, voff, ok := p.next()
			if !ok {
				return rows
			}
			vl, vc := p.pos(voff)
			canon, ignored := res.column(key)
			var text string
			switch x := v.(type) {
			case string:
				text = x
			case json.Number:
				text = x.String()
			case nil:
			default:
				p.errAt(voff, canon, "%s: want a string", key)
				raw.bad = true
				if !p.skipValue(v) {
					return rows
				}
				continue
			}
			switch {
			case canon != "":
				if _, dup := raw.cells[canon]; dup {
					p.errAt(koff, canon, "%s given twice", canon)
					raw.bad = true
				}
				raw.cells[canon] = cell{value: trimSpace(text), line: vl, col: vc}
			case ignored:
			default:
				p.errAt(koff, "", "unknown key %q: map it to a camsweep column or list it under ignore in the column map", key)
				raw.bad = true
			}
		}
		rows = append(rows, raw)
	}
	if wrapped {
		tok, off, ok := p.next()
		if !ok {
			return rows
		}
		if tok != json.Delim('}') {
			p.errAt(off, "", "only \"rows\" is allowed in the top-level object")
			return rows
		}
	}
	if _, off, ok := p.next(); ok {
		p.errAt(off, "", "unexpected data after the rows")
	}
	return rows
}

type legacyJSONWalker struct {
	pe    *posErrors
	data  []byte
	lines []int
	dec   *json.Decoder
	done  bool
}

// next returns the next token and the byte offset where it starts. On a
// syntax error it records one error and reports !ok: JSON cannot resync.
func (p *legacyJSONWalker) next() (json.Token, int, bool) {
	if p.done {
		return nil, -1, false
	}
	start := p.skipSpace(int(p.dec.InputOffset()))
	tok, err := p.dec.Token()
	if err != nil {
		p.done = true
		if errors.Is(err, io.EOF) {
			return nil, -1, false
		}
		off := start
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = int(se.Offset)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			off = len(p.data)
		}
		p.errAt(max(off, 0), "", "JSON: %v (rows after this point were not read)", err)
		return nil, -1, false
	}
	return tok, start, true
}

// skipSpace moves past whitespace and the separators the decoder consumes
// lazily, so an offset points at the token itself.
func (p *legacyJSONWalker) skipSpace(off int) int {
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// skipValue consumes the rest of a value whose first token was tok.
func (p *legacyJSONWalker) skipValue(tok json.Token) bool {
	d, ok := tok.(json.Delim)
	if !ok || d == ']' || d == '}' {
		return true
	}
	depth := 1
	for depth > 0 {
		t, _, ok := p.next()
		if !ok {
			return false
		}
		switch t {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
	return true
}

func (p *legacyJSONWalker) pos(off int) (line, col int) {
	// Binary search over line starts: the last start at or before off.
	line = 1
	lo, hi := 0, len(p.lines)-1
	for lo <= hi {
		mid := (lo + hi) / 2
		if p.lines[mid] <= off {
			line = mid + 1
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	start := p.lines[line-1]
	end := min(off, len(p.data))
	return line, utf8.RuneCount(p.data[start:end]) + 1
}

func (p *legacyJSONWalker) errAt(off int, field, format string, args ...any) {
	line, col := p.pos(off)
	p.pe.add(line, col, field, format, args...)
}
