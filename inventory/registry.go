package inventory

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// cell is one value of a raw registry row and where it stands in the file.
type cell struct {
	value     string
	line, col int
}

// rawRow is a registry row as a format parser read it, before validation:
// canonical column -> cell. Parsers report structural problems (syntax,
// unknown keys) themselves and mark the row bad so it is not loaded.
type rawRow struct {
	line, col int
	cells     map[string]cell
	bad       bool
}

// LoadRegistry reads one registry file; see ParseRegistry.
func LoadRegistry(path string, mapping ColumnMap) (*Registry, []error) {
	return LoadRegistries([]string{path}, mapping)
}

// LoadRegistries reads several registry files as one registry (a CMDB may be
// exported per site). An ID used twice, in one file or across files, is an
// error on the later row. Every problem in every file is returned; the
// Registry holds exactly the rows that had none.
func LoadRegistries(paths []string, mapping ColumnMap) (*Registry, []error) {
	reg := &Registry{}
	var errs []error
	seen := map[string]string{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("inventory: load registry: %w", err))
			continue
		}
		r, e := parseRegistry(p, data, mapping, seen)
		reg.Rows = append(reg.Rows, r.Rows...)
		errs = append(errs, e...)
	}
	return reg, errs
}

// ParseRegistry parses a registry from data. The format follows the name's
// extension (.csv, .json, .yaml, .yml); any other name is sniffed: a first
// character of '[' or '{' means JSON, a leading "- " or "rows:" YAML, else
// CSV. Every problem comes back as a *RowError (file:line:col); rows with a
// problem are left out of the Registry and every other row is in it, so
// nothing is dropped without an error saying so.
func ParseRegistry(name string, data []byte, mapping ColumnMap) (*Registry, []error) {
	return parseRegistry(name, data, mapping, map[string]string{})
}

func parseRegistry(name string, data []byte, mapping ColumnMap, seen map[string]string) (*Registry, []error) {
	pe := &posErrors{file: name}
	var raws []rawRow
	switch registryFormat(name, data) {
	case "json":
		raws = parseRegistryJSON(pe, data, mapping.resolver())
	case "yaml":
		raws = parseRegistryYAML(pe, data, mapping.resolver())
	default:
		raws = parseRegistryCSV(pe, data, mapping.resolver())
	}
	reg := &Registry{Rows: make([]Row, 0, len(raws))}
	for _, raw := range raws {
		// A structurally broken row (wrong field count, unknown key) has
		// been reported; its values may sit in the wrong columns, so
		// validating them would only add confusing errors.
		if raw.bad {
			continue
		}
		row, ok := validateRow(pe, raw)
		if !ok {
			continue
		}
		if prev, dup := seen[row.ID]; dup {
			c := raw.cells[ColID]
			pe.add(c.line, c.col, ColID, "duplicate id %q (first at %s)", row.ID, prev)
			continue
		}
		seen[row.ID] = fmt.Sprintf("%s:%d", name, raw.line)
		reg.Rows = append(reg.Rows, row)
	}
	// Parsers report structure first and values later; a registry keeper
	// reads the file top to bottom, so errors come in file order.
	slices.SortStableFunc(pe.errs, func(a, b error) int {
		ra, _ := a.(*RowError)
		rb, _ := b.(*RowError)
		if ra == nil || rb == nil {
			return 0
		}
		return cmp.Or(cmp.Compare(ra.Line, rb.Line), cmp.Compare(ra.Column, rb.Column))
	})
	return reg, append(pe.errs, pe.final...)
}

func registryFormat(name string, data []byte) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return "json"
	case ".yaml", ".yml":
		return "yaml"
	case ".csv", ".txt":
		return "csv"
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	switch {
	case len(t) > 0 && (t[0] == '[' || t[0] == '{'):
		return "json"
	case bytes.HasPrefix(t, []byte("- ")) || bytes.HasPrefix(t, []byte("rows:")) || bytes.HasPrefix(t, []byte("---")):
		return "yaml"
	}
	return "csv"
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}
