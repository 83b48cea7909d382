package docs

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/report"
	"github.com/camsweep/camsweep/scanner/evidence"
)

// schemaDoc is the schema as plain JSON, for the tests that hold it against
// the Go types.
func schemaDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(ReportSchema, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// resolve follows a local "$ref" ("#/$defs/device") to its definition.
func resolve(t *testing.T, doc, node map[string]any) map[string]any {
	t.Helper()
	ref, ok := node["$ref"].(string)
	if !ok {
		return node
	}
	def, ok := doc["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	if !ok {
		t.Fatalf("schema: %s does not resolve", ref)
	}
	return resolve(t, doc, def)
}

// leafTypes are written as JSON strings or numbers, not objects.
var leafTypes = map[reflect.Type]bool{
	reflect.TypeFor[time.Time]():          true,
	reflect.TypeFor[netip.Addr]():         true,
	reflect.TypeFor[evidence.Class]():     true,
	reflect.TypeFor[inventory.Severity](): true,
}

// TestReportSchemaMatchesGoTypes walks the Go types of the report and the
// schema side by side: every field the Go code writes is a property of the
// schema object it lands in, required exactly when the field is always
// written (no omitempty), and the schema names no field the code does not
// write. A field added to inventory.Report, Device, Finding, ... without its
// schema property fails here, naming the definition to add it to.
func TestReportSchemaMatchesGoTypes(t *testing.T) {
	doc := schemaDoc(t)
	var walk func(path string, typ reflect.Type, node map[string]any)
	walk = func(path string, typ reflect.Type, node map[string]any) {
		node = resolve(t, doc, node)
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch {
		case leafTypes[typ]:
			return
		case typ.Kind() == reflect.Slice:
			items, ok := node["items"].(map[string]any)
			if !ok {
				t.Errorf("schema %s: want an array with items, for Go %s", path, typ)
				return
			}
			walk(path+"[]", typ.Elem(), items)
			return
		case typ.Kind() == reflect.Map:
			if _, ok := node["additionalProperties"]; !ok {
				t.Errorf("schema %s: want an object with additionalProperties, for Go %s", path, typ)
			}
			return
		case typ.Kind() != reflect.Struct:
			return
		}
		props, _ := node["properties"].(map[string]any)
		var required []string
		for _, r := range node["required"].([]any) {
			required = append(required, r.(string))
		}
		written := map[string]bool{}
		for f := range typ.Fields() {
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			written[name] = true
			prop, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("schema %s: no property %q for Go %s.%s: add it to that object's properties in docs/report.schema.json (docs/report.md, Adding a field)",
					path, name, typ.Name(), f.Name)
				continue
			}
			always := !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero")
			if always != slices.Contains(required, name) {
				t.Errorf("schema %s: %q required=%v, but Go %s.%s is always written=%v", path, name, !always, typ.Name(), f.Name, always)
			}
			walk(path+"."+name, f.Type, prop)
		}
		for name := range props {
			if !written[name] {
				t.Errorf("schema %s: property %q is not written by Go %s", path, name, typ)
			}
		}
	}
	walk("report", reflect.TypeFor[inventory.Report](), doc)
}

