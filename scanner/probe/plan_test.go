package probe

import (
	"net/netip"
	"testing"

	"github.com/camsweep/camsweep/scanner/internal/wire"
)

// TestDatagramPlansMatchTheProtocols: the dry-run plan's message counts and
// destinations are a contract a safety reviewer signs off on, so they are
// pinned here as written, not taken from the code; and the code must send
// what the plan says.
func TestDatagramPlansMatchTheProtocols(t *testing.T) {
	type plan struct {
		group              string
		queries, followUps int
	}
	want := map[string]plan{
		// Two typed probes (NetworkVideoTransmitter, then tds:Device),
		// never an untyped one: OASIS WS-Discovery's group and port.
		"wsd": {"239.255.255.250:3702", 2, 0},
		// One inquiry each: Hikvision SADP, Dahua DHIP.
		"sadp": {"239.255.255.250:37020", 1, 0},
		"dhip": {"239.255.255.251:37810", 1, 0},
		// One M-SEARCH (UPnP Device Architecture's group and port).
		"ssdp": {"239.255.255.250:1900", 1, 0},
		// One PTR question per default service type (nine), and SRV and
		// TXT follow-ups for at most 32 PTR-only answers (RFC 6762's
		// group and port).
		"mdns": {"224.0.0.251:5353", 9, 64},
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
		if p.Group != netip.MustParseAddrPort(w.group) || p.Port != p.Group.Port() {
			t.Errorf("%s: group %v, port %d; want %s", p.Probe, p.Group, p.Port, w.group)
		}
		if p.Queries != w.queries || p.FollowUps != w.followUps {
			t.Errorf("%s: plan says %d queries + %d follow-ups, want %d + %d", p.Probe, p.Queries, p.FollowUps, w.queries, w.followUps)
		}
	}

	// And the code sends what the plan says.
	wsd, _ := wire.WSDProbes()
	mdns, _ := mdnsQueries(DefaultMDNSServices)
	many := make([]string, 100)
	for i := range many {
		many[i] = string(rune('a'+i%26)) + string(rune('a'+i/26)) + "._http._tcp.local."
	}
	sends := map[string][2]int{
		"wsd":  {len(wsd), 0},
		"sadp": {len([][]byte{wire.NewSADPInquiry()}), 0},
		"dhip": {len([][]byte{wire.NewDHIPSearch()}), 0},
		"ssdp": {1, 0},
		"mdns": {len(mdns), len(mdnsFollowUps(many))},
	}
	for probe, s := range sends {
		if w := want[probe]; s[0] != w.queries || s[1] != w.followUps {
			t.Errorf("%s: the code sends %d queries + at most %d follow-ups, the plan %d + %d", probe, s[0], s[1], w.queries, w.followUps)
		}
	}
}
