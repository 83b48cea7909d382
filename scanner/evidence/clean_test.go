package evidence

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "DS-2CD2143G2-I", 0, "DS-2CD2143G2-I"},
		{"empty", "", 0, ""},
		{"screen clear and an OSC 8 link", "\x1b[2J\x1b]8;;http://evil.example/\x1b\\DS-2CD\x1b]8;;\x1b\\", 0, "[2J ]8;;http://evil.example/ \\DS-2CD ]8;; \\"},
		{"bidi override and zero-width space", "IPC\u202e\u200bHFW", 0, "IPC HFW"},
		{"line breaks and tabs folded, ends trimmed", "  Axis\r\n\tP3245  ", 0, "Axis P3245"},
		{"bell and DEL", "a\x07b\x7fc", 0, "a b c"},
		{"C1 control (8-bit CSI)", "a\u009b2Jb", 0, "a 2Jb"},
		{"invalid UTF-8 replaced", "Dahua\xff\xfe", 0, "Dahua\uFFFD"},
		{"cut at max bytes", strings.Repeat("A", 300), 128, strings.Repeat("A", 128)},
		{"cut on a character boundary", strings.Repeat("ø", 100), 127, strings.Repeat("ø", 63)},
		{"trailing space before the cut is not kept", "abc   def", 4, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in, tt.max); got != tt.want {
				t.Errorf("Clean(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	f.Add("\x1b[2J", 0)
	f.Add("  a\u202eb  ", 5)
	f.Add("ø\xffø", 3)
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 1000
		got := Clean(s, max)
		if max > 0 && len(got) > max {
			t.Fatalf("%d bytes, more than %d", len(got), max)
		}
		if !utf8.ValidString(got) || strings.TrimSpace(got) != got || strings.Contains(got, "  ") {
			t.Fatalf("not clean: %q", got)
		}
		for _, r := range got {
			if r != ' ' && unsafeRune(r) {
				t.Fatalf("unsafe rune %U in %q", r, got)
			}
		}
		if Clean(got, max) != got {
			t.Fatalf("not idempotent: %q", got)
		}
	})
}
