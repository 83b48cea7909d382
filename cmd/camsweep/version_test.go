package main

import (
	"regexp"
	"runtime/debug"
	"testing"
)

// TestModuleVersion: `go install ...@v1.2.3` builds carry the module
// version and no -X flag; a work-tree build says (devel) and keeps "dev".
func TestModuleVersion(t *testing.T) {
	tests := []struct {
		stamped string
		bi      *debug.BuildInfo
		want    string
	}{
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"dev", nil, "dev"},
		{"v1.3.0-4-gabcdef0", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "v1.3.0-4-gabcdef0"},
	}
	for _, tt := range tests {
		if got := moduleVersion(tt.stamped, tt.bi); got != tt.want {
			t.Errorf("stamped %q, build info %+v: got %q, want %q", tt.stamped, tt.bi, got, tt.want)
		}
	}
}

// TestVersionNamesDataDates: a user can tell from `camsweep version` how
// current the shipped recog databases and IEEE registry are.
func TestVersionNamesDataDates(t *testing.T) {
	stdout, stderr, code := camsweep(t, "", "version")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`(?m)^recog data 20\d\d-\d\d-\d\d \(https://github.com/rapid7/recog [0-9a-f]{40}\)$`,
		`(?m)^oui data 20\d\d-\d\d-\d\d \(npm oui-data \d+\.\d+\.\d+ `,
	} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("version output lacks %s:\n%s", want, stdout)
		}
	}
}
