package fingerprint

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Verify checks one rule file the way the tests check the embedded ones
// (recog's checks): the file parses strictly; every rule has examples; every
// example matches its rule and yields exactly the outputs it lists; ids are
// unique; capture references exist; and no example is matched by an earlier
// rule of the same file (that rule would shadow it, since the first match in
// a file wins). It returns every problem, each naming file and line.
//
// The OEM map (a document with brands: and generic: instead of rules:) is
// checked as one: it parses strictly, shares are known, no alias names two
// brands and every made_by is a brand of the map.
//
// A recog database (XML) is checked as camsweep loads it, with recog's own
// verifier's checks: examples match and yield the params they assert, no
// example is caught by an earlier fingerprint. A fingerprint camsweep cannot
// run or test is not an error here; VerifyRecog reports those.
func Verify(name string, data []byte) []error {
	if isRecogXML(data) {
		_, errs := VerifyRecog(name, data)
		return errs
	}
	if isOEMMap(data) {
		if _, err := parseOEM(data); err != nil {
			return []error{fmt.Errorf("%s: %w", name, err)}
		}
		return nil
	}
	rules, errs := parseRules(name, data)
	return append(errs, lintRules(rules)...)
}

// VerifyRecog loads a recog database as a user's --rules file would be
// loaded and returns its counts, with the fingerprints whose examples fail
// or are shadowed as errors.
func VerifyRecog(name string, data []byte) (RecogStats, []error) {
	_, st, err := loadRecog(name, data, true)
	if err != nil {
		return st, []error{err}
	}
	var errs []error
	for _, s := range st.Skipped {
		if s.Kind == "example" || s.Kind == "shadowed" {
			errs = append(errs, &LoadError{File: s.File, Line: s.Line, Column: 1, Msg: fmt.Sprintf("fingerprint %q: %s", s.Description, s.Reason)})
		}
	}
	return st, errs
}

func lintRules(rules []*Rule) []error {
	var errs []error
	ids := map[string]*Rule{}
	for i, r := range rules {
		if prev, dup := ids[r.ID]; dup {
			errs = append(errs, &LoadError{File: r.File, Line: r.Line, Column: r.Column,
				Msg: fmt.Sprintf("rule %s: id already used at line %d", r.ID, prev.Line)})
		}
		ids[r.ID] = r
		for _, ex := range r.Examples {
			errs = append(errs, checkExample(r, ex)...)
			for _, earlier := range rules[:i] {
				if !sharesField(earlier, r) {
					continue
				}
				if _, ok := earlier.Apply(ex.Value); ok {
					errs = append(errs, &LoadError{File: r.File, Line: ex.Line, Column: ex.Column,
						Msg: fmt.Sprintf("rule %s: example %q is shadowed by earlier rule %s (line %d)", r.ID, ex.Value, earlier.ID, earlier.Line)})
				}
			}
		}
	}
	return errs
}

func checkExample(r *Rule, ex Example) []error {
	got, ok := r.Apply(ex.Value)
	if !ok {
		return []error{&LoadError{File: r.File, Line: ex.Line, Column: ex.Column,
			Msg: fmt.Sprintf("rule %s: example %q does not match pattern %q", r.ID, ex.Value, r.Pattern)}}
	}
	var diffs []string
	for _, name := range outputNames {
		if g, w := got.get(name), ex.Want.get(name); g != w {
			diffs = append(diffs, fmt.Sprintf("%s = %q, example says %q", name, g, w))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	return []error{&LoadError{File: r.File, Line: ex.Line, Column: ex.Column,
		Msg: fmt.Sprintf("rule %s: example %q: %s", r.ID, ex.Value, strings.Join(diffs, "; "))}}
}

func sharesField(a, b *Rule) bool {
	for _, f := range a.Fields {
		if b.hasField(f) {
			return true
		}
	}
	return false
}

// isOEMMap reports whether data is an OEM map document rather than a rule
// file: a mapping whose keys include brands or generic and not rules.
func isOEMMap(data []byte) bool {
	var top map[string]yaml.Node
	if yaml.Unmarshal(data, &top) != nil {
		return false
	}
	_, rules := top["rules"]
	_, brands := top["brands"]
	_, generic := top["generic"]
	return !rules && (brands || generic)
}
