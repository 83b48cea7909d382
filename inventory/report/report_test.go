package report

import (
	"bytes"
	"encoding/csv"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

func sample() *inventory.Report {
	return &inventory.Report{
		Schema:   inventory.ReportSchema,
		Site:     "NOH",
		Started:  time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC),
		Finished: time.Date(2026, 11, 28, 10, 2, 30, 0, time.UTC),
		Scope:    inventory.ScopeSummary{Targets: []string{"127.77.0.0/16"}, Exclude: []string{}, Ports: []string{"80"}, Profile: "gentle", Probes: []string{"tcp"}, Discovery: []string{"tcp"}, RatePerSec: 50},
		Stats:    inventory.Stats{Addresses: 65536, Live: 21, Cameras: 17, ProbeErrors: map[string]int{}},
		Devices: []inventory.Device{
			{IP: netip.MustParseAddr("127.77.10.22"), MAC: "9c:8e:cd:2b:7a:41", Hostnames: []string{"=cmd|' /C calc'!A0"}, OpenPorts: []uint16{80, 554}, Class: "camera",
				Brand: "Amcrest", Manufacturer: "Dahua", Model: "IP5M-T1179EW", Serial: "AMC0482F7D61C5A93E", Confidence: 0.93,
				Evidence: []evidence.Evidence{{Probe: "http", Field: "http.server", Value: "<script>alert(1)</script>"}}},
			{IP: netip.MustParseAddr("127.77.10.5"), Class: "camera", Brand: "Axis", Manufacturer: "Axis", RegistryID: "NOH-CAM-0110", Hostnames: []string{}, OpenPorts: []uint16{}, Evidence: []evidence.Evidence{}},
		},
		Findings: []inventory.Finding{
			{Key: "unregistered_camera/NOH/mac=9c:8e:cd:2b:7a:41", Kind: "unregistered_camera", Severity: inventory.SeverityCritical, Site: "NOH", IP: "127.77.10.22", MAC: "9c:8e:cd:2b:7a:41",
				Manufacturer: "Dahua", Brand: "Amcrest", Model: "IP5M-T1179EW", Detail: "Amcrest camera matches no registry row",
				Evidence: []evidence.Evidence{{Probe: "http", Field: "http.server", Value: "<script>alert(1)</script>"}}},
			{Key: "banned_manufacturer/NOH/mac=9c:8e:cd:2b:7a:41", Kind: "banned_manufacturer", Severity: inventory.SeverityHigh, Site: "NOH", IP: "127.77.10.22", MAC: "9c:8e:cd:2b:7a:41",
				Manufacturer: "Dahua", Brand: "Amcrest", Detail: "made by Dahua"},
			{Key: "registry_conflict/NOH/mac=ac:cc:8e:00:00:01", Kind: "registry_conflict", Severity: inventory.SeverityWarning, Site: "NOH",
				RegistryID: "NOH-1", RegistryIDs: []string{"NOH-1", "NOH-2"}, Detail: "2 registry rows claim mac"},
		},
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	err := Write(&bytes.Buffer{}, "xml", sample())
	if err == nil || !strings.Contains(err.Error(), `unknown format "xml" (want table, json, csv, html)`) {
		t.Errorf("got %v", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "json", sample()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\n  \"schema\": \"camsweep.report/v1\"") {
		t.Errorf("not indented or no schema:\n%s", buf.String()[:200])
	}
	got, err := ParseReport(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sample()) {
		t.Errorf("round trip changed the report:\n got %+v\nwant %+v", got, sample())
	}
}

func TestJSONEmptyListsAreArrays(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "json", &inventory.Report{Schema: inventory.ReportSchema}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"devices": []`, `"findings": []`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("missing %s in\n%s", want, buf.String())
		}
	}
}

func TestParseReportErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"site": "NOH"}`, "no schema field"},
		{`{"schema": "camsweep.report/v2"}`, `schema "camsweep.report/v2" is not supported`},
		{`{"schema": "camsweep.report/v1"} {}`, "data after the report"},
		{`{"schema": "camsweep.report/v1", "findings": [{"key": "k", "kind": "x", "severity": "dire"}]}`, `unknown severity "dire"`},
		{`{"schema": "camsweep.report/v1", "findings": [{"kind": "x", "severity": "info"}]}`, "finding 0 has no key"},
		{`{"schema": "camsweep.report/v1", "devices": [{"ip": "10.0.0.300"}]}`, "report: parse:"},
		{`[`, "report: parse:"},
	}
	for _, tt := range tests {
		_, err := ParseReport(strings.NewReader(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.doc, err, tt.want)
		}
	}
	// A newer v1 producer may add fields; they are no error.
	if _, err := ParseReport(strings.NewReader(`{"schema": "camsweep.report/v1", "sensor": "noh-1"}`)); err != nil {
		t.Errorf("unknown field refused: %v", err)
	}
}

