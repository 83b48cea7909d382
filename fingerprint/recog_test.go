package fingerprint

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestRecogExamples runs every <example> of every shipped recog database
// through camsweep's loader, as recog's own verifier does: each must match
// its fingerprint, yield the param values it asserts, and not be caught by
// an earlier fingerprint of the file. A fingerprint camsweep cannot run
// (a Ruby regex feature RE2 lacks) or test (no example) is listed with the
// reason; an example that fails is an error.
func TestRecogExamples(t *testing.T) {
	files, err := EmbeddedRecogFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("only %d recog files embedded", len(files))
	}
	var total RecogStats
	for _, name := range slices.Sorted(maps.Keys(files)) {
		_, st, err := loadRecog(name, files[name], true)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		total.add(st)
		skippedEx := 0
		for _, s := range st.Skipped {
			skippedEx += s.Examples
			switch s.Kind {
			case "unsupported", "untested":
				t.Logf("skipped %s:%d %q: %s", s.File, s.Line, s.Description, s.Reason)
			default:
				t.Errorf("%s:%d %q: %s", s.File, s.Line, s.Description, s.Reason)
			}
		}
		t.Logf("%s: %d fingerprints, %d loaded; %d examples, %d passed, %d skipped with their fingerprint",
			name, st.Fingerprints, st.Loaded, st.Examples, st.ExamplesPassed, skippedEx)
	}
	kinds := map[string]int{}
	for _, s := range total.Skipped {
		kinds[s.Kind]++
	}
	t.Logf("recog: %d files, %d fingerprints, %d loaded; examples run %d, passed %d, skipped %d; skipped fingerprints by reason %v",
		total.Files, total.Fingerprints, total.Loaded, total.Examples, total.ExamplesPassed, total.Examples-total.ExamplesPassed, kinds)
	if total.Loaded < total.Fingerprints*9/10 {
		t.Errorf("only %d of %d recog fingerprints loaded", total.Loaded, total.Fingerprints)
	}
}

func TestRecogRegexpTranslation(t *testing.T) {
	tests := []struct {
		pattern, flags string
		match, noMatch []string
		err            string
	}{
		{pattern: `^Foo$`, match: []string{"Foo", "x\nFoo\ny"}, noMatch: []string{"foo"}},
		{pattern: `^foo$`, flags: "REG_ICASE", match: []string{"FOO"}},
		{pattern: `^a.b$`, flags: "REG_DOT_NEWLINE", match: []string{"a\nb"}},
		{pattern: `^a.b$`, flags: "REG_MULTILINE", match: []string{"a\nb"}},
		{pattern: `^a.b$`, noMatch: []string{"a\nb"}},
		{pattern: `^a(?m).b$`, match: []string{"a\nb"}},
		{pattern: `^v\h+$`, match: []string{"v0aF"}, noMatch: []string{"vg"}},
		{pattern: `^[\h-]+$`, match: []string{"ab-12"}},
		{pattern: `^end\Z`, match: []string{"end", "end\n"}},
		{pattern: `^\u0041$`, match: []string{"A"}},
		{pattern: `^a\/b\ c$`, match: []string{"a/b c"}},
		{pattern: `^(?<v>\d+)$`, match: []string{"12"}},
		{pattern: `^(?'v'\d+)$`, match: []string{"12"}},
		{pattern: `^[]a]+$`, match: []string{"]a"}},
		{pattern: `^[[:alpha:]]+$`, match: []string{"abc"}},
		{pattern: `^a+?b$`, match: []string{"aab"}},
		{pattern: `^(?=a)a$`, err: "look-around"},
		{pattern: `^(?<!a)b$`, err: "look-around"},
		{pattern: `^(a)\1$`, err: "back-reference"},
		{pattern: `^a++$`, err: "possessive"},
		{pattern: `^(?>a)$`, err: "atomic"},
		{pattern: `^a$`, flags: "REG_BOGUS", err: "unknown flag"},
		{pattern: `^[a-z&&[^b]]$`, err: "intersection"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%s", tt.pattern, tt.flags), func(t *testing.T) {
			re, err := compileRecog(tt.pattern, tt.flags)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("compileRecog(%q) error %v, want %q", tt.pattern, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range tt.match {
				if !re.MatchString(m) {
					t.Errorf("%q (%s) does not match %q", tt.pattern, re, m)
				}
			}
			for _, m := range tt.noMatch {
				if re.MatchString(m) {
					t.Errorf("%q (%s) matches %q", tt.pattern, re, m)
				}
			}
		})
	}
}

// TestRecogVideoVendorsKnown keeps the OEM map in step with recog: every
// brand a shipped recog fingerprint gives a camera, recorder or encoder is a
// brand of the map, so that the verdict names a manufacturer (or says why
// the brand implies none).
func TestRecogVideoVendorsKnown(t *testing.T) {
	e := engine(t)
	n := 0
	for _, r := range e.Rules() {
		if r.Recog == nil || !cameraLike(r.Outputs.Class) || r.Outputs.Brand == "" {
			continue
		}
		n++
		brand := r.Outputs.Brand
		if strings.Contains(brand, "{") {
			continue // a captured vendor
		}
		if _, ok := LookupOEM(brand); !ok {
			t.Errorf("%s:%d (%s): brand %q is not in the OEM map", r.File, r.Line, r.Description, brand)
		}
	}
	if n < 40 {
		t.Errorf("only %d recog video fingerprints name a brand", n)
	}
}
