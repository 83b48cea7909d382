package architecture

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// module is the import path every package of the repository starts with.
const module = "github.com/camsweep/camsweep"

// listedPackage is the part of `go list -json` output the rules read.
type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
	Error      *struct{ Err string }
}

// goList runs `go list -deps -json` on patterns from the module root and
// returns the packages by import path. It lists with the tests' GOOS and
// GOARCH: the rules hold on every platform the cross-builds cover.
func goList(t *testing.T, patterns ...string) map[string]listedPackage {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	args := append([]string{"list", "-deps", "-json"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	pkgs := map[string]listedPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

// networkPackages are what the pure stages must never link, directly or
// through another package: sockets, packet capture, protocol clients, and
// the scanner's own network code. Each names the package and every package
// below it, except "net", which is the socket package alone (net/netip and
// net/url are values, not I/O).
var networkPackages = []string{
	"net/http",
	"net/smtp",
	"net/rpc",
	"crypto/tls",
	"github.com/google/gopacket",
	"github.com/mdlayher",
	"github.com/miekg/dns",
	"github.com/use-go/onvif",
	"github.com/hashicorp/mdns",
	"golang.org/x/net",
	module + "/scanner",
}

// networkAllowed are packages below a networkPackages prefix that are not
// network code: the leaf evidence package every stage shares.
var networkAllowed = map[string]bool{
	module + "/scanner/evidence": true,
}

func isNetwork(path string) bool {
	if path == "net" {
		return true
	}
	if networkAllowed[path] {
		return false
	}
	for _, n := range networkPackages {
		if path == n || strings.HasPrefix(path, n+"/") {
			return true
		}
	}
	return false
}

// pureStages are the packages that turn evidence into verdicts and
// verdicts into findings, and the leaves they share. They run on evidence
// read from a file as well as from a live sweep, and an analyst's laptop
// must be able to build them without a line of network code.
var pureStages = []string{
	module + "/fingerprint",
	module + "/inventory",
	module + "/scanner/evidence",
	module + "/internal/yamlpos",
}

// TestPureStagesLinkNoNetwork: `go list -deps ./fingerprint ./inventory`
// names no network package.
func TestPureStagesLinkNoNetwork(t *testing.T) {
	pkgs := goList(t, "./fingerprint", "./inventory", "./scanner/evidence", "./internal/yamlpos")
	for _, stage := range pureStages {
		p, ok := pkgs[stage]
		if !ok {
			t.Fatalf("go list did not list %s", stage)
		}
		// Name only where the network comes in, once each: a forbidden
		// package imported by one that is not itself forbidden.
		named := map[string]bool{}
		for _, d := range append([]string{stage}, p.Deps...) {
			if isNetwork(d) {
				continue
			}
			for _, imp := range pkgs[d].Imports {
				if isNetwork(imp) && !named[imp] {
					named[imp] = true
					t.Errorf("%s links the network package %s: %s", rel(stage), imp, importChain(pkgs, stage, imp))
				}
			}
		}
	}
}

// rel shortens a module path for messages.
func rel(path string) string {
	if path == module {
		return "."
	}
	return strings.TrimPrefix(path, module+"/")
}

// importChain is one path of imports from `from` to `to`, for a message
// that says where a forbidden dependency came in.
func importChain(pkgs map[string]listedPackage, from, to string) string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var chain []string
			for p := to; p != ""; p = prev[p] {
				chain = append([]string{rel(p)}, chain...)
			}
			return strings.Join(chain, " -> ")
		}
		for _, imp := range pkgs[cur].Imports {
			if _, seen := prev[imp]; !seen {
				prev[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	return rel(from) + " -> ... -> " + rel(to)
}
