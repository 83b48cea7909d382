package fingerprint

import (
	"fmt"
	"strings"
)

// Verify checks one rule file the way the tests check the embedded ones
// (recog's checks): the file parses strictly; every rule has examples; every
// example matches its rule and yields exactly the outputs it lists; ids are
// unique; capture references exist; and no example is matched by an earlier
// rule of the same file (that rule would shadow it, since the first match in
// a file wins). It returns every problem, each naming file and line.
func Verify(name string, data []byte) []error {
	rules, errs := parseRules(name, data)
	return append(errs, lintRules(rules)...)
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
