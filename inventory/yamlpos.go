package inventory

import (
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// docRoot returns the top node of a parsed YAML document, nil when empty.
func docRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		return doc.Content[0]
	}
	if doc.Kind == 0 {
		return nil
	}
	return doc
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// yamlSyntaxError gives a YAML syntax error the file:line form; the yaml
// library names the line in its message but offers no column.
func yamlSyntaxError(file string, err error) *RowError {
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return &RowError{File: file, Line: line, Msg: "YAML: " + err.Error(), Err: err}
}
