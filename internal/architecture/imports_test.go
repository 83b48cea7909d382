package architecture

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// allowedImports is the table of docs/architecture.md: for each package of
// the module, the packages of the module it may import (its code, not its
// tests). A key ending in "/..." covers the package and everything below
// it. A package missing from the table fails the test: a new package takes
// its place in the architecture (here and in the document) when it is
// added.
var allowedImports = map[string][]string{
	// The leaves every stage shares.
	"scanner/evidence": {},
	"internal/yamlpos": {},

	// The pure stages: evidence in, verdicts and findings out.
	"fingerprint":                 {"scanner/evidence", "internal/yamlpos"},
	"fingerprint/internal/ouigen": {},
	"inventory":                   {"scanner/evidence", "internal/yamlpos"},
	"inventory/metrics":           {"inventory", "scanner/evidence"},
	"inventory/report":            {"inventory", "scanner/evidence"},
	"inventory/store":             {"inventory", "scanner/evidence"},
	// Workbooks (zip, XML, excelize) stay out of inventory's core.
	"inventory/registryfile":              {"inventory"},
	"inventory/registryfile/workbooktest": {"inventory"},
	// The central VMS's own camera list, an input of inventory like the
	// registry, read over HTTP: beside the pure core, never inside it.
	"inventory/vms": {"inventory"},

	// The engine imports no prober and no link-layer code.
	"scanner":                   {"scanner/evidence", "scanner/internal/osnet"},
	"scanner/internal/osnet":    {},
	"scanner/internal/bounded":  {},
	"scanner/internal/value":    {"scanner/evidence"},
	"scanner/internal/wire":     {"scanner/evidence", "scanner/internal/value"},
	"scanner/internal/datagram": {"scanner", "scanner/evidence", "scanner/internal/bounded", "scanner/internal/osnet", "scanner/internal/value"},

	// Probers and link-layer work build on the engine's contract and share
	// code only through scanner/internal, never with each other.
	"scanner/secret": {},
	"scanner/snmp":   {"scanner/evidence", "scanner/secret", "scanner/internal/value", "internal/yamlpos"},

	"scanner/probe": {"scanner", "scanner/evidence", "scanner/internal/bounded", "scanner/internal/datagram",
		"scanner/internal/osnet", "scanner/internal/value", "scanner/internal/wire", "scanner/secret"},
	"scanner/link": {"scanner", "scanner/evidence", "scanner/internal/bounded", "scanner/internal/osnet",
		"scanner/internal/value", "scanner/internal/wire"},

	// Flow evidence (mirror port, NetFlow/IPFIX/sFlow) is a source beside
	// the probers: frames and datagrams in, flows out, no engine needed.
	"scanner/flow": {"scanner/evidence"},

	// Test fakes: devices that answer like cameras, and the namespace lab.
	"scanner/scantest":        {"scanner", "scanner/evidence"},
	"scanner/scantest/netlab": {"scanner", "scanner/link"},

	// The binary wires everything.
	"cmd/camsweep/...": {"..."},

	"deploy":          {},
	"deploy/examples": {},

	// The user documentation and the report schema its tests validate with.
	"docs": {},

	"internal/architecture": {},
}

// ruleFor finds the table entry of a package (relative to the module).
func ruleFor(pkg string) ([]string, bool) {
	if allowed, ok := allowedImports[pkg]; ok {
		return allowed, true
	}
	for k, allowed := range allowedImports {
		if base, ok := strings.CutSuffix(k, "/..."); ok && (pkg == base || strings.HasPrefix(pkg, base+"/")) {
			return allowed, true
		}
	}
	return nil, false
}

// violations checks every package's imports of the module against the
// table and returns one message per forbidden edge or unplaced package.
func violations(pkgs map[string]listedPackage) []string {
	var out []string
	for _, path := range slices.Sorted(maps.Keys(pkgs)) {
		if path != module && !strings.HasPrefix(path, module+"/") {
			continue
		}
		pkg := rel(path)
		allowed, ok := ruleFor(pkg)
		if !ok {
			out = append(out, pkg+": not in the table of docs/architecture.md (internal/architecture/imports_test.go)")
			continue
		}
		for _, imp := range pkgs[path].Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if dep := rel(imp); !slices.Contains(allowed, dep) && !slices.Contains(allowed, "...") {
				out = append(out, pkg+" imports "+dep+", which docs/architecture.md does not allow")
			}
		}
	}
	return out
}

// TestImportsFollowTheArchitecture: every import between packages of the
// module is an edge of the table.
func TestImportsFollowTheArchitecture(t *testing.T) {
	for _, v := range violations(goList(t, "./...")) {
		t.Error(v)
	}
}

// TestViolationsFindForbiddenEdges feeds the check a graph with the edges
// the architecture forbids, so that a check that finds nothing cannot pass
// for one that holds.
func TestViolationsFindForbiddenEdges(t *testing.T) {
	m := func(p string) string { return module + "/" + p }
	graph := map[string]listedPackage{
		m("scanner"):          {ImportPath: m("scanner"), Imports: []string{m("scanner/evidence"), m("scanner/probe")}},
		m("scanner/probe"):    {ImportPath: m("scanner/probe"), Imports: []string{m("scanner"), m("scanner/link"), "net/http"}},
		m("fingerprint"):      {ImportPath: m("fingerprint"), Imports: []string{m("scanner/evidence"), m("scanner")}},
		m("scanner/evidence"): {ImportPath: m("scanner/evidence")},
		m("cmd/camsweep/x"):   {ImportPath: m("cmd/camsweep/x"), Imports: []string{m("scanner/link"), m("scanner/probe")}},
		m("newpkg"):           {ImportPath: m("newpkg")},
	}
	want := []string{
		"fingerprint imports scanner, which docs/architecture.md does not allow",
		"newpkg: not in the table of docs/architecture.md (internal/architecture/imports_test.go)",
		"scanner imports scanner/probe, which docs/architecture.md does not allow",
		"scanner/probe imports scanner/link, which docs/architecture.md does not allow",
	}
	if got := violations(graph); !slices.Equal(got, want) {
		t.Errorf("violations:\n got %q\nwant %q", got, want)
	}
}
