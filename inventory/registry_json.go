package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// jsonRows reads a JSON registry, an array of objects or an object whose
// "rows" member is that array, and hands each row to yield as soon as it is
// read; yield returning false stops the read. Values are strings; numbers
// are taken as written and null as empty, as CMDB exports write them.
// Problems go to pe with their line and character column, computed as the
// decoder moves forward (a minified file is one line: positions counted
// from its start for every value made that quadratic). The returned error
// is what stopped the read early: a limit, cancellation, or the input
// failing.
func jsonRows(ctx context.Context, pe *posErrors, r io.Reader, res resolver, lim Limits, yield func(rawRow) bool) error {
	t := &posTracker{r: r, ctx: ctx, file: pe.file, maxBytes: lim.maxBytes(), maxRecord: lim.maxRecordBytes(), line: 1, col: 1}
	p := &jsonWalker{pe: pe, t: t, dec: json.NewDecoder(t)}
	p.dec.UseNumber()

	tok, at, ok := p.next()
	if !ok {
		return t.err
	}
	wrapped := false
	switch tok {
	case json.Delim('['):
	case json.Delim('{'):
		wrapped = true
		// {"rows": [...]}: the only member allowed.
		key, kat, ok := p.next()
		if !ok {
			return t.err
		}
		if key != "rows" {
			p.errAt(kat, "", "want {\"rows\": [...]} or a top-level array")
			return nil
		}
		open, oat, ok := p.next()
		if !ok {
			return t.err
		}
		if open != json.Delim('[') {
			p.errAt(oat, "", "\"rows\": want an array of objects")
			return nil
		}
	default:
		p.errAt(at, "", "want an array of row objects")
		return nil
	}
	raw := rawRow{cells: map[string]cell{}}
	for {
		tok, at, ok := p.next()
		if !ok {
			return t.err
		}
		if tok == json.Delim(']') {
			break
		}
		if tok != json.Delim('{') {
			p.errAt(at, "", "want a row object")
			if !p.skipValue(tok) {
				return t.err
			}
			continue
		}
		t.rowStart()
		// The map is reused: yield validates the row before the next.
		clear(raw.cells)
		raw.line, raw.col, raw.bad = at.line, at.col, false
		for {
			k, kat, ok := p.next()
			if !ok {
				return t.err
			}
			if k == json.Delim('}') {
				break
			}
			key, _ := k.(string)
			v, vat, ok := p.next()
			if !ok {
				return t.err
			}
			canon, ignored := res.column(key)
			var text string
			switch x := v.(type) {
			case string:
				text = x
			case json.Number:
				text = x.String()
			case nil:
			default:
				p.errAt(vat, canon, "%s: want a string", key)
				raw.bad = true
				if !p.skipValue(v) {
					return t.err
				}
				continue
			}
			switch {
			case canon != "":
				if _, dup := raw.cells[canon]; dup {
					p.errAt(kat, canon, "%s given twice", canon)
					raw.bad = true
				}
				raw.cells[canon] = cell{value: trimSpace(text), line: vat.line, col: vat.col}
			case ignored:
			default:
				p.errAt(kat, "", "unknown key %q: map it to a camsweep column or list it under ignore in the column map", key)
				raw.bad = true
			}
		}
		if !yield(raw) {
			return nil
		}
	}
	if wrapped {
		tok, at, ok := p.next()
		if !ok {
			return t.err
		}
		if tok != json.Delim('}') {
			p.errAt(at, "", "only \"rows\" is allowed in the top-level object")
			return nil
		}
	}
	if _, at, ok := p.next(); ok {
		p.errAt(at, "", "unexpected data after the rows")
	}
	return t.err
}

// pos is a place in the file.
type pos struct{ line, col int }

type jsonWalker struct {
	pe   *posErrors
	t    *posTracker
	dec  *json.Decoder
	done bool
}

// next returns the next token and where it starts. On a syntax error it
// records one error and reports !ok: JSON cannot resync. A read stopped by
// a limit or cancellation reports !ok and leaves the error in t.err.
func (p *jsonWalker) next() (json.Token, pos, bool) {
	if p.done {
		return nil, pos{}, false
	}
	from := int(p.dec.InputOffset())
	tok, err := p.dec.Token()
	if err != nil {
		p.done = true
		if errors.Is(err, io.EOF) || p.t.err != nil {
			return nil, pos{}, false
		}
		off := p.t.skipSpace(from)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = int(se.Offset)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			off = p.t.read
		}
		p.errAt(p.t.pos(off), "", "JSON: %v (rows after this point were not read)", err)
		return nil, pos{}, false
	}
	return tok, p.t.pos(p.t.skipSpace(from)), true
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

func (p *jsonWalker) errAt(at pos, field, format string, args ...any) {
	p.pe.add(at.line, at.col, field, format, args...)
}

// posTracker is the decoder's input. It keeps the bytes the decoder has
// read but the position cursor has not passed, and turns byte offsets
// (asked for in increasing order) into line and character column in one
// pass over the input. It also enforces the file and row size limits and
// stops on cancellation.
type posTracker struct {
	r         io.Reader
	ctx       context.Context
	file      string
	maxBytes  int64
	maxRecord int
	buf       []byte // input from offset base on
	base      int
	line, col int // position of offset base
	read      int // bytes read
	row       int // offset where the current row began
	err       error
}

func (t *posTracker) Read(b []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	if err := t.ctx.Err(); err != nil {
		t.err = fmt.Errorf("inventory: read registry %s: %w", t.file, err)
		return 0, t.err
	}
	if int64(t.read) > t.maxBytes {
		t.err = &LimitError{File: t.file, Limit: "max_bytes", Value: t.maxBytes, What: fmt.Sprintf("larger than %d bytes", t.maxBytes)}
		return 0, t.err
	}
	if t.row > 0 && t.read-t.row > t.maxRecord {
		t.err = &LimitError{File: t.file, Limit: "max_record_bytes", Value: int64(t.maxRecord), What: fmt.Sprintf("a row object longer than %d bytes", t.maxRecord)}
		return 0, t.err
	}
	n, err := t.r.Read(b)
	t.buf = append(t.buf, b[:n]...)
	t.read += n
	return n, err
}

// rowStart marks where a row begins, for the row size limit.
func (t *posTracker) rowStart() { t.row = max(t.base, 1) }

// skipSpace moves past whitespace and the separators the decoder consumes
// lazily, so an offset points at the token itself.
func (t *posTracker) skipSpace(off int) int {
	for off < t.read {
		i := off - t.base
		if i < 0 || i >= len(t.buf) {
			return off
		}
		switch t.buf[i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// pos moves the cursor to off and returns its line and column, then forgets
// the input before it. An offset behind the cursor gets the cursor's
// position (the walker never asks for one).
func (t *posTracker) pos(off int) pos {
	i := 0
	for t.base+i < off && i < len(t.buf) {
		r, size := utf8.DecodeRune(t.buf[i:])
		if r == '\n' {
			t.line, t.col = t.line+1, 1
		} else {
			t.col++
		}
		i += size
	}
	t.base += i
	if i > 0 && len(t.buf)-i <= i {
		t.buf = append(t.buf[:0], t.buf[i:]...)
	} else {
		t.buf = t.buf[i:]
	}
	return pos{t.line, t.col}
}
