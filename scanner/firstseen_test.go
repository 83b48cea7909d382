package scanner

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
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
			f := newFirstSeen(tt.max)
			for _, s := range tt.in {
				f.add(s)
			}
			if got := f.list(); !slices.Equal(got, tt.want) {
				t.Errorf("kept %q, want %q", got, tt.want)
			}
			if f.len() != len(tt.want) || len(f.set()) != len(tt.want) || len(f.has) != len(tt.want) {
				t.Errorf("len %d, set %d, index %d; want %d", f.len(), len(f.set()), len(f.has), len(tt.want))
			}
			if f.dropped != tt.wantDropped {
				t.Errorf("dropped %d, want %d", f.dropped, tt.wantDropped)
			}
		})
	}
}

// TestRoundSightingsBounded: one multicast round's evidence per sender is
// held to maxSightingEvidence, however many distinct answers it sends.
func TestRoundSightingsBounded(t *testing.T) {
	src := netip.MustParseAddr("10.0.0.5")
	tests := []struct {
		name    string
		answers int
		want    int
	}{
		{"one answer", 1, 1},
		{"repeats", 1, 1},
		{"flood of distinct LOCATIONs", 4096, maxSightingEvidence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSightings()
			for i := range tt.answers {
				s.add(src, []evidence.Evidence{{Probe: "ssdp", Field: "ssdp.location", Value: fmt.Sprintf("http://10.0.0.5:%d/d.xml", i)}})
				s.add(src, []evidence.Evidence{{Probe: "ssdp", Field: "ssdp.location", Value: fmt.Sprintf("http://10.0.0.5:%d/d.xml", i)}})
			}
			if n := len(s.hosts[src].Evidence); n != tt.want {
				t.Errorf("%d evidence items kept, want %d", n, tt.want)
			}
			if n := len(s.seen[src]); n > maxSightingEvidence {
				t.Errorf("%d items indexed, bound %d", n, maxSightingEvidence)
			}
		})
	}
}
