package fingerprint

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/camsweep/camsweep/internal/yamlpos"
	"github.com/camsweep/camsweep/scanner/evidence"
	"go.yaml.in/yaml/v3"
)

// LoadError is a problem in a rule file, located by line and column.
type LoadError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("fingerprint: %s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

func errAt(file string, n *yaml.Node, format string, args ...any) error {
	line, col := 0, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	return &LoadError{File: file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

var (
	ruleKeys    = keySet("id", "field", "pattern", "description", "weight", "sources", "examples", "class", "brand", "manufacturer", "model", "firmware", "serial")
	exampleKeys = keySet("value", "class", "brand", "manufacturer", "model", "firmware", "serial")
	fieldName   = regexp.MustCompile(`^[a-z0-9_]+(?:[.-][a-z0-9_]+)*$`)
	sourceName  = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	classes     = keySet(string(evidence.Camera), string(evidence.Recorder), ClassVideo, ClassHint, string(evidence.Other))
)

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// maxRuleFileSize bounds a user rule file; the biggest embedded one is a
// few tens of KB.
const maxRuleFileSize = 4 << 20

// parseRules decodes and compiles one rule file. It checks the structure
// (strict keys, types, patterns, capture references, examples present) and
// returns every problem it finds, not just the first; the example and
// shadowing lints are lintRules' job.
func parseRules(file string, data []byte) ([]*Rule, []error) {
	if len(data) > maxRuleFileSize {
		return nil, []error{&LoadError{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("file is %d bytes, more than %d", len(data), maxRuleFileSize)}}
	}
	top, err := yamlpos.Parse(data)
	if err != nil {
		return nil, []error{fmt.Errorf("fingerprint: %s: %w", file, err)}
	}
	if top == nil {
		return nil, []error{&LoadError{File: file, Line: 1, Column: 1, Msg: "empty rule file (want a mapping with a rules: list)"}}
	}
	if top.Kind != yaml.MappingNode {
		return nil, []error{errAt(file, top, "want a mapping with a rules: list")}
	}
	var errs []error
	var list *yaml.Node
	var fileSources []string
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch k.Value {
		case "rules":
			list = v
		case "sources":
			fileSources = parseSources(file, v, &errs)
		default:
			errs = append(errs, errAt(file, k, "unknown key %q (want rules or sources)", k.Value))
		}
	}
	if list == nil {
		return nil, append(errs, errAt(file, top, "missing rules: list"))
	}
	if list.Kind != yaml.SequenceNode {
		return nil, append(errs, errAt(file, list, "rules: want a list"))
	}
	var rules []*Rule
	for _, n := range list.Content {
		r, rerrs := parseRule(file, n)
		errs = append(errs, rerrs...)
		if r != nil {
			if r.Sources == nil {
				r.Sources = fileSources
			}
			rules = append(rules, r)
		}
	}
	return rules, errs
}

func parseRule(file string, n *yaml.Node) (*Rule, []error) {
	if n.Kind != yaml.MappingNode {
		return nil, []error{errAt(file, n, "rule: want a mapping")}
	}
	r := &Rule{File: file, Line: n.Line, Column: n.Column, Weight: 0.5}
	var errs []error
	fail := func(node *yaml.Node, format string, args ...any) {
		errs = append(errs, errAt(file, node, format, args...))
	}
	raw := map[string]*yaml.Node{}
	var patternNode, examplesNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !ruleKeys[k.Value] {
			fail(k, "unknown key %q in rule", k.Value)
			continue
		}
		if _, dup := raw[k.Value]; dup {
			fail(k, "duplicate key %q", k.Value)
			continue
		}
		raw[k.Value] = v
		switch k.Value {
		case "id":
			r.ID = scalar(file, v, "id", &errs)
		case "description":
			r.Description = scalar(file, v, "description", &errs)
		case "pattern":
			r.Pattern = scalar(file, v, "pattern", &errs)
			patternNode = v
		case "field":
			r.Fields = parseFields(file, v, &errs)
		case "weight":
			s := scalar(file, v, "weight", &errs)
			w, err := strconv.ParseFloat(s, 64)
			if err != nil || w <= 0 || w > 1 {
				fail(v, "weight %q: want a number in (0, 1]", s)
				continue
			}
			r.Weight = w
		case "sources":
			r.Sources = parseSources(file, v, &errs)
		case "examples":
			examplesNode = v
		default:
			*r.Outputs.ptr(k.Value) = scalar(file, v, k.Value, &errs)
		}
	}
	if r.ID == "" {
		fail(n, "rule without id")
	}
	where := "rule " + r.ID
	if raw["field"] == nil {
		fail(n, "%s: missing field", where)
	}
	if r.Pattern == "" {
		fail(n, "%s: missing pattern", where)
	} else {
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			fail(patternNode, "%s: pattern: %v", where, err)
		}
		r.re = re
	}
	if r.Description == "" {
		fail(n, "%s: missing description", where)
	}
	if c := r.Outputs.Class; c != "" && !classes[c] {
		fail(raw["class"], "%s: class %q: want camera, recorder, video, hint or other", where, c)
	}
	empty := true
	if r.re != nil {
		r.templates = map[string]template{}
		for _, name := range outputNames {
			v := r.Outputs.get(name)
			if v == "" {
				continue
			}
			empty = false
			t, bad := parseTemplate(v, r.re)
			for _, ref := range bad {
				fail(raw[name], "%s: %s refers to {%s}, which the pattern does not capture", where, name, ref)
			}
			r.templates[name] = t
		}
		if empty {
			fail(n, "%s: says nothing (set at least one of class, brand, manufacturer, model, firmware, serial)", where)
		}
	}
	if examplesNode == nil || examplesNode.Kind != yaml.SequenceNode || len(examplesNode.Content) == 0 {
		node := examplesNode
		if node == nil {
			node = n
		}
		fail(node, "%s: no examples (every rule needs at least one)", where)
	} else {
		for _, en := range examplesNode.Content {
			ex, ok := parseExample(file, en, where, &errs)
			if ok {
				r.Examples = append(r.Examples, ex)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

func parseExample(file string, n *yaml.Node, where string, errs *[]error) (Example, bool) {
	if n.Kind != yaml.MappingNode {
		*errs = append(*errs, errAt(file, n, "%s: example: want a mapping with value: and the expected outputs", where))
		return Example{}, false
	}
	ex := Example{Line: n.Line, Column: n.Column}
	hasValue := false
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !exampleKeys[k.Value] {
			*errs = append(*errs, errAt(file, k, "%s: unknown key %q in example", where, k.Value))
			continue
		}
		if seen[k.Value] {
			*errs = append(*errs, errAt(file, k, "%s: duplicate key %q in example", where, k.Value))
			continue
		}
		seen[k.Value] = true
		s := scalar(file, v, k.Value, errs)
		if k.Value == "value" {
			ex.Value, hasValue = s, true
			continue
		}
		*ex.Want.ptr(k.Value) = s
	}
	if !hasValue {
		*errs = append(*errs, errAt(file, n, "%s: example without value", where))
		return Example{}, false
	}
	return ex, true
}

func scalar(file string, v *yaml.Node, key string, errs *[]error) string {
	if v.Kind != yaml.ScalarNode {
		*errs = append(*errs, errAt(file, v, "%s: want a single value", key))
		return ""
	}
	return v.Value
}

func parseFields(file string, v *yaml.Node, errs *[]error) []string {
	var names []string
	switch v.Kind {
	case yaml.ScalarNode:
		names = []string{v.Value}
	case yaml.SequenceNode:
		for _, c := range v.Content {
			names = append(names, scalar(file, c, "field", errs))
		}
	default:
		*errs = append(*errs, errAt(file, v, "field: want a name or a list of names"))
		return nil
	}
	for _, f := range names {
		if !fieldName.MatchString(f) {
			*errs = append(*errs, errAt(file, v, "field %q: want a lower-case dotted evidence field name such as http.server", f))
			return nil
		}
		if f == "mac" || strings.HasSuffix(f, ".mac") {
			*errs = append(*errs, errAt(file, v, "field %q: match the derived mac.oui field, not raw MAC addresses", f))
			return nil
		}
	}
	return names
}

// parseSources reads a list of source tags: the public records a rule was
// written from (a file-level list is every rule's default). They are
// provenance, not behaviour: the evaluation leaves out the rules taken only
// from the source it is scored on (docs/fingerprint.md).
func parseSources(file string, v *yaml.Node, errs *[]error) []string {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		*errs = append(*errs, errAt(file, v, "sources: want a non-empty list of source tags"))
		return nil
	}
	names := make([]string, 0, len(v.Content))
	for _, c := range v.Content {
		s := scalar(file, c, "sources", errs)
		if !sourceName.MatchString(s) {
			*errs = append(*errs, errAt(file, c, "source %q: want a lower-case tag such as nmap or whatweb", s))
			continue
		}
		names = append(names, s)
	}
	return names
}
