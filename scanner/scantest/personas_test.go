package scantest

import (
	"io/fs"
	"net/netip"
	"strings"
	"testing"
	"testing/fstest"
)

func TestPersonasLoad(t *testing.T) {
	ps, err := Personas()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 20 {
		t.Errorf("%d personas, want at least 20", len(ps))
	}
	names := map[string]bool{}
	for i, p := range ps {
		if i > 0 && ps[i-1].Name >= p.Name {
			t.Errorf("not sorted: %q before %q", ps[i-1].Name, p.Name)
		}
		names[p.Name] = true
		if p.Hostile == "" && p.Truth.Class != "other" && (p.Truth.Brand == "" || p.Truth.Manufacturer == "" || p.Truth.Model == "") {
			t.Errorf("%s: truth incomplete: %+v", p.Name, p.Truth)
		}
		if p.MAC != "" && (len(p.MAC) != 17 || strings.ToLower(p.MAC) != p.MAC) {
			t.Errorf("%s: MAC %q, want lower-case colon form", p.Name, p.MAC)
		}
	}
	// Every file is named after its persona, so a reader finds it.
	entries, _ := fs.ReadDir(personaFiles, "personas")
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !names[name] {
			t.Errorf("file %s holds no persona named %q", e.Name(), name)
		}
	}
	if _, err := PersonaByName("no-such-device"); err == nil || !strings.Contains(err.Error(), `"no-such-device"`) {
		t.Errorf("PersonaByName(unknown): %v", err)
	}
}

func TestParsePersonaErrors(t *testing.T) {
	const ok = "name: x\ntruth: {class: other}\nhttp: {routes: [{path: /}]}\n"
	tests := []struct {
		name, doc, want string
	}{
		{"valid", ok, ""},
		{"unknown field", ok + "colour: red\n", "field colour not found"},
		{"typo in section", "name: x\ntruth: {class: other}\nhttp: {route: []}\n", "field route not found"},
		{"no name", "truth: {class: other}\nhttp: {}\n", "name: required"},
		{"bad class", "name: x\ntruth: {class: toaster}\nhttp: {}\n", `truth.class: "toaster"`},
		{"bad hostile", ok + "hostile: rude\n", `hostile: "rude"`},
		{"no service", "name: x\ntruth: {class: other}\n", "no TCP service"},
		{"relative path", "name: x\ntruth: {class: other}\nhttp: {routes: [{path: index.html}]}\n", "path must start with /"},
		{"bad status", "name: x\ntruth: {class: other}\nhttp: {routes: [{path: /, status: 42}]}\n", "status 42 out of range"},
		{"bad placeholder", "name: x\ntruth: {class: other}\nhttp: {routes: [{path: /, body: '{{serail}}'}]}\n", "unknown placeholder {{serail}}"},
		{"header newline", "name: x\ntruth: {class: other}\nhttp: {routes: [{path: /, headers: [[Server, \"a\\r\\nX: b\"]]}]}\n", "bad header"},
		{"two documents", ok + "---\n" + ok, "more than one YAML document"},
		{"empty", "", "empty document"},
		{"bad duration", ok + "hostile_delay: soon\n", "line 4: cannot unmarshal !!str `soon` into time.Duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePersona([]byte(tt.doc))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadPersonasNamesTheFile(t *testing.T) {
	fsys := fstest.MapFS{
		"p/a.yaml": {Data: []byte("name: a\ntruth: {class: other}\nhttp: {}\n")},
		"p/b.yaml": {Data: []byte("name: a\ntruth: {class: other}\nhttp: {}\n")},
		"p/c.yaml": {Data: []byte("name: c\ntruth: {class: other}\nhttp: {routes: [{path: /, body_file: missing.ico}]}\n")},
	}
	_, err := LoadPersonas(fsys, "p")
	if err == nil || !strings.Contains(err.Error(), "scantest: load p/b.yaml: persona \"a\" already defined in p/a.yaml") {
		t.Errorf("duplicate: %v", err)
	}
	delete(fsys, "p/b.yaml")
	_, err = LoadPersonas(fsys, "p")
	if err == nil || !strings.Contains(err.Error(), "p/c.yaml") || !strings.Contains(err.Error(), "body_file") {
		t.Errorf("missing body_file: %v", err)
	}
}

func TestNOH(t *testing.T) {
	hosts, err := NOH()
	if err != nil {
		t.Fatal(err)
	}
	serials, macs := map[string]bool{}, map[string]bool{}
	dahua := 0
	for _, h := range hosts {
		if !NOHPrefix.Contains(h.Addr) {
			t.Errorf("%s outside %s", h.Addr, NOHPrefix)
		}
		if h.Persona.Truth.Manufacturer == "Dahua" && h.Persona.Truth.Brand == "Dahua" && h.Persona.Truth.Class == "camera" {
			dahua++
			if !NOHCameraSegment.Contains(h.Addr) {
				t.Errorf("Dahua camera %s outside the camera segment", h.Addr)
			}
		}
		if h.Serial != "" {
			if serials[h.Serial] {
				t.Errorf("serial %s twice", h.Serial)
			}
			serials[h.Serial] = true
		}
		if macs[h.MAC] {
			t.Errorf("MAC %s twice", h.MAC)
		}
		macs[h.MAC] = true
	}
	if dahua != 7 {
		t.Errorf("%d Dahua cameras, want the seven of the press case", dahua)
	}
	base := RandomBase()
	moved, err := NOHAt(base)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Start(t.Context(), moved, Options{Base: base})
	if err != nil {
		t.Skipf("base %s busy: %v", base, err)
	}
	defer n.Close()
	a := base.Addr().As4()
	a[2], a[3] = 8, 16
	h := n.Host(netip.AddrFrom4(a))
	if h == nil {
		t.Fatalf("no host at %s", netip.AddrFrom4(a))
	}
	ap := addrPort(t, h, "rtsp")
	resp, _ := rawExchange(t, ap, "DESCRIBE rtsp://"+ap.String()+"/cam/realmonitor?channel=1&subtype=0 RTSP/1.0\r\nCSeq: 1\r\n\r\n")
	if got := resp.Header.Get("WWW-Authenticate"); !strings.Contains(got, `realm="Login to 4M0747EPAA1D284"`) {
		t.Errorf("realm %q, want the host's own serial", got)
	}
}
