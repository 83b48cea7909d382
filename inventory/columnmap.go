package inventory

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/camsweep/camsweep/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// ColumnMap lets a site load its own CMDB export: Columns maps a canonical
// column (see Columns) to the header the export uses for it, and Ignore lists
// export headers that carry nothing camsweep needs. A header that is neither
// canonical, mapped nor ignored is an error, so a misspelt "MAC-adresse"
// cannot silently load every row without its MAC.
// Sheet names the worksheet that holds the registry when the export is an
// Excel workbook; empty means the first visible sheet. Text formats have no
// sheets and ignore it.
// The zero ColumnMap expects the canonical headers.
type ColumnMap struct {
	Columns map[string]string `yaml:"columns"`
	Ignore  []string          `yaml:"ignore"`
	Sheet   string            `yaml:"sheet"`
}

// headerKey folds a header the way spreadsheets and people vary it: case,
// surrounding space, and space or dash for underscore.
func headerKey(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(h)
}

// resolver turns file headers into canonical columns.
type resolver struct {
	toCanon map[string]string // headerKey(file header) -> canonical column
	ignore  map[string]bool
}

func (m ColumnMap) resolver() resolver {
	r := resolver{toCanon: map[string]string{}, ignore: map[string]bool{}}
	for _, c := range Columns {
		r.toCanon[headerKey(c)] = c
	}
	// A mapped header replaces the canonical one: with id -> "Asset-ID", a
	// column literally called "id" is something else in that export.
	for canon := range m.Columns {
		delete(r.toCanon, headerKey(canon))
	}
	for canon, header := range m.Columns {
		r.toCanon[headerKey(header)] = canon
	}
	for _, h := range m.Ignore {
		r.ignore[headerKey(h)] = true
	}
	return r
}

// column returns the canonical column for a file header, and whether the
// header is to be ignored.
func (r resolver) column(header string) (canon string, ignored bool) {
	k := headerKey(header)
	if c, ok := r.toCanon[k]; ok {
		return c, false
	}
	return "", r.ignore[k]
}

// LoadColumnMap reads a column mapping file (YAML, see ParseColumnMap).
func LoadColumnMap(path string) (ColumnMap, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ColumnMap{}, fmt.Errorf("inventory: load column map: %w", err)
	}
	return ParseColumnMap(path, data)
}

// ParseColumnMap parses a column mapping:
//
//	columns:
//	  id: Aktiv-ID
//	  mac: MAC-adresse
//	ignore: [Kommentar]
//	sheet: Kameraer
//
// Unknown keys, unknown canonical columns and two columns mapped to one
// header are errors.
func ParseColumnMap(name string, data []byte) (ColumnMap, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return ColumnMap{}, fmt.Errorf("inventory: parse column map: %w", yamlSyntaxError(name, err))
	}
	var m ColumnMap
	pe := &posErrors{file: name}
	root := yamlpos.Root(&doc)
	if root == nil {
		return m, nil
	}
	if root.Kind != yaml.MappingNode {
		return ColumnMap{}, fmt.Errorf("inventory: parse column map: %w", &RowError{File: name, Line: root.Line, Column: root.Column, Msg: "want a mapping with columns, ignore and sheet"})
	}
	seenHeader := map[string]string{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "columns":
			if v.Kind != yaml.MappingNode {
				pe.add(v.Line, v.Column, "columns", "columns: want a mapping from camsweep column to export header")
				continue
			}
			m.Columns = map[string]string{}
			for j := 0; j+1 < len(v.Content); j += 2 {
				ck, cv := v.Content[j], v.Content[j+1]
				if !slices.Contains(Columns, ck.Value) {
					pe.add(ck.Line, ck.Column, "columns", "unknown camsweep column %q (want one of %s)", ck.Value, strings.Join(Columns, ", "))
					continue
				}
				if cv.Kind != yaml.ScalarNode || strings.TrimSpace(cv.Value) == "" {
					pe.add(cv.Line, cv.Column, ck.Value, "column %s: want the export's header text", ck.Value)
					continue
				}
				hk := headerKey(cv.Value)
				if prev, dup := seenHeader[hk]; dup {
					pe.add(cv.Line, cv.Column, ck.Value, "header %q is already mapped to %s", cv.Value, prev)
					continue
				}
				seenHeader[hk] = ck.Value
				m.Columns[ck.Value] = cv.Value
			}
		case "ignore":
			if v.Kind != yaml.SequenceNode {
				pe.add(v.Line, v.Column, "ignore", "ignore: want a list of export headers")
				continue
			}
			for _, h := range v.Content {
				if h.Kind != yaml.ScalarNode {
					pe.add(h.Line, h.Column, "ignore", "ignore: want a header text")
					continue
				}
				m.Ignore = append(m.Ignore, h.Value)
			}
		case "sheet":
			if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
				pe.add(v.Line, v.Column, "sheet", "sheet: want the name of the workbook's sheet that holds the registry")
				continue
			}
			m.Sheet = v.Value
		default:
			pe.add(k.Line, k.Column, k.Value, "unknown key %q (want columns, ignore or sheet)", k.Value)
		}
	}
	if len(pe.errs) > 0 {
		return ColumnMap{}, joinErrors("parse column map", pe.errs)
	}
	return m, nil
}
