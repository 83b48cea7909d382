package inventory

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
)

type posRecord struct {
	fields []string
	pos    [][2]int
	err    string
}

// wholeFileRecords is the reference: the whole input in memory, every
// position converted from the start of its line (what the loader did
// before it streamed; right, but quadratic in the line's width).
func wholeFileRecords(data []byte, comma rune) []posRecord {
	starts := legacyLineStarts(data)
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = comma
	r.FieldsPerRecord = -1
	var out []posRecord
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		var perr *csv.ParseError
		if err != nil {
			if errors.As(err, &perr) && perr.Err != io.ErrUnexpectedEOF {
				out = append(out, posRecord{err: fmt.Sprintf("%d:%d", perr.Line, legacyRuneCol(data, starts, perr.Line, perr.Column))})
				continue
			}
			out = append(out, posRecord{err: "fatal"})
			return out
		}
		p := posRecord{fields: append([]string(nil), rec...)}
		for i := range rec {
			l, bc := r.FieldPos(i)
			p.pos = append(p.pos, [2]int{l, legacyRuneCol(data, starts, l, bc)})
		}
		out = append(out, p)
	}
}

func streamRecords(in io.Reader, comma rune, lim Limits) ([]posRecord, error) {
	c := newCSVRecords(context.Background(), "f.csv", in, comma, lim)
	var out []posRecord
	for {
		rec, err := c.next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		var re *RowError
		if err != nil {
			if errors.As(err, &re) {
				out = append(out, posRecord{err: fmt.Sprintf("%d:%d", re.Line, re.Column)})
				continue
			}
			return out, err
		}
		p := posRecord{fields: append([]string(nil), rec...)}
		for i := range rec {
			l, col := c.pos(i)
			p.pos = append(p.pos, [2]int{l, col})
		}
		out = append(out, p)
	}
}

func samePosRecords(a, b []posRecord) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func TestCSVRecordPositions(t *testing.T) {
	inputs := []string{
		"id,site\nNOH-1,NOH\n",
		"id;site;building\r\nNOH-1;NOH;\"Børneafdeling\nfløj 2\";x\r\n\r\nNOH-2;NOH;Æ\r\n",
		"a,\"b\"\"c\",ø,\"multi\nline\nø\",end\nx,y\n",
		"a,b\nbare\"quote,x\nø,ø,\"unterminated",
		"\n\n\nø,ø\n,,\n",
		strings.Repeat("ø,", 5000) + "end\n" + strings.Repeat("a,", 3) + "\n",
	}
	for i, in := range inputs {
		for _, comma := range []rune{',', ';'} {
			want := wholeFileRecords([]byte(in), comma)
			for name, r := range map[string]io.Reader{
				"whole":    strings.NewReader(in),
				"one byte": iotest.OneByteReader(strings.NewReader(in)),
				"half":     iotest.HalfReader(strings.NewReader(in)),
			} {
				got, err := streamRecords(r, comma, Limits{})
				if err != nil {
					t.Fatalf("input %d, %s: %v", i, name, err)
				}
				if !samePosRecords(got, want) {
					t.Errorf("input %d (%q), %s:\n  got  %v\n  want %v", i, comma, name, got, want)
				}
			}
		}
	}
}

func FuzzCSVRecordPositions(f *testing.F) {
	f.Add([]byte("id,site\nNOH-1,NOH\n"))
	f.Add([]byte("a;\"b\nø\";c\r\nø;\"x\"\"y\";z\n"))
	f.Add([]byte("a,b\nbare\"q,x\n\"open"))
	f.Fuzz(func(t *testing.T, data []byte) {
		want := wholeFileRecords(data, ',')
		got, err := streamRecords(iotest.HalfReader(bytes.NewReader(data)), ',', Limits{MaxRecordBytes: -1})
		if err != nil {
			t.Fatal(err)
		}
		if !samePosRecords(got, want) {
			t.Fatalf("\n  got  %v\n  want %v", got, want)
		}
	})
}