func TestTableGroupsBySeverity(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "table", sample()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	iCrit, iHigh, iWarn := strings.Index(out, "\nCRITICAL (1)\n"), strings.Index(out, "\nHIGH (1)\n"), strings.Index(out, "\nWARNING (1)\n")
	if iCrit < 0 || iHigh < iCrit || iWarn < iHigh || strings.Contains(out, "MEDIUM") {
		t.Fatalf("groups out of order or missing:\n%s", out)
	}
	// Columns are aligned: every row of a group starts its IP column at
	// the same offset as the header's.
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "  KIND") {
			col := strings.Index(l, "IP")
			row := lines[i+1]
			if len(row) <= col || row[col-1] != ' ' || row[col] == ' ' {
				t.Errorf("row not aligned with header:\n%s\n%s", l, row)
			}
		}
	}
	if !strings.Contains(out, "Dahua (Amcrest)") || !strings.Contains(out, "site NOH, 2026-11-28 10:00:00 to 10:02:30 UTC") {
		t.Errorf("table lacks maker or header:\n%s", out)
	}
}

func TestCSVLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "csv", sample()); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// The header is a contract with whoever reads the file (docs/registry.md):
	// pinned here as written, not taken from the code under test.
	wantHeader := []string{
		"severity", "kind", "key", "site", "ip", "mac", "registry_id", "registry_ids",
		"manufacturer", "brand", "model", "detail",
		"device_class", "device_serial", "device_firmware", "device_confidence", "device_hostnames", "device_open_ports", "evidence",
		"device_stream_clients", "device_records", "device_egress", "device_vms_hardware",
		"mac_source", "location_switch", "location_port", "location_port_description", "location_vlan",
	}
	if !reflect.DeepEqual(recs[0], wantHeader) || len(recs) != 4 {
		t.Fatalf("header %q, %d records", recs[0], len(recs))
	}
	col := map[string]int{}
	for i, h := range wantHeader {
		col[h] = i
	}
	first := recs[1]
	checks := map[string]string{
		"severity": "critical", "kind": "unregistered_camera", "device_class": "camera", "device_serial": "AMC0482F7D61C5A93E",
		"device_open_ports": "80 554", "device_confidence": "0.93", "evidence": "http.server=<script>alert(1)</script>",
		// A hostile hostname must reach the spreadsheet as text, not a formula.
		"device_hostnames": "'=cmd|' /C calc'!A0",
	}
	for name, want := range checks {
		if got := first[col[name]]; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := recs[3][col["registry_ids"]]; got != "NOH-1 NOH-2" {
		t.Errorf("registry_ids = %q", got)
	}
	if got := recs[3][col["device_class"]]; got != "" {
		t.Errorf("registry finding got device columns: %q", got)
	}
}

func TestHTMLSelfContained(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "html", sample()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script", "http://", "https://", "<link", "<img", "@import", "url("} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML contains %q: not self-contained or not escaped", bad)
		}
	}
	for _, want := range []string{"@media print", "&lt;script&gt;alert(1)&lt;/script&gt;", "CRITICAL (1)", "unregistered_camera/NOH/mac=9c:8e:cd:2b:7a:41", "Dahua (Amcrest)", "NOH-CAM-0110"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestMaxSeverity(t *testing.T) {
	f := func(s ...inventory.Severity) []inventory.Finding {
		var out []inventory.Finding
		for _, v := range s {
			out = append(out, inventory.Finding{Severity: v})
		}
		return out
	}
	tests := []struct {
		in   []inventory.Finding
		want inventory.Severity
		ok   bool
	}{
		{nil, 0, false},
		{f(inventory.SeverityInfo), inventory.SeverityInfo, true},
		{f(inventory.SeverityWarning, inventory.SeverityCritical, inventory.SeverityHigh), inventory.SeverityCritical, true},
	}
	for _, tt := range tests {
		got, ok := MaxSeverity(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("MaxSeverity = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseReport(f *testing.F) {
	var buf bytes.Buffer
	if err := Write(&buf, "json", sample()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"schema": "camsweep.report/v1", "findings": [{"key": "k", "kind": "x", "severity": "info"}]}`))
	f.Add([]byte(`{"schema": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := ParseReport(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever parses must render in every format and parse back.
		for _, format := range Formats {
			if err := Write(&bytes.Buffer{}, format, rep); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
		}
		var out bytes.Buffer
		if err := Write(&out, "json", rep); err != nil {
			t.Fatal(err)
		}
		if _, err := ParseReport(&out); err != nil {
			t.Fatalf("a parsed report does not parse again: %v", err)
		}
	})
}
