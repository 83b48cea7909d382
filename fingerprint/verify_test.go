package fingerprint

import (
	"strings"
	"testing"
)

const validRule = `rules:
  - id: a
    field: http.server
    pattern: '^Foo/(\d+)$'
    description: foo
    class: camera
    firmware: '{1}'
    examples:
      - value: Foo/2
        class: camera
        firmware: "2"
`

// TestVerifyErrors: each broken file yields exactly these errors (position
// and message), recog- and blackbox-style.
func TestVerifyErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"valid", validRule, nil},
		{"empty", "", []string{"x.yaml:1:1: empty rule file"}},
		{"not a mapping", "- a\n", []string{"x.yaml:1:1: want a mapping with a rules: list"}},
		{"unknown top key", "rulez: []\n", []string{`x.yaml:1:1: unknown key "rulez" (want rules or sources)`, "x.yaml:1:1: missing rules: list"}},
		{"unknown rule key", strings.Replace(validRule, "    class: camera\n    firmware", "    klass: camera\n    firmware", 1),
			[]string{`x.yaml:6:5: unknown key "klass" in rule`}},
		{"no examples", `rules:
  - id: a
    field: http.server
    pattern: '^Foo$'
    description: foo
    class: camera
`, []string{"x.yaml:2:5: rule a: no examples (every rule needs at least one)"}},
		{"bad pattern", strings.Replace(validRule, `'^Foo/(\d+)$'`, `'^Foo/(\d+$'`, 1),
			[]string{"x.yaml:4:14: rule a: pattern: error parsing regexp: missing closing ): `^Foo/(\\d+$`"}},
		{"missing capture", strings.Replace(validRule, "'{1}'", "'{2}'", 1),
			[]string{"x.yaml:7:15: rule a: firmware refers to {2}, which the pattern does not capture"}},
		{"named capture", strings.Replace(strings.Replace(validRule, `(\d+)`, `(?P<ver>\d+)`, 1), "'{1}'", "'{ver}'", 1), nil},
		{"bad class", strings.Replace(validRule, "class: camera\n    firmware", "class: webcam\n    firmware", 1),
			[]string{`x.yaml:6:12: rule a: class "webcam": want camera, recorder, video, hint or other`}},
		{"bad weight", strings.Replace(validRule, "    class: camera\n    firmware", "    weight: 2\n    class: camera\n    firmware", 1),
			[]string{`x.yaml:6:13: weight "2": want a number in (0, 1]`}},
		{"example mismatch", strings.Replace(validRule, `firmware: "2"`, `firmware: "3"`, 1),
			[]string{`x.yaml:9:9: rule a: example "Foo/2": firmware = "2", example says "3"`}},
		{"example no match", strings.Replace(validRule, "value: Foo/2", "value: Bar/2", 1),
			[]string{`x.yaml:9:9: rule a: example "Bar/2" does not match pattern "^Foo/(\\d+)$"`}},
		{"says nothing", `rules:
  - id: a
    field: http.server
    pattern: '^Foo$'
    description: foo
    examples:
      - value: Foo
`, []string{"x.yaml:2:5: rule a: says nothing"}},
		{"raw mac field", strings.Replace(validRule, "field: http.server", "field: onvif.mac", 1),
			[]string{`x.yaml:3:12: field "onvif.mac": match the derived mac.oui field`}},
		{"duplicate id and shadowing", validRule + `  - id: a
    field: http.server
    pattern: '^Foo/2$'
    description: shadowed
    class: other
    examples:
      - value: Foo/2
        class: other
`, []string{"x.yaml:12:5: rule a: id already used at line 2",
			`x.yaml:18:9: rule a: example "Foo/2" is shadowed by earlier rule a (line 2)`}},
		{"sources", "sources: [nmap, whatweb]\n" + strings.Replace(validRule, "    class: camera\n    firmware", "    sources: [vendor]\n    class: camera\n    firmware", 1), nil},
		{"bad sources", "sources: nmap\n" + strings.Replace(validRule, "    class: camera\n    firmware", "    sources: [Vendor Docs]\n    class: camera\n    firmware", 1),
			[]string{"x.yaml:1:10: sources: want a non-empty list of source tags", `x.yaml:7:15: source "Vendor Docs": want a lower-case tag`}},
		{"oem map", "generic: [IPC]\nbrands:\n  - {brand: Acme, made_by: Hikvision, share: all}\n  - {brand: Hikvision}\n", nil},
		{"oem map bad share", "brands:\n  - {brand: Acme, share: half}\n", []string{`x.yaml: fingerprint: oem map: brand Acme: share "half"`}},
		{"oem map unknown maker", "brands:\n  - {brand: Acme, made_by: Nobody, share: all}\n", []string{`made_by "Nobody" is not a brand of the map`}},
		{"oem map unknown key", "brands:\n  - {brand: Acme, maker: Hikvision}\n", []string{"x.yaml: fingerprint: oem map: yaml: unmarshal errors:\n  line 2: field maker not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := Verify("x.yaml", []byte(tt.data))
			if len(errs) != len(tt.want) {
				t.Fatalf("Verify: %d errors %v, want %d %v", len(errs), errs, len(tt.want), tt.want)
			}
			for i, err := range errs {
				if !strings.Contains(err.Error(), tt.want[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, err, tt.want[i])
				}
			}
		})
	}
}

// A file that fails verification must not be half loaded.
func TestLoadIsAtomic(t *testing.T) {
	e := New()
	bad := validRule + `  - id: b
    field: http.server
    pattern: '^Bar$'
    description: bar
    class: camera
`
	if err := e.Load("bad.yaml", []byte(bad)); err == nil {
		t.Fatal("Load accepted a rule without examples")
	}
	if n := len(e.Rules()); n != 0 {
		t.Errorf("failed Load left %d rules", n)
	}
	if err := e.Load("good.yaml", []byte(validRule)); err != nil {
		t.Fatal(err)
	}
}