func TestCSVRecordLimit(t *testing.T) {
	in := "id,site\n" + strings.Repeat("x", 5000) + "\n"
	_, err := streamRecords(strings.NewReader(in), ',', Limits{MaxRecordBytes: 1000})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "max_record_bytes" || !strings.Contains(err.Error(), "--registry-max-record-bytes") {
		t.Errorf("err = %v, want a LimitError naming max_record_bytes", err)
	}
}

func TestCSVRecordsCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := newCSVRecords(ctx, "f.csv", strings.NewReader("a,b\n"), ',', Limits{})
	if _, err := c.next(); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// streamJSON reads data through jsonRows in small chunks and renders rows
// and errors for comparison.
func streamJSON(data []byte, chunk func(io.Reader) io.Reader) string {
	pe := &posErrors{file: "f.json"}
	var out []string
	err := jsonRows(context.Background(), pe, chunk(bytes.NewReader(data)), ColumnMap{}.resolver(), Limits{MaxBytes: -1, MaxRecordBytes: -1}, func(r rawRow) bool {
		out = append(out, renderRaw(r))
		return true
	})
	for _, e := range pe.errs {
		out = append(out, e.Error())
	}
	if err != nil {
		out = append(out, "stopped: "+err.Error())
	}
	return strings.Join(out, "\n")
}

func legacyJSON(data []byte) string {
	pe := &posErrors{file: "f.json"}
	var out []string
	for _, r := range legacyParseRegistryJSON(pe, data, ColumnMap{}.resolver()) {
		out = append(out, renderRaw(r))
	}
	for _, e := range pe.errs {
		out = append(out, e.Error())
	}
	return strings.Join(out, "\n")
}

// syntaxPos drops the position of a JSON syntax error: the decoder's
// SyntaxError offset can point behind the token it failed on, which the
// whole-file reader could look back to and the streaming one, having moved
// on, places at the last token instead. Every other position must agree.
var syntaxPos = regexp.MustCompile(`(?m)^f\.json:\d+:\d+: JSON: `)

func sameJSON(a, b string) bool {
	return syntaxPos.ReplaceAllString(a, "JSON: ") == syntaxPos.ReplaceAllString(b, "JSON: ")
}

func renderRaw(r rawRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "row %d:%d bad=%v", r.line, r.col, r.bad)
	for _, c := range Columns {
		if v, ok := r.cells[c]; ok {
			fmt.Fprintf(&b, " %s=%q@%d:%d", c, v.value, v.line, v.col)
		}
	}
	return b.String()
}

// TestJSONRowsMatchTheWholeFileReader: streaming changed where positions
// are computed, not what they are.
func TestJSONRowsMatchTheWholeFileReader(t *testing.T) {
	inputs := []string{
		`[{"id": "NOH-1", "site": "NOH", "ip": "10.0.0.1", "vendor": "Børn"}]`,
		"{\"rows\": [\n  {\"id\": \"A\",\n   \"site\": \"ø\", \"colour\": 1},\n  {\"id\": 7, \"site\": null, \"vms\": [1, 2]}\n]}",
		`[{"id": "A"}, 3, {"id": "B"}`,
		`[{"id": "A",, "site": "x"}]`,
		`{"nope": []}`,
		"[" + strings.Repeat(`{"id": "ø", "site": "ø"},`, 500) + `{"id": "end"}]`,
	}
	for i, in := range inputs {
		want := legacyJSON([]byte(in))
		for name, chunk := range map[string]func(io.Reader) io.Reader{"whole": func(r io.Reader) io.Reader { return r }, "one byte": iotest.OneByteReader, "half": iotest.HalfReader} {
			if got := streamJSON([]byte(in), chunk); !sameJSON(got, want) {
				t.Errorf("input %d, %s:\n got  %s\n want %s", i, name, got, want)
			}
		}
	}
}

func FuzzJSONRowsPositions(f *testing.F) {
	f.Add([]byte(`[{"id": "NOH-1", "site": "NOH"}]`))
	f.Add([]byte("{\"rows\": [\n {\"id\": \"ø\", \"x\": [1,{}]}, 2]}"))
	f.Add([]byte(`[{"id": "A",, "site": "x"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if want, got := legacyJSON(data), streamJSON(data, iotest.HalfReader); !sameJSON(got, want) {
			t.Fatalf("\n got  %s\n want %s", got, want)
		}
	})
}
