package datagram

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
)

// TestRoundSightingsBounded: one multicast round's evidence per sender is
// held to scanner.MaxSightingEvidence, however many distinct answers it sends.
func TestRoundSightingsBounded(t *testing.T) {
	src := netip.MustParseAddr("10.0.0.5")
	tests := []struct {
		name    string
		answers int
		want    int
	}{
		{"one answer", 1, 1},
		{"repeats", 1, 1},
		{"flood of distinct LOCATIONs", 4096, scanner.MaxSightingEvidence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSightings()
			for i := range tt.answers {
				s.Add(src, []evidence.Evidence{{Probe: "ssdp", Field: "ssdp.location", Value: fmt.Sprintf("http://10.0.0.5:%d/d.xml", i)}})
				s.Add(src, []evidence.Evidence{{Probe: "ssdp", Field: "ssdp.location", Value: fmt.Sprintf("http://10.0.0.5:%d/d.xml", i)}})
			}
			if n := len(s.hosts[src].Evidence); n != tt.want {
				t.Errorf("%d evidence items kept, want %d", n, tt.want)
			}
			if n := len(s.seen[src]); n > scanner.MaxSightingEvidence {
				t.Errorf("%d items indexed, bound %d", n, scanner.MaxSightingEvidence)
			}
		})
	}
}
