package inventory

import (
	"bytes"

	"github.com/camsweep/camsweep/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// parseRegistryYAML reads a YAML registry: a sequence of mappings, or a
// mapping whose "rows" key holds that sequence. Values are scalars and are
// taken as written (no YAML 1.1 number or sexagesimal surprises on MACs).
func parseRegistryYAML(pe *posErrors, data []byte, res resolver) []rawRow {
	data = bytes.TrimPrefix(data, utf8BOM)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		pe.errs = append(pe.errs, yamlSyntaxError(pe.file, err))
		return nil
	}
	root := yamlpos.Root(&doc)
	if root == nil {
		return nil
	}
	if root.Kind == yaml.MappingNode {
		var seq *yaml.Node
		for i := 0; i+1 < len(root.Content); i += 2 {
			k := root.Content[i]
			if k.Value != "rows" {
				pe.add(k.Line, k.Column, "", "unknown key %q: want rows", k.Value)
				continue
			}
			seq = root.Content[i+1]
		}
		if seq == nil {
			pe.add(root.Line, root.Column, "", "want rows: followed by a list of rows")
			return nil
		}
		root = seq
	}
	if root.Kind != yaml.SequenceNode {
		pe.add(root.Line, root.Column, "", "want a list of rows")
		return nil
	}
	rows := make([]rawRow, 0, len(root.Content))
	for _, item := range root.Content {
		if item.Kind != yaml.MappingNode {
			pe.add(item.Line, item.Column, "", "want a row mapping (id: ..., site: ...)")
			continue
		}
		raw := rawRow{line: item.Line, col: item.Column, cells: map[string]cell{}}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], item.Content[i+1]
			canon, ignored := res.column(k.Value)
			if v.Kind != yaml.ScalarNode {
				pe.add(v.Line, v.Column, canon, "%s: want a single value", k.Value)
				raw.bad = true
				continue
			}
			text := v.Value
			if v.Tag == "!!null" {
				text = ""
			}
			switch {
			case canon != "":
				if _, dup := raw.cells[canon]; dup {
					pe.add(k.Line, k.Column, canon, "%s given twice", canon)
					raw.bad = true
				}
				raw.cells[canon] = cell{value: trimSpace(text), line: v.Line, col: v.Column}
			case ignored:
			default:
				pe.add(k.Line, k.Column, "", "unknown key %q: map it to a camsweep column or list it under ignore in the column map", k.Value)
				raw.bad = true
			}
		}
		rows = append(rows, raw)
	}
	return rows
}
