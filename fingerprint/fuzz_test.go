package fingerprint

import (
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// FuzzLoadRules: user rule files are untrusted input. Loading must never
// panic, and whatever Verify accepts must load.
func FuzzLoadRules(f *testing.F) {
	f.Add([]byte(validRule))
	f.Add([]byte("rules:\n  - id: x\n    field: [a.b, c]\n    pattern: '(?P<n>.)'\n    description: d\n    brand: '{n}{9}{'\n    examples:\n      - value: q\n"))
	f.Add([]byte("rules: [{id: 1}]"))
	f.Add([]byte("&a [*a, *a]"))
	files, err := EmbeddedRuleFiles()
	if err != nil {
		f.Fatal(err)
	}
	for _, data := range files {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if isRecogXML(data) {
			return // FuzzLoadRecog's
		}
		errs := Verify("fuzz.yaml", data)
		e := New()
		err := e.Load("fuzz.yaml", data)
		if (len(errs) == 0) != (err == nil) {
			t.Fatalf("Verify gave %d errors but Load returned %v", len(errs), err)
		}
		for _, r := range e.Rules() {
			for _, ex := range r.Examples {
				r.Apply(ex.Value)
			}
		}
	})
}

// FuzzLoadRecog: a recog database given with --rules is untrusted input.
// Loading must never panic; whatever loads must match its own examples.
func FuzzLoadRecog(f *testing.F) {
	f.Add([]byte(userRecog))
	f.Add([]byte(`<fingerprints matches="html_title"><fingerprint pattern="^(a)(?&lt;n&gt;b)\h$" flags="REG_ICASE"><description>d</description><example _encoding="base64" hw.product="a">YWJj</example><param pos="1" name="hw.product"/><param pos="0" name="hw.vendor" value="{hw.product}{hw.vendor}"/></fingerprint></fingerprints>`))
	f.Add([]byte(`<fingerprints><fingerprint pattern="x"><param pos="99" name="a"/></fingerprint></fingerprints>`))
	files, err := EmbeddedRecogFiles()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(files["recog/xml/rtsp_servers.xml"])
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, _, err := loadRecog("fuzz.xml", data, true)
		if err != nil {
			return
		}
		for _, r := range rules {
			for _, ex := range r.Recog.Examples {
				if _, ok := r.Apply(ex.Text); !ok {
					t.Fatalf("loaded rule %s does not match its example %q", r.ID, ex.Text)
				}
			}
		}
	})
}

// FuzzIdentify: evidence values come from hostile devices.
func FuzzIdentify(f *testing.F) {
	e, err := LoadEmbedded()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("http.server", "App-webs/", "mac", "44:47:cc:00:00:01")
	f.Add("onvif.manufacturer", "\x00\xff{1}", "dahua.rpc2.realm", "Login to ")
	f.Fuzz(func(t *testing.T, f1, v1, f2, v2 string) {
		in := []evidence.Evidence{{Field: f1, Value: v1}, {Field: f2, Value: v2}}
		a := e.Identify(in)
		b := e.Identify([]evidence.Evidence{in[1], in[0]})
		if a.Class != b.Class || a.Manufacturer != b.Manufacturer || a.Confidence != b.Confidence {
			t.Fatalf("order-dependent verdict: %+v vs %+v", a, b)
		}
		if a.Confidence < 0 || a.Confidence > 1 {
			t.Fatalf("confidence %v out of range", a.Confidence)
		}
	})
}

func FuzzLookupOUI(f *testing.F) {
	f.Add("44:47:cc:12:34:56")
	f.Add("0040.8c12.3456")
	f.Fuzz(func(t *testing.T, mac string) {
		LookupOUI(mac)
	})
}
