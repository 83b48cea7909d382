package main

import (
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
