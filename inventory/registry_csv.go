package inventory

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// csvRows reads a CSV registry as spreadsheets export it: comma or
// semicolon (Danish Excel writes semicolons), UTF-8 with or without a BOM,
// quoted fields with doubled quotes and line breaks, CRLF line ends. The
// first record is the header. Rows whose every cell is empty carry nothing
// (spreadsheets write them after the last row) and are skipped. head is the
// start of the input (already peeked at), for the separator. Each row goes
// to yield as soon as it is read; yield returning false stops the read.
// The returned error is what stopped the read early: a limit, cancellation,
// or the input failing.
func csvRows(ctx context.Context, pe *posErrors, in *bufio.Reader, head []byte, res resolver, lim Limits, yield func(rawRow) bool) error {
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		pe.add(1, 1, "", "file is UTF-16 (Excel's \"Unicode text\"); export it as \"CSV UTF-8\"")
		return nil
	}
	r := newCSVRecords(ctx, pe.file, in, sniffComma(head), lim)
	header, err := r.next()
	if err != nil {
		var re *RowError
		switch {
		case errors.Is(err, io.EOF):
			pe.add(1, 1, "", "empty file: want a header line with %s", strings.Join(Columns, ", "))
			return nil
		case errors.As(err, &re):
			pe.addErr(re)
			pe.final = append(pe.final, &RowError{File: pe.file, Line: 1, Column: 1, Msg: "no rows loaded: the header line could not be read"})
			return nil
		}
		return err
	}
	tab := &table{pe: pe, res: res}
	if !tab.readHeader(header, r.pos) {
		return nil
	}
	width := len(header)
	for {
		rec, err := r.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				return err
			}
			pe.addErr(re)
			continue
		}
		if allEmpty(rec) {
			continue
		}
		raw := tab.row(rec, r.pos)
		if len(rec) < width {
			fl, fc := r.pos(len(rec) - 1)
			pe.add(fl, fc+utf8.RuneCountInString(rec[len(rec)-1]), "", "row has %d fields, the header %d (a missing separator?)", len(rec), width)
			raw.bad = true
		}
		if !yield(raw) {
			return nil
		}
	}
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
