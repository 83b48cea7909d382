package fingerprint

import (
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// TestCounterExamples holds values that look close to a rule but must not
// match it: generic embedded servers, printers and look-alike names. The rule
// file format has positive examples only; these are its negative ones.
func TestCounterExamples(t *testing.T) {
	e := engine(t)
	cases := []struct{ field, value, class, brand string }{
		// Generic servers name no maker and no class (they are also on
		// printers, routers and medical devices).
		{"http.server", "nginx", "", ""},
		{"http.server", "nginx/1.24.0", "", ""},
		{"http.server", "lighttpd/1.4.35", "", ""},
		{"http.server", "Boa/0.94.14rc21", "", ""},
		{"http.server", "GoAhead-Webs", "", ""},
		{"http.server", "Webs", "", ""},
		{"http.server", "thttpd/2.25b 29dec2003", "", ""},
		{"http.server", "GoAhead-http", "", ""},
		{"http.server", "Web", "", ""},
		{"http.server", "webserver", "", ""},
		{"http.server", "httpserver", "", ""},
		{"http.server", "Httpd v1.0 09AUG2012", "", ""},
		{"http.server", "HyNetOS/2.0", "", ""},
		{"http.server", "Gordian Embedded1.0", "", ""},
		{"http.server", "U S Software Web Server", "", ""},
		{"http.server", "Allegro-Software-RomPager/4.07", "", ""},
		{"rtsp.server", "LIVE555 Streaming Media v2013.02.11", "", ""},
		{"rtsp.server", "GStreamer RTSP server", "", ""},
		{"tcp.open", "554", "", ""},
		{"http.server", "mini_httpd/1.19 19dec2003", "", ""},
		{"http.server", "Apache", "", ""},
		{"http.server", "HTTPD", "", ""},
		{"http.server", "httpd", "", ""},
		{"http.server", "Camera", "camera", ""}, // a camera says so, and no more
		{"http.server", "VB-M40", "", ""},
		{"http.server", "HIP", "", ""},
		{"http.title", "WEB", "", ""},
		{"http.title", "Intelbras Roteador", "", "Intelbras"}, // the brand, but no maker and no camera
		{"http.realm", "device", "", ""},
		{"http.realm", "DCS", "", ""},
		{"rtsp.server", "H264DVR", "recorder", ""}, // a Xiongmai recorder says "DVR", and no maker
		{"ssdp.server", "Linux/4.4 UPnP/1.0 Portable SDK for UPnP devices/1.6.19", "", ""},
		{"tls.subject", "CN=dahua-fans.example.org,O=Example", "", ""},
		{"mac.oui", "Viconics Electronics Inc.", "", ""},
		{"mac.oui", "Sony Corporation", "", ""},
		{"mac.oui", "CANON INC.", "", ""},
		{"mac.oui", "Panasonic Corporation", "", ""},
		// TLS libraries' sample certificates, found in firmware of every
		// kind (House of Keys), name nobody.
		{"tls.subject", "CN=localhost,O=XySSL,C=FR", "", ""},
		{"tls.subject", "CN=PolarSSL Server 1,O=PolarSSL,C=NL", "", ""},
		// Generic discovery answers: any device may announce them.
		{"mdns.service", "_http._tcp", "", ""},
		{"mdns.service", "_hap._tcp", "", ""},
		{"mdns.service", "_device-info._tcp", "", ""},
		{"mdns.txt", "ci=170", "", ""},
		{"upnp.device_type", "urn:schemas-upnp-org:device:Basic:1", "", ""},
		{"rtsp.server", "VLC/3.0.21", "", ""},
		// Host names that merely begin like a maker's name.
		{"dhcp.hostname", "imouse-pc", "", ""},
		{"dhcp.hostname", "dahuang-laptop", "", ""},
		{"dhcp.hostname", "swann-laptop", "", ""},
		{"onvif.model", "GXV3370", "", ""},
		{"onvif.model", "TD-W8961N", "", ""},
		{"onvif.model", "C500", "", ""},
	}
	for _, c := range cases {
		for _, r := range e.Rules() {
			if !r.hasField(c.field) {
				continue
			}
			// A hint is allowed: it is camera-likeness only beside other
			// evidence, which the verdict check below holds it to.
			if out, ok := r.Apply(c.value); ok && (out.Class != "" && out.Class != string(evidence.Other) && out.Class != ClassHint && out.Class != c.class || out.Manufacturer != "" || out.Brand != "" && out.Brand != c.brand) {
				t.Errorf("%s=%q matches rule %s (%+v); it names nobody", c.field, c.value, r.ID, out)
			}
		}
		probe, _, _ := strings.Cut(c.field, ".")
		v := e.Identify([]evidence.Evidence{{Probe: probe, Field: c.field, Value: c.value}})
		if v.Class.IsVideo() && c.class == "" || v.Manufacturer != "" {
			t.Errorf("%s=%q alone: verdict %s %s; it names nobody and no class", c.field, c.value, v.Class, v.Manufacturer)
		}
	}
}
