package inventory

import (
	"errors"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestRegistryBadRows loads a spreadsheet-style export (BOM, CRLF,
// semicolons, quoted cells, a cell with a line break, trailing empty rows)
// holding 28 rows with one defect each among 10 good ones. Every bad row must
// give exactly one error at the right line and column, and every good row
// must load. The expected columns were computed from the file by hand (the
// script that wrote it counted characters), not taken from the code.
func TestRegistryBadRows(t *testing.T) {
	want := []struct {
		line, col int
		msg       string
	}{
		{5, 1, "id: missing"},
		{6, 1, "use letters"},
		{7, 1, "duplicate id"},
		{8, 9, "site: missing"},
		{9, 9, "site \"NO H\""},
		{12, 36, "not an IP"},
		{13, 36, "not an IP"},
		{14, 36, "not a host address"},
		{15, 36, "zone"},
		{16, 47, "not a MAC"},
		{17, 47, "non-hex"},
		{18, 47, "not a MAC"},
		{19, 47, "group or null"},
		{23, 65, "contains a space"},
		{24, 93, "want facility or medico"},
		{25, 93, "category: missing"},
		{26, 102, "want CEJ or CIMT"},
		{27, 102, "belong to CEJ"},
		{28, 106, "want milestone"},
		{29, 106, "vms: missing"},
		{30, 116, "dispensation_id"},
		{31, 1, "no ip, mac or serial"},
		{32, 13, "longer than 256"},
		{33, 23, "control character"},
		{36, 105, "row has 11 fields"},
		{37, 117, "row has 14 fields"},
		{38, 28, "bare \""},
		{39, 23, "not valid UTF-8"},
	}
	wantIDs := []string{"NOH-G01", "NOH-G02", "NOH-G03", "NOH-G09", "NOH-G18", "NOH-G19", "NOH-G20", "NOH-G32", "NOH-G33", "NOH-G94"}

	reg, errs := LoadRegistry("testdata/registry-bad.csv", ColumnMap{})
	if len(errs) != len(want) {
		for _, e := range errs {
			t.Log(e)
		}
		t.Fatalf("got %d errors, want %d (one per bad row)", len(errs), len(want))
	}
	for i, err := range errs {
		var re *RowError
		if !errors.As(err, &re) {
			t.Fatalf("error %d is %T, want *RowError: %v", i, err, err)
		}
		w := want[i]
		if re.File != "testdata/registry-bad.csv" || re.Line != w.line || re.Column != w.col || !strings.Contains(re.Msg, w.msg) {
			t.Errorf("error %d = %v; want testdata/registry-bad.csv:%d:%d: ...%s...", i, err, w.line, w.col, w.msg)
		}
	}
	var ids []string
	for _, r := range reg.Rows {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("loaded rows %v, want %v", ids, wantIDs)
	}
	// Spot-check what the good rows became.
	byID := map[string]Row{}
	for _, r := range reg.Rows {
		byID[r.ID] = r
	}
	checks := []struct{ id, got, want string }{
		{"NOH-G02", byID["NOH-G02"].Location, "Gang ved akutmodtagelse; stue 2"},
		{"NOH-G03", byID["NOH-G03"].Location, `Børneafdeling "Sommerfuglen"`},
		{"NOH-G03", byID["NOH-G03"].Building, "Østfløjen"},
		{"NOH-G09", byID["NOH-G09"].Location, "Indgang Nord ved trappen"},
		{"NOH-G18", byID["NOH-G18"].MAC, "ac:cc:8e:00:01:01"},
		{"NOH-G19", byID["NOH-G19"].MAC, "ac:cc:8e:00:01:02"},
		{"NOH-G20", byID["NOH-G20"].MAC, "ac:cc:8e:00:01:03"},
		{"NOH-G32", byID["NOH-G32"].Category + "/" + byID["NOH-G32"].Owner + "/" + byID["NOH-G32"].VMS, "medico/CIMT/closed-net"},
		{"NOH-G33", byID["NOH-G33"].Serial, "ACCC8E000021"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.id, c.got, c.want)
		}
	}
	if byID["NOH-G94"].Line != 40 {
		t.Errorf("NOH-G94 line = %d, want 40", byID["NOH-G94"].Line)
	}
}

// sameRegistry is one registry written in each format; all must load alike.
var sameRegistry = map[string]string{
	"r.csv": "id,site,building,location,ip,mac,serial,vendor,model,category,owner,vms,dispensation_id\n" +
		"NOH-CAM-01,NOH,Bygning 1,\"Indgang Nord, ved døren\",10.20.8.11,44-19-B6-4F-21-7C,DS123,Hikvision,DS-2CD2143G2-I,medico,CIMT,closed-net,DISP-HIK-70\n" +
		"NOH-CAM-02,NOH,Bygning 2,Børneafdeling,10.20.8.12,,,Axis,P3245-LVE,facility,CEJ,milestone,\n",
	"r-semicolon.csv": "\uFEFFID;Site;Building;Location;IP;MAC;Serial;Vendor;Model;Category;Owner;VMS;Dispensation ID\r\n" +
		"NOH-CAM-01;NOH;Bygning 1;Indgang Nord, ved døren;10.20.8.11;4419.b64f.217c;DS123;Hikvision;DS-2CD2143G2-I;Medico;cimt;closed-net;DISP-HIK-70\r\n" +
		"NOH-CAM-02;NOH;Bygning 2;Børneafdeling;10.20.8.12;;;Axis;P3245-LVE;facility;CEJ;Milestone;\r\n",
	"r.json": `{"rows": [
  {"id": "NOH-CAM-01", "site": "NOH", "building": "Bygning 1", "location": "Indgang Nord, ved døren", "ip": "10.20.8.11",
   "mac": "4419B64F217C", "serial": "DS123", "vendor": "Hikvision", "model": "DS-2CD2143G2-I", "category": "medico",
   "owner": "CIMT", "vms": "closed-net", "dispensation_id": "DISP-HIK-70"},
  {"id": "NOH-CAM-02", "site": "NOH", "building": "Bygning 2", "location": "Børneafdeling", "ip": "10.20.8.12", "mac": null,
   "vendor": "Axis", "model": "P3245-LVE", "category": "facility", "owner": "CEJ", "vms": "milestone"}
]}`,
	"r.yaml": `- id: NOH-CAM-01
  site: NOH
  building: Bygning 1
  location: Indgang Nord, ved døren
  ip: 10.20.8.11
  mac: 44:19:b6:4f:21:7c
  serial: DS123
  vendor: Hikvision
  model: DS-2CD2143G2-I
  category: medico
  owner: CIMT
  vms: closed-net
  dispensation_id: DISP-HIK-70
- {id: NOH-CAM-02, site: NOH, building: Bygning 2, location: Børneafdeling, ip: 10.20.8.12, vendor: Axis, model: P3245-LVE, category: facility, owner: CEJ, vms: milestone, dispensation_id: ~}
`,
}

func TestRegistryFormatsAgree(t *testing.T) {
	want := []Row{
		{ID: "NOH-CAM-01", Site: "NOH", Building: "Bygning 1", Location: "Indgang Nord, ved døren", IP: netip.MustParseAddr("10.20.8.11"),
			MAC: "44:19:b6:4f:21:7c", Serial: "DS123", Vendor: "Hikvision", Model: "DS-2CD2143G2-I", Category: "medico", Owner: "CIMT", VMS: "closed-net", DispensationID: "DISP-HIK-70"},
		{ID: "NOH-CAM-02", Site: "NOH", Building: "Bygning 2", Location: "Børneafdeling", IP: netip.MustParseAddr("10.20.8.12"),
			Vendor: "Axis", Model: "P3245-LVE", Category: "facility", Owner: "CEJ", VMS: "milestone"},
	}
	for name, data := range sameRegistry {
		t.Run(name, func(t *testing.T) {
			reg, errs := ParseRegistry(name, []byte(data), ColumnMap{})
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			got := slices.Clone(reg.Rows)
			for i := range got {
				got[i].Line = 0
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestRegistryStructureErrors(t *testing.T) {
	tests := []struct {
		name, data string
		mapping    ColumnMap
		want       []string // each error, in order
		rows       int
	}{
		{"unknown header.csv", "id;site;ip;category;owner;vms;Kommentar\nA;NOH;10.0.0.1;facility;CEJ;milestone;hej\n", ColumnMap{},
			[]string{`unknown header.csv:1:31: unknown column "Kommentar"`}, 1},
		{"ignored header.csv", "id;site;ip;category;owner;vms;Kommentar\nA;NOH;10.0.0.1;facility;CEJ;milestone;hej\n", ColumnMap{Ignore: []string{"kommentar"}},
			nil, 1},
		{"missing column.csv", "id;site;ip;owner;vms\nA;NOH;10.0.0.1;CEJ;milestone\n", ColumnMap{},
			[]string{"missing column.csv:1:1: header lacks category", "missing column.csv:1:1: no rows loaded"}, 0},
		{"twice.csv", "id;site;ip;IP;category;owner;vms\n", ColumnMap{},
			[]string{`twice.csv:1:12: header "IP": column ip appears twice`, "no rows loaded"}, 0},
		{"empty.csv", "", ColumnMap{}, []string{"empty.csv:1:1: empty file"}, 0},
		{"utf16.csv", "\xff\xfei\x00d\x00", ColumnMap{}, []string{"UTF-16"}, 0},
		{"mapped.csv", "Aktiv-ID;Matrikel;Placering;IP-adresse;MAC-adresse;Kategori;Ejer;VMS\nNOH-1;NOH;Gang;10.0.0.1;aa:bb:cc:00:00:01;facility;CEJ;milestone\n",
			ColumnMap{Columns: map[string]string{"id": "Aktiv-ID", "site": "Matrikel", "location": "Placering", "ip": "IP-adresse", "mac": "MAC-adresse", "category": "Kategori", "owner": "Ejer"}},
			nil, 1},
		{"bad.json", "[\n  {\"id\": \"A\", \"site\": \"NOH\", \"ip\": \"10.0.0.1\", \"category\": \"facility\", \"owner\": \"CEJ\", \"vms\": \"milestone\"},\n  {\"id\": \"B\", \"colour\": \"red\"},\n  {\"id\": \"C\", \"site\": true}\n]", ColumnMap{},
			[]string{`bad.json:3:15: unknown key "colour"`, "bad.json:4:23: site: want a string"}, 1},
		{"syntax.json", "[\n  {\"id\": \"A\", \"site\": \"NOH\", \"ip\": \"10.0.0.1\", \"category\": \"facility\", \"owner\": \"CEJ\", \"vms\": \"milestone\"},\n  {\"id\": \"B\",, }\n]", ColumnMap{},
			[]string{"syntax.json:3:14: JSON: invalid character ','"}, 1},
		{"bad.yaml", "- id: A\n  site: NOH\n  ip: 10.0.0.300\n  category: facility\n  owner: CEJ\n  vms: milestone\n- id: B\n  mac: [1, 2]\n", ColumnMap{},
			[]string{`bad.yaml:3:7: ip "10.0.0.300": not an IP address`, "bad.yaml:8:8: mac: want a single value"}, 0},
		{"syntax.yaml", "- id: A\n  site: [\n", ColumnMap{}, []string{"syntax.yaml:2: YAML"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, errs := ParseRegistry(tt.name, []byte(tt.data), tt.mapping)
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d errors %v, want %d %q", len(errs), errs, len(tt.want), tt.want)
			}
			for i, err := range errs {
				if !strings.Contains(err.Error(), tt.want[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, err, tt.want[i])
				}
			}
			if len(reg.Rows) != tt.rows {
				t.Errorf("loaded %d rows, want %d", len(reg.Rows), tt.rows)
			}
		})
	}
}

func TestLoadRegistriesDuplicateAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	a := dir + "/a.csv"
	b := dir + "/b.yaml"
	if err := os.WriteFile(a, []byte("id,site,ip,category,owner,vms\nX-1,NOH,10.0.0.1,facility,CEJ,milestone\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("- {id: X-1, site: RH, ip: 10.0.0.2, category: facility, owner: CEJ, vms: milestone}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reg, errs := LoadRegistries([]string{a, b, dir + "/missing.csv"}, ColumnMap{})
	if len(reg.Rows) != 1 || len(errs) != 2 {
		t.Fatalf("rows %d, errors %v; want 1 row and 2 errors", len(reg.Rows), errs)
	}
	if !strings.Contains(errs[0].Error(), "b.yaml:1:8: duplicate id \"X-1\" (first at "+a+":2)") {
		t.Errorf("got %v", errs[0])
	}
	if !strings.HasPrefix(errs[1].Error(), "inventory: load registry: ") || !errors.Is(errs[1], os.ErrNotExist) {
		t.Errorf("got %v, want a wrapped not-exist error", errs[1])
	}
}

func TestParseColumnMap(t *testing.T) {
	m, err := ParseColumnMap("m.yaml", []byte("columns:\n  id: Aktiv-ID\n  mac: MAC-adresse\nignore: [Kommentar]\nsheet: Kameraer NOH\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Columns["id"] != "Aktiv-ID" || m.Columns["mac"] != "MAC-adresse" || !slices.Equal(m.Ignore, []string{"Kommentar"}) || m.Sheet != "Kameraer NOH" {
		t.Errorf("got %+v", m)
	}
	bad := []struct{ doc, want string }{
		{"columns:\n  colour: Farve\n", `m.yaml:2:3: unknown camsweep column "colour"`},
		{"columns:\n  id: X\n  site: x\n", `m.yaml:3:9: header "x" is already mapped to id`},
		{"colums: {}\n", `m.yaml:1:1: unknown key "colums"`},
		{"ignore: Kommentar\n", "m.yaml:1:9: ignore: want a list"},
		{"sheet: [a, b]\n", "m.yaml:1:8: sheet: want the name"},
		{"sheet: ''\n", "m.yaml:1:8: sheet: want the name"},
		{"- a\n", "m.yaml:1:1: want a mapping"},
	}
	for _, b := range bad {
		_, err := ParseColumnMap("m.yaml", []byte(b.doc))
		if err == nil || !strings.Contains(err.Error(), b.want) || !strings.HasPrefix(err.Error(), "inventory: parse column map: ") {
			t.Errorf("%q: got %v, want %q", b.doc, err, b.want)
		}
	}
}

func TestNormalizeMAC(t *testing.T) {
	tests := []struct{ in, want string }{
		{"44:19:b6:4f:21:7c", "44:19:b6:4f:21:7c"},
		{"44-19-B6-4F-21-7C", "44:19:b6:4f:21:7c"},
		{"4419.b64f.217c", "44:19:b6:4f:21:7c"},
		{"4419B64F217C", "44:19:b6:4f:21:7c"},
		{" 44:19:b6:4f:21:7c ", "44:19:b6:4f:21:7c"},
		{"44:19:b6:4f:21", ""},
		{"44:19-b6:4f:21:7c", ""},
		{"4419b64f217g", ""},
		{"44:19:b6:4f:21:7c:00:01", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeMAC(tt.in)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("NormalizeMAC(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeVendor(t *testing.T) {
	tests := []struct{ a, b string }{
		{"Hangzhou Hikvision Digital Technology Co.,Ltd.", "HIKVISION"},
		{"Zhejiang Dahua Technology Co., Ltd.", "Dahua"},
		{"Axis Communications AB", "AXIS"},
		{"Reolink Innovation Limited", "Reolink"},
	}
	for _, tt := range tests {
		if NormalizeVendor(tt.a) != NormalizeVendor(tt.b) {
			t.Errorf("%q -> %q, %q -> %q; want equal", tt.a, NormalizeVendor(tt.a), tt.b, NormalizeVendor(tt.b))
		}
	}
	if sameVendor("Hikvision", "Dahua") || sameVendor("Co., Ltd.", "Inc.") {
		t.Error("different or empty makers compare equal")
	}
}

// TestRowErrorInWorkbook checks the cell references a registry keeper types
// into a spreadsheet's name box, worked out by hand.
func TestRowErrorInWorkbook(t *testing.T) {
	tests := []struct {
		err  RowError
		want string
	}{
		{RowError{File: "noh.xlsx", Sheet: "Sheet1", Line: 7, Column: 3, Msg: "m"}, "noh.xlsx: Sheet1!C7: m"},
		{RowError{File: "noh.xlsx", Sheet: "Sheet1", Line: 1, Column: 26, Msg: "m"}, "noh.xlsx: Sheet1!Z1: m"},
		{RowError{File: "noh.xlsx", Sheet: "Sheet1", Line: 2, Column: 27, Msg: "m"}, "noh.xlsx: Sheet1!AA2: m"},
		{RowError{File: "noh.xlsx", Sheet: "Sheet1", Line: 3, Column: 702, Msg: "m"}, "noh.xlsx: Sheet1!ZZ3: m"},
		{RowError{File: "noh.xlsx", Sheet: "Sheet1", Line: 4, Column: 703, Msg: "m"}, "noh.xlsx: Sheet1!AAA4: m"},
		{RowError{File: "noh.xlsx", Sheet: "Sheet1", Line: 1048576, Column: 16384, Msg: "m"}, "noh.xlsx: Sheet1!XFD1048576: m"},
		{RowError{File: "noh.xlsx", Sheet: "Kameraer NOH", Line: 9, Column: 1, Msg: "m"}, "noh.xlsx: 'Kameraer NOH'!A9: m"},
		{RowError{File: "noh.xlsx", Sheet: "Børn", Line: 9, Column: 2, Msg: "m"}, "noh.xlsx: Børn!B9: m"},
		{RowError{File: "noh.xlsx", Sheet: "2025", Line: 9, Column: 2, Msg: "m"}, "noh.xlsx: '2025'!B9: m"},
		{RowError{File: "noh.xlsx", Sheet: "Jens' ark", Line: 9, Column: 2, Msg: "m"}, "noh.xlsx: 'Jens'' ark'!B9: m"},
		{RowError{File: "noh.xlsx", Sheet: "Sheet1", Msg: "empty sheet"}, "noh.xlsx: Sheet1: empty sheet"},
		{RowError{File: "noh.csv", Line: 7, Column: 3, Msg: "m"}, "noh.csv:7:3: m"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
