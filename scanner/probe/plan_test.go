package probe

import (
	"testing"

	"github.com/camsweep/camsweep/scanner/internal/wire"
)

// TestDatagramPlansMatchTheProtocols: the dry-run plan's message counts are
// those the discoverers and probers really send.
func TestDatagramPlansMatchTheProtocols(t *testing.T) {
	wsd, _ := wire.WSDProbes()
	mdns, _ := mdnsQueries(DefaultMDNSServices)
	many := make([]string, 100)
	for i := range many {
		many[i] = string(rune('a'+i%26)) + string(rune('a'+i/26)) + "._http._tcp.local."
	}
	want := map[string][2]int{
		"wsd":  {len(wsd), 0},
		"sadp": {len([][]byte{wire.NewSADPInquiry()}), 0},
		"dhip": {len([][]byte{wire.NewDHIPSearch()}), 0},
		"ssdp": {1, 0},
		"mdns": {len(mdns), len(mdnsFollowUps(many))},
	}
	got := DatagramPlans()
	if len(got) != len(want) {
		t.Fatalf("%d protocols planned, want %d", len(got), len(want))
	}
	for _, p := range got {
		w, ok := want[p.Probe]
		if !ok {
			t.Errorf("unknown probe %q", p.Probe)
			continue
		}
		if p.Queries != w[0] || p.FollowUps != w[1] {
			t.Errorf("%s: plan says %d queries + %d follow-ups, the code sends %d + %d", p.Probe, p.Queries, p.FollowUps, w[0], w[1])
		}
		if !p.Group.Addr().IsMulticast() || p.Group.Port() != p.Port {
			t.Errorf("%s: group %v, port %d", p.Probe, p.Group, p.Port)
		}
	}
}
