package report

import (
	"bytes"
	"encoding/csv"
	"net/netip"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

// hostileReport carries formulas where a device can put text: a firmware
// string built to split into formula cells under Danish Excel's
// semicolons, a tab-separated one, one after a line break, one behind
// spaces, and the full-width equals sign.
func hostileReport() *inventory.Report {
	d := inventory.Device{IP: netip.MustParseAddr("10.20.8.9"), Class: evidence.Camera, Manufacturer: "Hikvision",
		Firmware: "V5.7.3;=2+3;@SUM(1)", Serial: "S1,=1+1", Hostnames: []string{"cam\t-2+3", "x\n=cmd|' /C calc'!A0"}}
	return &inventory.Report{Site: "NOH", Devices: []inventory.Device{d}, Findings: []inventory.Finding{{
		Key: "unregistered_camera/NOH/ip=10.20.8.9", Kind: "unregistered_camera", Severity: inventory.SeverityCritical,
		Site: "NOH", IP: "10.20.8.9", Model: `DS "2CD" | +cmd`, Detail: "a; b", Brand: "  =1", Manufacturer: "\uFF1D1+1",
		Evidence: []evidence.Evidence{{Field: "http.server", Value: ";=HYPERLINK(\"http://evil\")"}},
	}}}
}

// cellsAsRead splits a CSV file the way a spreadsheet with separator sep
// would, honouring quotes.
func cellsAsRead(t *testing.T, data []byte, sep rune) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte(utf8BOM))))
	r.Comma = sep
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("read with %q: %v", sep, err)
	}
	return recs
}

func TestCSVNoFormulaWhateverTheSeparator(t *testing.T) {
	for _, written := range CSVSeparators {
		var buf bytes.Buffer
		if err := WriteWith(&buf, "csv", hostileReport(), Options{CSVSeparator: written}); err != nil {
			t.Fatal(err)
		}
		// Whatever separator the spreadsheet guesses, no cell it makes
		// may start (after spaces) with a formula character.
		for _, read := range []rune{',', ';', '\t', '|'} {
			for _, rec := range cellsAsRead(t, buf.Bytes(), read) {
				for _, cell := range rec {
					for _, line := range strings.FieldsFunc(cell, func(r rune) bool { return r == '\n' || r == '\r' }) {
						c := strings.TrimLeft(line, " ")
						if c != "" && isFormulaStart([]rune(c)[0]) {
							t.Errorf("written with %q, read with %q: cell %q starts a formula", written, read, c)
						}
					}
				}
			}
		}
	}
}

func TestCSVDefusedValues(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "csv", hostileReport()); err != nil {
		t.Fatal(err)
	}
	recs := cellsAsRead(t, buf.Bytes(), ',')
	got := map[string]string{}
	for i, h := range recs[0] {
		got[h] = recs[1][i]
	}
	want := map[string]string{
		"device_firmware":  "V5.7.3;'=2+3;'@SUM(1)",
		"device_serial":    "S1,'=1+1",
		"device_hostnames": "cam\t'-2+3 x\n'=cmd|' /C calc'!A0",
		"brand":            "  '=1",
		"manufacturer":     "'\uFF1D1+1",
		"model":            `DS "2CD" | '+cmd`,
		"detail":           "a; b",
		"evidence":         "http.server=;'=HYPERLINK(\"http://evil\")",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestCSVSemicolonForDanishExcel(t *testing.T) {
	var semi, comma bytes.Buffer
	if err := WriteWith(&semi, "csv", sample(), Options{CSVSeparator: ';'}); err != nil {
		t.Fatal(err)
	}
	if err := Write(&comma, "csv", sample()); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(semi.Bytes(), []byte("\xef\xbb\xbf\"severity\";\"kind\";")) {
		t.Errorf("semicolon CSV starts %q, want a UTF-8 BOM and semicolons", semi.Bytes()[:30])
	}
	if bytes.HasPrefix(comma.Bytes(), []byte("\xef\xbb\xbf")) {
		t.Error("the default CSV got a byte-order mark")
	}
	a, b := cellsAsRead(t, semi.Bytes(), ';'), cellsAsRead(t, comma.Bytes(), ',')
	if len(a) != len(b) || len(a[0]) != 28 {
		t.Fatalf("%d/%d records, %d columns", len(a), len(b), len(a[0]))
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") {
			t.Errorf("record %d differs:\n  ; %q\n  , %q", i, a[i], b[i])
		}
	}
	if err := WriteWith(&bytes.Buffer{}, "csv", sample(), Options{CSVSeparator: ':'}); err == nil {
		t.Error("a colon separator was accepted")
	}
}

// TestTableShowsEscapesInert: every field the table prints, whether a
// device or a saved report supplied it, reaches the terminal as text.
func TestTableShowsEscapesInert(t *testing.T) {
	r := hostileReport()
	r.Site = "NOH\x1b[2J"
	r.Scope.Targets = []string{"10.20.8.0/24\x1b]8;;http://evil.example/\x1b\\"}
	f := &r.Findings[0]
	f.Kind, f.Key, f.Detail, f.MAC, f.RegistryID = "unregistered_camera\x07", "k\u202e1", "line1\nline2\x1b[31m", "aa\x1b[1m", "NOH\x9b2J"
	var buf bytes.Buffer
	if err := Write(&buf, "table", r); err != nil {
		t.Fatal(err)
	}
	for i, c := range buf.String() {
		if c < 0x20 && c != '\n' || c == 0x7f || c >= 0x80 && c < 0xa0 || c == '\u202e' {
			t.Fatalf("character %U at byte %d:\n%q", c, i, buf.String())
		}
	}
	if !strings.Contains(buf.String(), "line1 line2 [31m") {
		t.Errorf("the detail lost its text:\n%s", buf.String())
	}
}
