package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// parseRegistryJSON reads a JSON registry: an array of objects, or an object
// whose "rows" member is that array. Values are strings; numbers are taken as
// written and null as empty, as CMDB exports write them.
func parseRegistryJSON(pe *posErrors, data []byte, res resolver) []rawRow {
	data = bytes.TrimPrefix(data, utf8BOM)
	p := &jsonWalker{pe: pe, data: data, lines: lineStarts(data)}
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

type jsonWalker struct {
	pe    *posErrors
	data  []byte
	lines []int
	dec   *json.Decoder
	done  bool
}

// next returns the next token and the byte offset where it starts. On a
// syntax error it records one error and reports !ok: JSON cannot resync.
func (p *jsonWalker) next() (json.Token, int, bool) {
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
func (p *jsonWalker) skipSpace(off int) int {
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
func (p *jsonWalker) skipValue(tok json.Token) bool {
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

func (p *jsonWalker) pos(off int) (line, col int) {
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

func (p *jsonWalker) errAt(off int, field, format string, args ...any) {
	line, col := p.pos(off)
	p.pe.add(line, col, field, format, args...)
}
