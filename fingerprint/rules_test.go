package fingerprint

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// TestEmbeddedRuleFiles runs every example of every shipped rule, and
// recog's lints, file by file.
func TestEmbeddedRuleFiles(t *testing.T) {
	files, err := EmbeddedRuleFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("only %d rule files embedded", len(files))
	}
	var rules, examples int
	for name, data := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			for _, err := range Verify(name, data) {
				t.Error(err)
			}
			rs, errs := parseRules(name, data)
			if len(errs) > 0 {
				return
			}
			for _, r := range rs {
				rules++
				for _, ex := range r.Examples {
					examples++
					got, ok := r.Apply(ex.Value)
					if !ok || got != ex.Want {
						t.Errorf("%s:%d rule %s: Apply(%q) = %+v, %v; want %+v", name, ex.Line, r.ID, ex.Value, got, ok, ex.Want)
					}
				}
			}
		})
	}
	t.Logf("%d files, %d rules, %d examples", len(files), rules, examples)
}

func TestLoadEmbedded(t *testing.T) {
	e, err := LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.Rules()); n < 150 {
		t.Errorf("LoadEmbedded: %d rules, want at least 150", n)
	}
}

// TestRuleNamesAreCanonical keeps rules and the OEM map in step: every
// constant brand or manufacturer a rule names must be an OEM map entry, so
// that policy comparisons on names are exact.
func TestRuleNamesAreCanonical(t *testing.T) {
	e, err := LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range e.Rules() {
		if r.Recog != nil {
			continue // recog's names are its own; TestRecogVideoVendorsKnown covers the ones that matter
		}
		for _, v := range []string{r.Outputs.Brand, r.Outputs.Manufacturer} {
			if v == "" || strings.Contains(v, "{") {
				continue
			}
			o, ok := LookupOEM(v)
			if !ok || o.Brand != v {
				t.Errorf("rule %s (%s:%d) names %q, not a canonical OEM map brand", r.ID, r.File, r.Line, v)
			}
		}
	}
	for _, o := range oemMap().list {
		if o.MadeBy != "" && o.MadeBy == o.Brand {
			t.Errorf("oem map: %s is made_by itself; leave made_by empty", o.Brand)
		}
		if o.Share == "some" && o.Note == "" {
			t.Errorf("oem map: %s has share some without a note saying why", o.Brand)
		}
	}
}

// noRuleFields are evidence fields that carry no maker or class signal, with
// the reason; every other field in docs/evidence.md must have a rule.
var noRuleFields = map[string]string{
	"tcp.open":                   "covered by tcp.yaml for vendor ports only",
	"mac":                        "converted to mac.oui",
	"http.status":                "a status code names no maker",
	"tls.not_before":             "dates name no maker",
	"tls.not_after":              "dates name no maker",
	"rtsp.status":                "a status code names no maker",
	"isapi.status":               "any server answers 200 or 401 to any path",
	"isapi.device_name":          "set by the user",
	"onvif.hardware_id":          "an opaque board code",
	"onvif.clock_offset_seconds": "clock skew names no maker",
	"wsd.endpoint":               "a UUID",
	"wsd.xaddrs":                 "a URL",
	"wsd.location":               "set by the user",
	"ssdp.location":              "a URL",
	"upnp.udn":                   "a UUID",
	"upnp.friendly_name":         "set by the user",
	"arp.foreign_subnet":         "marks a factory address, names no maker",
	"passive.foreign_subnet":     "marks a factory address, names no maker",
	"passive.heard":              "what kind of frame a host sent, names no maker",
	"arp.mac_conflict":           "marks spoofing or an address conflict, names no maker",
	"lldp.chassis_id":            "a MAC, converted to mac.oui",
	"lldp.port_id":               "names the host's port, not its maker",
	"lldp.port_description":      "set by the host's firmware or its admin, per port",
	"lldp.capabilities":          "the kind of station (bridge, router, telephone, station-only), not its maker",
	"snmp.router":                "names the router whose neighbour table gave the MAC, not the device's maker",
}

