package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// testdata/nmap/lab-nmap.xml was written by Debian's nmap 7.9x
// (-sS -sV --script http-title,http-server-header,http-auth,ssl-cert,
// rtsp-methods,http-favicon) against the namespace lab of
// TestLabNmapIdentify: emulated Hikvision, Dahua, Axis, Hanwha and Vivotek
// cameras and recorders, an HP printer and a Linux server.
const labNmapXML = "testdata/nmap/lab-nmap.xml"

func TestReadNmapEvidenceFromRealNmap(t *testing.T) {
	f, err := os.Open(labNmapXML)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hosts, byHost, err := readNmapEvidence(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 9 {
		t.Fatalf("hosts %v, want the lab's 9", hosts)
	}
	fields := map[string]bool{}
	for _, h := range hosts {
		for _, e := range byHost[h] {
			fields[e.Field] = true
			if e.Probe != "nmap" {
				t.Errorf("%s: probe %q", h, e.Probe)
			}
		}
	}
	// http-auth reports only a 401 on GET /, which none of the lab's
	// personas answers there; TestReadNmapEvidenceEdges reads its table.
	for _, want := range []string{"mac", "tcp.open", "nmap.product", "http.server", "http.title", "tls.subject", "tls.issuer", "rtsp.public"} {
		if !fields[want] {
			t.Errorf("no %s evidence from nmap's XML; fields %v", want, fields)
		}
	}
}

func TestIdentifyNmapXML(t *testing.T) {
	stdout, stderr, code := camsweep(t, "", "identify", "-o", "json", labNmapXML)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cams := 0
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var v hostVerdict
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatal(err)
		}
		if v.Class.IsVideo() {
			cams++
			if v.Manufacturer == "" {
				t.Errorf("%s: camera without a maker: %v", v.Host, v.Why)
			}
		}
	}
	if cams != 7 {
		t.Errorf("%d cameras and recorders, want the lab's 7:\n%s", cams, stdout)
	}
	// The same file on stdin: the format is told by content.
	data, err := os.ReadFile(labNmapXML)
	if err != nil {
		t.Fatal(err)
	}
	if again, _, code := camsweep(t, string(data), "identify", "-o", "json"); code != exitOK || again != stdout {
		t.Errorf("stdin gave exit %d and a different answer", code)
	}
}

func TestReadNmapEvidenceEdges(t *testing.T) {
	const head = `<?xml version="1.0"?><!DOCTYPE nmaprun><nmaprun scanner="nmap">`
	tests := []struct {
		name, xml string
		hosts     int
		want      []evidence.Evidence
		err       string
	}{
		{name: "down host and closed port give nothing",
			xml: head + `<host><status state="down"/><address addr="10.0.0.1" addrtype="ipv4"/></host>` +
				`<host><status state="up"/><address addr="10.0.0.2" addrtype="ipv4"/><ports><port protocol="tcp" portid="80"><state state="closed"/><service name="http" product="Boa"/></port></ports></host></nmaprun>`,
			hosts: 1},
		{name: "scripts", hosts: 1,
			xml: head + `<host><status state="up"/><address addr="10.0.0.3" addrtype="ipv4"/><address addr="44:19:B6:00:00:01" addrtype="mac" vendor="Hikvision"/><ports>` +
				`<port protocol="tcp" portid="80"><state state="open"/><service name="http" product="Hikvision IP camera httpd" devicetype="webcam"><cpe>cpe:/h:hikvision:ds-2cd</cpe></service>` +
				`<script id="http-auth" output="x"><table key="Digest"><elem key="realm">IP Camera(C1234)</elem></table></script>` +
				`<script id="http-title" output="Site doesn&apos;t have a title (text/html)."></script>` +
				`<script id="http-favicon" output="Unknown favicon MD5: 89B932FCC47CF4CA3FAADB0CFDEF89CF"/></port>` +
				`<port protocol="tcp" portid="443"><state state="open"/><script id="ssl-cert" output="x"><table key="subject"><elem key="commonName">IPC</elem><elem key="organizationName">Hikvision, Inc</elem><elem key="countryName">CN</elem></table></script></port>` +
				`</ports></host></nmaprun>`,
			want: []evidence.Evidence{
				{Probe: "nmap", Field: "mac", Value: "44:19:b6:00:00:01"},
				{Probe: "nmap", Field: "nmap.product", Value: "Hikvision IP camera httpd"},
				{Probe: "nmap", Field: "nmap.devicetype", Value: "webcam"},
				{Probe: "nmap", Field: "nmap.cpe", Value: "cpe:/h:hikvision:ds-2cd"},
				{Probe: "nmap", Field: "http.realm", Value: "IP Camera(C1234)"},
				{Probe: "nmap", Field: "http.www_authenticate", Value: `Digest realm="IP Camera(C1234)"`},
				{Probe: "nmap", Field: "http.favicon_md5", Value: "89b932fcc47cf4ca3faadb0cfdef89cf"},
				{Probe: "nmap", Field: "tls.subject", Value: `CN=IPC,O=Hikvision\, Inc,C=CN`},
			}},
		{name: "not nmap", xml: `<?xml version="1.0"?><foo/>`, err: "no <nmaprun>"},
		{name: "oversized host", xml: head + `<host>` + strings.Repeat("<x/>", maxNmapHostBytes/2) + `</host></nmaprun>`, err: "larger than"},
		{name: "broken xml", xml: head + `<host><address addr="10.0.0.1"`, err: "nmap xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hosts, byHost, err := readNmapEvidence(strings.NewReader(tt.xml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(hosts) != tt.hosts {
				t.Fatalf("hosts %v, want %d", hosts, tt.hosts)
			}
			for _, w := range tt.want {
				if !slices.Contains(byHost[hosts[0]], w) {
					t.Errorf("missing %+v in %+v", w, byHost[hosts[0]])
				}
			}
			for _, e := range byHost[hosts[0]] {
				if e.Field == "http.title" {
					t.Errorf("no-title message taken as a title: %+v", e)
				}
			}
		})
	}
}

// FuzzReadNmapEvidence: nmap's XML carries what devices sent; reading it
// must never panic, and what it yields is bounded.
func FuzzReadNmapEvidence(f *testing.F) {
	if data, err := os.ReadFile(filepath.Clean(labNmapXML)); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`<nmaprun><host><address addr="::1" addrtype="ipv6"/><ports><port protocol="tcp" portid="99999"><state state="open"/><script id="ssl-cert"><table key="issuer"><elem key="commonName">a,b+c</elem></table></script></port></ports></host></nmaprun>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		hosts, byHost, err := readNmapEvidence(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for _, h := range hosts {
			if len(byHost[h]) > maxNmapHostEvidence {
				t.Fatalf("%d evidence items for %s", len(byHost[h]), h)
			}
			for _, e := range byHost[h] {
				if len(e.Value) > maxNmapValue {
					t.Fatalf("value of %d bytes", len(e.Value))
				}
			}
		}
	})
}
