package value

import (
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
)

func TestClean(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"  App-webs/  ", 256, "App-webs/"},
		{"a\r\n\t  b", 256, "a b"},
		{"ctl\x00\x07chars", 256, "ctl chars"},
		{"bad \xff utf8", 256, "bad \uFFFD utf8"},
		{"abcdef", 3, "abc"},
		{"ab cd", 3, "ab"},
		{"héllo", 2, "h"}, // never cut inside a rune
		{"", 10, ""},
	}
	for _, tc := range tests {
		if got := Clean(tc.in, tc.max); got != tc.want {
			t.Errorf("Clean(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestSinkDropsEmptyAndRepeats(t *testing.T) {
	var got []evidence.Evidence
	s := NewSink("http", func(e evidence.Evidence) { got = append(got, e) })
	s.Add("http.server", "App-webs/")
	s.Add("http.server", " App-webs/ ")
	s.Add("http.server", "")
	s.Add("http.status", "401")
	if len(got) != 2 {
		t.Fatalf("got %d evidence items, want 2: %v", len(got), got)
	}
	if got[0].Probe != "http" {
		t.Fatalf("probe = %q", got[0].Probe)
	}
}

func TestListDropsEmpty(t *testing.T) {
	l := List{Probe: "sadp"}
	l.Add("sadp.model", " DS-2CD2143G2-I ")
	l.Add("sadp.serial", "  ")
	want := []evidence.Evidence{{Probe: "sadp", Field: "sadp.model", Value: "DS-2CD2143G2-I"}}
	if len(l.Out) != 1 || l.Out[0] != want[0] {
		t.Fatalf("got %v, want %v", l.Out, want)
	}
}
