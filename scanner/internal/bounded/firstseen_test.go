package bounded

import (
	"fmt"
	"slices"
	"testing"
)

// TestFirstSeenBounded pins the set that holds what a device may repeat or
// flood (mDNS instances awaiting a follow-up, SSDP LOCATIONs): each value
// once, the first max of them, whatever comes after.
func TestFirstSeenBounded(t *testing.T) {
	flood := make([]string, 4096)
	for i := range flood {
		flood[i] = fmt.Sprintf("http://10.0.0.5/desc-%04d.xml", i)
	}
	tests := []struct {
		name        string
		max         int
		in          []string
		want        []string
		wantDropped int
	}{
		{"empty", 2, nil, nil, 0},
		{"repeats kept once", 2, []string{"a", "a", "a", "b", "a", "b"}, []string{"a", "b"}, 0},
		{"first ones kept", 2, []string{"c", "b", "a"}, []string{"c", "b"}, 1},
		{"4096 distinct answers", 32, flood, flood[:32], 4096 - 32},
		{"nothing kept at zero", 0, []string{"a"}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFirstSeen(tt.max)
			for _, s := range tt.in {
				f.Add(s)
			}
			if got := f.List(); !slices.Equal(got, tt.want) {
				t.Errorf("kept %q, want %q", got, tt.want)
			}
			if f.Len() != len(tt.want) || len(f.Set()) != len(tt.want) || len(f.has) != len(tt.want) {
				t.Errorf("len %d, set %d, index %d; want %d", f.Len(), len(f.Set()), len(f.has), len(tt.want))
			}
			if f.dropped != tt.wantDropped {
				t.Errorf("dropped %d, want %d", f.dropped, tt.wantDropped)
			}
		})
	}
}
