package link

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/google/gopacket/layers"
)

// TestARPMACsPerAddressBounded answers one asked address with many MACs, as
// a spoofing station (or a flood of them) would: the first few are sighted
// and kept, the rest only noted, so the state stays a few MACs per address
// whatever the segment sends.
func TestARPMACsPerAddressBounded(t *testing.T) {
	target := netip.MustParseAddr("10.9.0.50")
	conflict := evidence.Evidence{Probe: "arp", Field: "arp.mac_conflict", Value: fmt.Sprintf("more than %d MACs answered for this address", maxARPMACsPerAddr)}
	tests := []struct {
		name      string
		macs      int // distinct MACs answering
		repeats   int // times each answers
		wantMACs  int // sightings with a MAC
		wantNoted bool
	}{
		{"one MAC", 1, 1, 1, false},
		{"one MAC answering often", 1, 50, 1, false},
		{"address conflict: two MACs", 2, 2, 2, false},
		{"exactly the cap", maxARPMACsPerAddr, 1, maxARPMACsPerAddr, false},
		{"one over the cap", maxARPMACsPerAddr + 1, 1, maxARPMACsPerAddr, true},
		{"spoofing flood", 5000, 1, maxARPMACsPerAddr, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []scanner.Sighting
			st := newARPState(l2TestIfc, ARPOptions{}, func(s scanner.Sighting) { got = append(got, s) })
			if !st.admit(target) {
				t.Fatal("target not admitted")
			}
			for r := 0; r < tt.repeats; r++ {
				for i := 0; i < tt.macs; i++ {
					mac := net.HardwareAddr{0x02, 0xaa, byte(i >> 16), byte(i >> 8), byte(i), 0x01}
					st.reply(arpPacket{EthDst: l2TestMAC, Op: layers.ARPReply, SenderMAC: mac, SenderIP: target, TargetIP: l2TestIfc.Addr}, l2TestMAC)
				}
			}
			var macs, noted int
			var firstMACs []string
			for _, s := range got {
				if s.MAC != "" {
					macs++
					firstMACs = append(firstMACs, s.MAC)
				}
				if slices.Contains(s.Evidence, conflict) {
					noted++
				}
			}
			if macs != tt.wantMACs {
				t.Errorf("%d sightings with a MAC, want %d", macs, tt.wantMACs)
			}
			if want := map[bool]int{true: 1, false: 0}[tt.wantNoted]; noted != want {
				t.Errorf("conflict noted %d times, want %d", noted, want)
			}
			if n := len(st.seen[target]); n > maxARPMACsPerAddr {
				t.Errorf("%d MACs kept for %s, cap %d", n, target, maxARPMACsPerAddr)
			}
			// The first MACs to answer are the ones kept.
			for i, m := range firstMACs {
				if want := macString(net.HardwareAddr{0x02, 0xaa, 0, 0, byte(i), 0x01}); m != want {
					t.Errorf("sighting %d has MAC %s, want the %d-th to answer, %s", i, m, i+1, want)
				}
			}
			if st.stats.MACsDropped != max(tt.macs-maxARPMACsPerAddr, 0)*tt.repeats {
				t.Errorf("MACsDropped = %d", st.stats.MACsDropped)
			}
		})
	}
}