// stringConsts returns the string constants of the Go package in dir whose
// names pass keep, from the source: the list a new constant joins without
// anyone updating a second list.
func stringConsts(t *testing.T, dir string, keep func(name string, typ ast.Expr) bool) []string {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i >= len(vs.Values) || !keep(n.Name, vs.Type) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					out = append(out, v)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func enumOf(t *testing.T, doc map[string]any, def string) []string {
	t.Helper()
	var out []string
	for _, v := range doc["$defs"].(map[string]any)[def].(map[string]any)["enum"].([]any) {
		out = append(out, v.(string))
	}
	slices.Sort(out)
	return out
}

// TestReportSchemaEnumsMatchGo: the schema's finding kinds are the Kind*
// constants of package inventory, its classes the evidence.Class constants,
// its severities inventory's. A kind added in Go and not in the schema's one
// enum fails here.
func TestReportSchemaEnumsMatchGo(t *testing.T) {
	doc := schemaDoc(t)
	kinds := stringConsts(t, "../inventory", func(name string, _ ast.Expr) bool { return strings.HasPrefix(name, "Kind") })
	classes := stringConsts(t, "../scanner/evidence", func(_ string, typ ast.Expr) bool {
		id, ok := typ.(*ast.Ident)
		return ok && id.Name == "Class"
	})
	var severities []string
	for s := inventory.SeverityInfo; s.String() != "unknown"; s++ {
		severities = append(severities, s.String())
	}
	slices.Sort(severities)
	for _, c := range []struct {
		def string
		got []string
	}{{"kind", kinds}, {"class", classes}, {"severity", severities}} {
		if want := enumOf(t, doc, c.def); !slices.Equal(c.got, want) || len(want) == 0 {
			t.Errorf("$defs.%s.enum = %v, but Go has %v: the schema's enum is the one place to add a value", c.def, want, c.got)
		}
	}
}

// sampleReport is a report with every kind of element, written as
// `scan -o json` writes it.
func sampleReport(t *testing.T) []byte {
	t.Helper()
	ev := []evidence.Evidence{{Probe: "http", Field: "http.server", Value: "App-webs/"}}
	seen := time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC)
	rep := &inventory.Report{
		Site:    "NOH",
		Started: time.Date(2026, 11, 28, 14, 7, 9, 0, time.UTC), Finished: time.Date(2026, 11, 28, 14, 7, 19, 0, time.UTC),
		Scope: inventory.ScopeSummary{Targets: []string{"10.20.8.0/22"}, Ports: []string{"80", "10554/rtsp"}, Profile: "gentle",
			Probes: []string{"http"}, Discovery: []string{"tcp"}, RatePerSec: 200, Notes: []string{"no CAP_NET_RAW"}},
		Stats: inventory.Stats{Addresses: 1024, Live: 2, Cameras: 1, PacketsSent: 3000, Connections: 2990, DurationSeconds: 10.5,
			ProbeErrors: map[string]int{"onvif": 1}},
		Devices: []inventory.Device{
			{IP: netip.MustParseAddr("10.20.8.11"), MAC: "e0:50:8b:3d:72:19", OpenPorts: []uint16{80, 554}, Class: evidence.Camera,
				Brand: "Dahua", Manufacturer: "Dahua", Model: "IPC-HDW2431T-AS-S2", Confidence: 0.95, Why: []string{"rule x"}, Connections: 5, Evidence: ev},
			{IP: netip.MustParseAddr("fd00::20"), Class: evidence.Unknown},
			{MAC: "44:19:b6:00:00:01", Class: evidence.Other}, // seen only before it had an address (DHCP)
			{IP: netip.MustParseAddr("10.20.8.40"), Class: evidence.Camera, Egress: []inventory.EgressPeer{
				{IP: netip.MustParseAddr("47.91.0.10"), Port: 8000, Proto: "tcp", Sent: 1 << 20, First: seen, Last: seen, Sources: []string{"netflow"}},
				{Name: "p2p.example-cloud.cn", Maker: "Example", Lookups: 3, First: seen, Last: seen, Sources: []string{"mirror"}},
			}},
		},
		Findings: []inventory.Finding{
			{Key: "unregistered_camera/NOH/mac=e0:50:8b:3d:72:19", Kind: inventory.KindUnregisteredCamera, Severity: inventory.SeverityCritical,
				Site: "NOH", IP: "10.20.8.11", MAC: "e0:50:8b:3d:72:19", Manufacturer: "Dahua", Detail: "matches no registry row", Evidence: ev},
			{Key: "registry_conflict/NOH/ip=10.20.8.12", Kind: inventory.KindRegistryConflict, Severity: inventory.SeverityWarning,
				Site: "NOH", IP: "10.20.8.12", RegistryID: "NOH-1", RegistryIDs: []string{"NOH-1", "NOH-2"}, Detail: "two rows"},
		},
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, "json", rep); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReportSchemaRejects: the sample validates; each change that breaks
// the contract fails validation, naming where; fields the contract does
// not know yet (v1 grows) pass.
func TestReportSchemaRejects(t *testing.T) {
	good := sampleReport(t)
	if err := ValidateReport(good); err != nil {
		t.Fatalf("sample report: %v", err)
	}
	tests := []struct {
		name   string
		change func(r map[string]any)
		want   string // in the error; "" means it must validate
	}{
		{"no site", func(r map[string]any) { delete(r, "site") }, "missing property 'site'"},
		{"no findings", func(r map[string]any) { delete(r, "findings") }, "missing property 'findings'"},
		{"findings null", func(r map[string]any) { r["findings"] = nil }, "/findings"},
		{"other schema", func(r map[string]any) { r["schema"] = "camsweep.report/v2" }, "/schema"},
		{"started not a time", func(r map[string]any) { r["started"] = "yesterday" }, "/started"},
		{"device without class", func(r map[string]any) { delete(device(r, 0), "class") }, "missing property 'class'"},
		{"unknown class", func(r map[string]any) { device(r, 0)["class"] = "doorbell" }, "/devices/0/class"},
		{"confidence as a string", func(r map[string]any) { device(r, 0)["confidence"] = "0.95" }, "/devices/0/confidence"},
		{"confidence above 1", func(r map[string]any) { device(r, 0)["confidence"] = 1.5 }, "/devices/0/confidence"},
		{"port 0", func(r map[string]any) { device(r, 0)["open_ports"] = []any{0} }, "/devices/0/open_ports/0"},
		{"MAC upper-case", func(r map[string]any) { device(r, 0)["mac"] = "E0:50:8B:3D:72:19" }, "/devices/0/mac"},
		{"IP not an address", func(r map[string]any) { device(r, 0)["ip"] = "10.20.8.300" }, "/devices/0/ip"},
		{"evidence without field", func(r map[string]any) { delete(device(r, 0)["evidence"].([]any)[0].(map[string]any), "field") }, "missing property 'field'"},
		{"unknown kind", func(r map[string]any) { finding(r, 0)["kind"] = "camera_on_fire" }, "/findings/0/kind"},
		{"unknown severity", func(r map[string]any) { finding(r, 0)["severity"] = "severe" }, "/findings/0/severity"},
		{"severity as a number", func(r map[string]any) { finding(r, 0)["severity"] = 4 }, "/findings/0/severity"},
		{"key without site", func(r map[string]any) { finding(r, 0)["key"] = "unregistered_camera" }, "/findings/0/key"},
		{"live negative", func(r map[string]any) { r["stats"].(map[string]any)["live"] = -1 }, "/stats/live"},
		{"packets as a float", func(r map[string]any) { r["stats"].(map[string]any)["packets_sent"] = 1.5 }, "/stats/packets_sent"},
		{"unknown profile", func(r map[string]any) { r["scope"].(map[string]any)["profile"] = "loud" }, "/scope/profile"},
		{"added fields pass", func(r map[string]any) {
			r["sensor"] = "noh-sensor-1"
			device(r, 0)["location"] = map[string]any{"switch": "sw-b5-2", "port": "Gi1/0/7"}
			finding(r, 0)["first_seen"] = "2026-10-01T00:00:00Z"
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r map[string]any
			if err := json.Unmarshal(good, &r); err != nil {
				t.Fatal(err)
			}
			tt.change(r)
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			err = ValidateReport(b)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tt.want != "" && err == nil:
				t.Fatal("validated")
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %v\nwant it to name %q", err, tt.want)
			}
		})
	}
}

func device(r map[string]any, i int) map[string]any {
	return r["devices"].([]any)[i].(map[string]any)
}

func finding(r map[string]any, i int) map[string]any {
	return r["findings"].([]any)[i].(map[string]any)
}

// TestReportWriterFillsLists: a report built with nil lists (a test's fake
// sweep, a hand-made one) still writes [] where the contract requires an
// array, so it validates.
func TestReportWriterFillsLists(t *testing.T) {
	rep := &inventory.Report{Site: "NOH", Scope: inventory.ScopeSummary{Profile: "gentle"},
		Devices: []inventory.Device{{IP: netip.MustParseAddr("10.20.8.20"), Class: evidence.Camera}}}
	var buf bytes.Buffer
	if err := report.Write(&buf, "json", rep); err != nil {
		t.Fatal(err)
	}
	if err := ValidateReport(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if rep.Devices[0].Evidence != nil || rep.Scope.Targets != nil {
		t.Error("Write changed the report it was given")
	}
}
