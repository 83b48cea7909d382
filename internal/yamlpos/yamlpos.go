// Package yamlpos reads YAML documents keeping where each value was
// written, so that every configuration and data file camsweep reads (rule
// files, the policy, registries, column maps, the daemon's configuration)
// reports a problem as file:line:col, the form editors and CI annotations
// jump to.
//
// It lives in the module's root internal/ directory because that is the
// only place Go lets fingerprint, inventory and cmd/camsweep share a
// package that is not part of camsweep's public API.
package yamlpos

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Parse decodes one YAML document into its node tree and returns the top
// node, nil when the document is empty. A syntax error is the yaml
// library's own, text unchanged; Line finds the line it names.
func Parse(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return Root(&doc), nil
}

// Root returns the top node of a parsed document, nil when it is empty.
func Root(doc *yaml.Node) *yaml.Node {
	switch doc.Kind {
	case 0:
		return nil
	case yaml.DocumentNode:
		if len(doc.Content) == 0 {
			return nil
		}
		return doc.Content[0]
	}
	return doc
}

var lineRE = regexp.MustCompile(`line (\d+)`)

// Line is the line a yaml library error names, 0 when it names none. The
// library gives no column for syntax and type errors.
func Line(err error) int {
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

var lineColonRE = regexp.MustCompile(`line (\d+): `)

// Messages rewrites a yaml library error's "line N: msg" into
// "file:N: msg", one message per problem (a decoding TypeError lists
// several); an error that names no line reads "file: msg".
func Messages(file string, err error) []string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			out = append(out, lineColonRE.ReplaceAllString(e, file+":$1: "))
		}
		return out
	}
	return []string{file + ": " + strings.TrimPrefix(lineColonRE.ReplaceAllString(err.Error(), "line $1: "), "yaml: ")}
}

// Find walks from n along mapping keys (string) and sequence indexes (int)
// and returns the deepest node that exists, so that a problem with a
// missing key is reported at the mapping that lacks it. It returns nil
// only when n is nil.
func Find(n *yaml.Node, path ...any) *yaml.Node {
	for _, p := range path {
		next := child(n, p)
		if next == nil {
			break
		}
		n = next
	}
	return n
}

func child(n *yaml.Node, p any) *yaml.Node {
	if n == nil {
		return nil
	}
	switch k := p.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				return n.Content[i+1]
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && k >= 0 && k < len(n.Content) {
			return n.Content[k]
		}
	}
	return nil
}