func TestEvidenceFieldsCovered(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "evidence.md"))
	if err != nil {
		t.Fatalf("docs/evidence.md (in this repository) not readable: %v", err)
	}
	e, err := LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, r := range e.Rules() {
		for _, f := range r.Fields {
			covered[f] = true
		}
	}
	field := regexp.MustCompile("`([a-z0-9_.-]+)`")
	var missing []string
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.SplitN(line, "|", 3)[1]
		for _, m := range field.FindAllStringSubmatch(first, -1) {
			f := m[1]
			switch {
			case strings.HasSuffix(f, ".mac"):
				continue // converted to mac.oui
			case strings.HasPrefix(f, "http.header."):
				f = "http.header.set-cookie" // the doc names one header as an example
			}
			if !covered[f] && noRuleFields[f] == "" {
				missing = append(missing, f)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("evidence fields with neither rules nor a reason for none: %v", missing)
	}
}

func TestLoadDirAndDuplicateIDs(t *testing.T) {
	dir := t.TempDir()
	user := `rules:
  - id: site-camera-name
    field: hostname
    pattern: '^cam-(\d+)$'
    description: our naming scheme for cameras
    weight: 0.4
    class: camera
    examples:
      - value: cam-12
        class: camera
`
	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(user), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	before := len(e.Rules())
	if err := e.LoadDir(dir); err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	if got := len(e.Rules()); got != before+1 {
		t.Errorf("LoadDir added %d rules, want 1", got-before)
	}
	if v := e.Identify(ev("hostname", "cam-12")); v.Class != evidence.Camera {
		t.Errorf("user rule not applied: %+v", v)
	}
	// Loading the same file again clashes on the id and adds nothing.
	err = e.LoadFile(filepath.Join(dir, "site.yaml"))
	if err == nil || !strings.Contains(err.Error(), "site-camera-name: id already used in") {
		t.Errorf("reload: err = %v, want an id clash", err)
	}
	if got := len(e.Rules()); got != before+1 {
		t.Errorf("failed load added rules: %d", got-before-1)
	}
}

// TestWSDNameBrands keeps the ONVIF name-scope rule in step with the OEM
// map: a name that starts with any brand the map knows yields that brand,
// and a name that is only a model or a place yields none, so a model string
// never becomes a brand.
func TestWSDNameBrands(t *testing.T) {
	e, err := LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	r := e.ids["wsd-name-vendor"]
	if r == nil {
		t.Fatal("rule wsd-name-vendor not loaded")
	}
	for _, o := range oemMap().list {
		for _, name := range []string{o.Brand, strings.ToUpper(o.Brand) + " X1234-I", o.Brand + "_Front"} {
			if out, ok := r.Apply(name); !ok || out.Brand != o.Brand {
				t.Errorf("wsd.name %q: brand %q, want %q", name, out.Brand, o.Brand)
			}
		}
	}
	for _, name := range []string{"XNV-C8083R", "RLC-810A", "DS-2CD2143G2-I", "Lobby east", "IPC", "General", "Axisbank lobby"} {
		if out, ok := r.Apply(name); ok {
			t.Errorf("wsd.name %q: brand %q, want none", name, out.Brand)
		}
	}
}

// lexiconLeftOut are OEM map brands the lexicon does not look for in free
// text, with the reason; lexicon.yaml says the same.
var lexiconLeftOut = map[string]string{
	"Axis":             "Apache Axis; matched as AXIS plus a model instead",
	"LTS":              "Ubuntu LTS and long-term-support everywhere",
	"2N":               "two characters",
	"TVT":              "three letters, other meanings",
	"ADT":              "three letters, other meanings",
	"Eneo":             "a common word in other languages",
	"Vicon":            "Vicon motion capture",
	"ELAN":             "a common word and chip maker",
	"IDIS":             "other meanings",
	"Hikrobot":         "robots and machine vision, not video",
	"Cisco Meraki":     "matched as Meraki",
	"Digital Watchdog": "",
}

// TestLexiconCoversOEMMap keeps lexicon.yaml in step with the OEM map: every
// brand is recognised by name in a banner, unless it is left out for a
// reason.
func TestLexiconCoversOEMMap(t *testing.T) {
	e := engine(t)
	video, other := e.ids["lexicon-video-maker"], e.ids["lexicon-other-maker"]
	if video == nil || other == nil {
		t.Fatal("lexicon rules not loaded")
	}
	for _, o := range oemMap().list {
		if lexiconLeftOut[o.Brand] != "" {
			continue
		}
		value := "Welcome to " + o.Brand + " Web"
		out, ok := video.Apply(value)
		if !ok {
			out, ok = other.Apply(value)
		}
		if !ok || out.Brand != o.Brand {
			t.Errorf("lexicon: %q gives brand %q, want %q", value, out.Brand, o.Brand)
		}
	}
}
