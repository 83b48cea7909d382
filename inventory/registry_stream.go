package inventory

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// csvRecords reads CSV records one at a time, with the line and character
// column of every field, in time and memory linear in the input: the
// encoding/csv reader does the parsing, and a tee keeps the bytes of the
// record being read (and no more) so that byte columns become character
// columns in one pass over each record. Positions were once computed from
// the start of the line for every field, which made a 40,000-column header
// take seconds and a 17 MB one hours.
type csvRecords struct {
	tee  *recordTee
	r    *csv.Reader
	lim  Limits
	file string
	// Where the next record starts: its byte offset and line number.
	off, line int
	// fieldCols[i] is the character column of field i of the last record.
	fieldCols  []int
	fieldLines []int
	// walked counts the bytes read to compute positions, which must stay
	// proportional to the input (TestCSVPositionsLinear).
	walked int
}

func newCSVRecords(ctx context.Context, file string, in io.Reader, comma rune, lim Limits) *csvRecords {
	tee := &recordTee{r: in, ctx: ctx, maxRecord: lim.maxRecordBytes(), file: file}
	r := csv.NewReader(tee)
	r.Comma = comma
	r.FieldsPerRecord = -1 // field counts are checked per row, against the header
	r.ReuseRecord = true   // the caller copies what it keeps
	return &csvRecords{tee: tee, r: r, lim: lim, file: file, line: 1}
}

// next returns the next record, io.EOF at the end, a *RowError for a
// record that is not valid CSV (the stream goes on after it), or another
// error (the input could not be read on: a limit, cancellation) that ends
// the stream.
func (c *csvRecords) next() ([]string, error) {
	rec, err := c.r.Read()
	end := int(c.r.InputOffset())
	var perr *csv.ParseError
	switch {
	case err == nil:
		c.positions(rec, end)
	case errors.As(err, &perr) && perr.Err != io.ErrUnexpectedEOF && !c.tee.failed():
		line, col := perr.Line, c.charCol(perr.Line, perr.Column, end)
		err = &RowError{File: c.file, Line: line, Column: col, Msg: "CSV: " + perr.Err.Error(), Err: err}
	case errors.Is(err, io.EOF):
		return nil, io.EOF
	default:
		if terr := c.tee.err; terr != nil {
			err = terr
		}
		return nil, err
	}
	c.advance(end)
	return rec, err
}

// pos gives field i's line and character column in the last record.
func (c *csvRecords) pos(i int) (line, col int) {
	if i < 0 || i >= len(c.fieldCols) {
		return c.line, 1
	}
	return c.fieldLines[i], c.fieldCols[i]
}

// positions computes every field's character column in one walk over the
// record's bytes: fields come in order, so the walk never goes back.
func (c *csvRecords) positions(rec []string, end int) {
	c.fieldCols = c.fieldCols[:0]
	c.fieldLines = c.fieldLines[:0]
	w := c.walker(end)
	for i := range rec {
		line, bc := c.r.FieldPos(i)
		c.fieldLines = append(c.fieldLines, line)
		c.fieldCols = append(c.fieldCols, w.col(line, bc))
	}
	c.walked += w.walked
}

// charCol converts one byte column of the current record.
func (c *csvRecords) charCol(line, byteCol, end int) int {
	return c.walker(end).col(line, byteCol)
}

func (c *csvRecords) walker(end int) *colWalker {
	data := c.tee.bytes(c.off, end)
	return &colWalker{data: data, line: c.line}
}

// advance moves past a record that ended at byte offset end.
func (c *csvRecords) advance(end int) {
	data := c.tee.bytes(c.off, end)
	c.line += bytes.Count(data, []byte{'\n'})
	c.off = end
	c.tee.release(end)
}

// colWalker turns (line, byte column) pairs, given in order, into
// character columns, reading each byte of the record at most once.
type colWalker struct {
	data      []byte // the record, from the start of its first line
	line      int    // line number at lineStart
	lineStart int    // index in data where line begins
	at, runes int    // a position on that line and the characters before it
	walked    int    // bytes looked at
}

func (w *colWalker) col(line, byteCol int) int {
	for w.line < line {
		nl := bytes.IndexByte(w.data[w.lineStart:], '\n')
		if nl < 0 {
			return byteCol // not in the record: keep what csv said
		}
		w.walked += nl + 1
		w.lineStart += nl + 1
		w.line++
		w.at, w.runes = w.lineStart, 0
	}
	if line < w.line || byteCol < 1 {
		return byteCol
	}
	target := min(w.lineStart+byteCol-1, len(w.data))
	if target < w.at {
		// Out of order (not from encoding/csv): count again from the
		// line's start, which stays correct.
		w.at, w.runes = w.lineStart, 0
	}
	w.runes += utf8.RuneCount(w.data[w.at:target])
	w.walked += target - w.at
	w.at = target
	return w.runes + 1
}

// recordTee is the CSV reader's input: it keeps the bytes from the start of
// the current record, refuses a record longer than the limit, and stops on
// cancellation, so a runaway file ends with an error that names the limit.
type recordTee struct {
	r         io.Reader
	ctx       context.Context
	file      string
	maxRecord int
	buf       []byte // bytes from offset base on
	base      int
	read      int // bytes read from r
	err       error
}

func (t *recordTee) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	if err := t.ctx.Err(); err != nil {
		t.err = fmt.Errorf("inventory: read registry %s: %w", t.file, err)
		return 0, t.err
	}
	if t.read-t.base > t.maxRecord {
		t.err = &LimitError{File: t.file, Limit: "max_record_bytes", Value: int64(t.maxRecord),
			What: fmt.Sprintf("a record (a line, with the lines a quoted cell spans) longer than %d bytes", t.maxRecord)}
		return 0, t.err
	}
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	t.read += n
	return n, err
}

func (t *recordTee) failed() bool { return t.err != nil }

// bytes returns the input from offset from to offset to, as far as it was
// read and kept.
func (t *recordTee) bytes(from, to int) []byte {
	from, to = max(from-t.base, 0), min(to-t.base, len(t.buf))
	if from >= to {
		return nil
	}
	return t.buf[from:to]
}

// release forgets the input before offset off.
func (t *recordTee) release(off int) {
	n := min(max(off-t.base, 0), len(t.buf))
	// Move the rest down only when it is short next to what is dropped,
	// so the copying stays linear overall.
	if n > 0 && len(t.buf)-n <= n {
		t.buf = append(t.buf[:0], t.buf[n:]...)
	} else {
		t.buf = t.buf[n:]
	}
	t.base += n
}
