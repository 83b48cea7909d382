package yamlpos

import (
	"errors"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestParseRoot(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		wantKind yaml.Kind // 0: no root
		line     int
		column   int
	}{
		{"empty", "", 0, 0, 0},
		{"only a comment", "# nothing yet\n", 0, 0, 0},
		{"mapping", "\n\nrules:\n  - id: x\n", yaml.MappingNode, 3, 1},
		{"sequence", "- a\n- b\n", yaml.SequenceNode, 1, 1},
		{"scalar", "  just text\n", yaml.ScalarNode, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantKind == 0 {
				if root != nil {
					t.Fatalf("root = %v, want none", root.Kind)
				}
				return
			}
			if root == nil || root.Kind != tt.wantKind || root.Line != tt.line || root.Column != tt.column {
				t.Fatalf("root = %+v, want kind %v at %d:%d", root, tt.wantKind, tt.line, tt.column)
			}
		})
	}
}

func TestLineAndMessages(t *testing.T) {
	_, syntax := Parse([]byte("a: 1\nb: c: d\n"))
	if syntax == nil {
		t.Fatal("no syntax error")
	}
	var typed struct {
		A int `yaml:"a"`
		B int `yaml:"b"`
	}
	typeErr := yaml.Unmarshal([]byte("a: one\n\nb: two\n"), &typed)
	tests := []struct {
		name string
		err  error
		line int
		msgs []string
	}{
		// A syntax error keeps the library's "line N:" wording after the
		// file name, as the daemon has always printed it.
		{"syntax", syntax, 2, []string{"f.yaml: line 2: mapping values are not allowed in this context"}},
		{"two type errors", typeErr, 1, []string{
			"f.yaml:1: cannot unmarshal !!str `one` into int",
			"f.yaml:3: cannot unmarshal !!str `two` into int",
		}},
		{"no line", errors.New("yaml: something odd"), 0, []string{"f.yaml: something odd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.err); got != tt.line {
				t.Errorf("Line = %d, want %d (%v)", got, tt.line, tt.err)
			}
			if got := Messages("f.yaml", tt.err); !slices.Equal(got, tt.msgs) {
				t.Errorf("Messages = %q, want %q", got, tt.msgs)
			}
		})
	}
}

func TestFind(t *testing.T) {
	root, err := Parse([]byte("sites:\n  - name: NOH\n    schedule:\n      interval: 1h\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		path         []any
		line, column int
	}{
		{"root", nil, 1, 1},
		{"key", []any{"sites"}, 2, 3},
		{"index then key", []any{"sites", 0, "schedule", "interval"}, 4, 17},
		{"missing key: the mapping that lacks it", []any{"sites", 0, "registry"}, 2, 5},
		{"index past the end", []any{"sites", 3, "name"}, 2, 3},
		{"negative index", []any{"sites", -1}, 2, 3},
		{"key into a sequence", []any{"sites", "name"}, 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := Find(root, tt.path...)
			if n == nil || n.Line != tt.line || n.Column != tt.column {
				t.Fatalf("Find(%v) at %d:%d, want %d:%d", tt.path, n.Line, n.Column, tt.line, tt.column)
			}
		})
	}
	if Find(nil, "sites") != nil {
		t.Error("Find(nil) is not nil")
	}
}
