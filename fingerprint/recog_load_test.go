package fingerprint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// userRecog is a recog database as a user would add with --rules: a newer
// rtsp_servers.xml with one fingerprint the shipped copy lacks.
const userRecog = `<?xml version="1.0" encoding="UTF-8"?>
<fingerprints matches="rtsp_header.server" protocol="rtsp" database_type="service" preference="0.85">
  <fingerprint pattern="^ExampleCam RTSP/(\d+\.\d+)$" flags="REG_ICASE">
    <description>ExampleCam camera RTSP server</description>
    <example hw.version="2.1">ExampleCam RTSP/2.1</example>
    <example _encoding="base64" hw.version="3.0">ZXhhbXBsZWNhbSBydHNwLzMuMA==</example>
    <param pos="0" name="hw.vendor" value="Vivotek"/>
    <param pos="0" name="hw.device" value="IP Camera"/>
    <param pos="0" name="hw.product" value="EC {hw.version}"/>
    <param pos="1" name="hw.version"/>
  </fingerprint>
</fingerprints>
`

func TestRecogUserFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rtsp_servers.xml")
	if err := os.WriteFile(file, []byte(userRecog), 0o644); err != nil {
		t.Fatal(err)
	}
	e := engine(t)
	if v := e.Identify(ev("rtsp.server", "Dahua Rtsp Server")); v.Manufacturer != "Dahua" {
		t.Fatalf("shipped rtsp_servers.xml not applied: %+v", v)
	}
	if err := e.LoadDir(dir); err != nil {
		t.Fatal(err)
	}
	v := e.Identify(ev("rtsp.server", "examplecam rtsp/3.0"))
	if v.Class != evidence.Camera || v.Brand != "Vivotek" || v.Manufacturer != "Vivotek" || v.Model != "EC 3.0" || v.Firmware != "3.0" {
		t.Errorf("user recog file: %+v", v)
	}
	if !strings.Contains(strings.Join(v.Why, "\n"), "recog:rtsp_servers.xml:") {
		t.Errorf("why does not name the recog fingerprint: %v", v.Why)
	}
	// The user's file has the same key as the shipped one and replaces it.
	if v := e.Identify(ev("rtsp.server", "Dahua Rtsp Server")); v.Manufacturer == "Dahua" && strings.Contains(strings.Join(v.Why, " "), "recog") {
		t.Errorf("shipped rtsp_servers.xml still applied after the user's replaced it: %v", v.Why)
	}
	for _, f := range e.Files() {
		if f == "recog/xml/rtsp_servers.xml" {
			t.Errorf("replaced file still listed: %v", e.Files())
		}
	}
}

func TestRecogLoadErrors(t *testing.T) {
	tests := []struct{ name, xml, want string }{
		{"not xml", `<fingerprints><fingerprint pattern="a">`, "recog.xml:1:"},
		{"unknown element", "<fingerprints matches=\"html_title\">\n  <fingerprint pattern=\"a\">\n    <bogus/>\n  </fingerprint>\n</fingerprints>", "recog.xml:3:5: <bogus> in <fingerprint>"},
		{"no pattern", "<fingerprints matches=\"html_title\">\n<fingerprint><description>d</description></fingerprint></fingerprints>", "recog.xml:2:1: <fingerprint> without a pattern"},
		{"bad pos", `<fingerprints matches="html_title"><fingerprint pattern="a"><param pos="x" name="a"/></fingerprint></fingerprints>`, `pos "x"`},
		{"capture beyond pattern", `<fingerprints matches="html_title"><fingerprint pattern="(a)"><description>d</description><example>a</example><param pos="2" name="hw.product"/></fingerprint></fingerprints>`, "capture 2, the pattern has 1"},
		{"database camsweep has no evidence for", `<fingerprints matches="ssh.banner"><fingerprint pattern="a"><description>d</description><param pos="0" name="a" value="b"/></fingerprint></fingerprints>`, `"ssh.banner" describes no evidence camsweep collects`},
		{"bad base64", `<fingerprints matches="html_title"><fingerprint pattern="a"><description>d</description><example _encoding="base64">!!</example></fingerprint></fingerprints>`, "base64"},
		{"unknown flag", `<fingerprints matches="html_title"><fingerprint pattern="a" flags="REG_WHAT"><description>d</description><example>a</example><param pos="0" name="hw.device" value="IP Camera"/></fingerprint></fingerprints>`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New().Load("recog.xml", []byte(tt.xml))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Load: %v (a fingerprint RE2 cannot run is skipped, not an error)", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestRecogVerify: an example that fails or is shadowed is an error for
// `rules verify`, and the fingerprint is not loaded; one RE2 cannot run is
// listed, not an error.
func TestRecogVerify(t *testing.T) {
	data := `<fingerprints matches="http_header.server">
  <fingerprint pattern="^Foo/(\d+)$">
    <description>Foo</description>
    <example hw.version="2">Foo/1</example>
    <param pos="1" name="hw.version"/>
  </fingerprint>
  <fingerprint pattern="^Bar">
    <description>Bar</description>
    <example>Bar</example>
    <param pos="0" name="hw.device" value="IP Camera"/>
  </fingerprint>
  <fingerprint pattern="^Bar Camera$">
    <description>Bar camera</description>
    <example>Bar Camera</example>
    <param pos="0" name="hw.device" value="IP Camera"/>
  </fingerprint>
  <fingerprint pattern="^(?=Baz)Baz$">
    <description>Baz</description>
    <example>Baz</example>
    <param pos="0" name="hw.device" value="IP Camera"/>
  </fingerprint>
</fingerprints>`
	st, errs := VerifyRecog("v.xml", []byte(data))
	if len(errs) != 2 {
		t.Fatalf("errors %v, want the failing example and the shadowed one", errs)
	}
	for i, want := range []string{`v.xml:2:`, `v.xml:12:`} {
		if !strings.Contains(errs[i].Error(), want) {
			t.Errorf("error %d = %v, want %s", i, errs[i], want)
		}
	}
	if !strings.Contains(errs[0].Error(), `hw.version = "1", example says "2"`) || !strings.Contains(errs[1].Error(), "matched first by the earlier fingerprint at line 7") {
		t.Errorf("errors: %v", errs)
	}
	if st.Loaded != 1 || len(st.Skipped) != 3 || st.Skipped[2].Kind != "unsupported" || !strings.Contains(st.Skipped[2].Reason, "look-around") {
		t.Errorf("stats %+v", st)
	}
}

// TestRecogPrecedence: where camsweep's own rules and a recog fingerprint
// both speak about one evidence item, camsweep's win (recog's Hikvision-Webs
// fingerprint says DVR; camsweep's knows the server is on cameras too).
func TestRecogPrecedence(t *testing.T) {
	e := engine(t)
	v := e.Identify(ev("http.server", "Hikvision-Webs"))
	why := strings.Join(v.Why, "\n")
	if v.Manufacturer != "Hikvision" || !strings.Contains(why, "not taken, camsweep's own rules said otherwise") {
		t.Errorf("Hikvision-Webs: %+v", v)
	}
	// With no rule of camsweep's for the item, recog's claim stands.
	v = e.Identify(ev("http.server", "Netwave IP Camera"))
	if v.Class != evidence.Camera || v.Brand != "Netwave" {
		t.Errorf("Netwave IP Camera: %+v", v)
	}
	// recog's "DVR" for a television recorder is not a surveillance one.
	if v := e.Identify(ev("http.server", "tivo-httpd-1:20.4.5")); v.Class.IsVideo() {
		t.Errorf("TiVo: %+v", v)
	}
}
