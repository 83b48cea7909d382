package probe

import (
	"net/netip"

	"github.com/camsweep/camsweep/scanner/internal/wire"
)

// DatagramPlan is what one UDP discovery protocol sends, for the dry-run
// plan: per interface for the multicast discoverer, per camera-looking
// host for the unicast prober. It is the protocols' own message count
// (TestDatagramPlansMatchTheProtocols holds it to the code).
type DatagramPlan struct {
	Probe string
	// Group is the multicast destination; Port the unicast prober's.
	Group netip.AddrPort
	Port  uint16
	// Queries are always sent; FollowUps at most, when answers call for
	// them (mDNS SRV/TXT questions for PTR-only answers).
	Queries, FollowUps int
	// Reaches says who hears the multicast query.
	Reaches string
}

// DatagramPlans lists the UDP discovery protocols in the order the
// discoverers start.
func DatagramPlans() []DatagramPlan {
	wsd, _ := wire.WSDProbes()
	mdns, _ := mdnsQueries(DefaultMDNSServices)
	return []DatagramPlan{
		{Probe: "wsd", Group: wire.WSDGroup, Port: wire.WSDPort, Queries: len(wsd),
			Reaches: "every WS-Discovery (DPWS) device on the segment; typed ONVIF probes, which IEEE 11073 SDC medical devices do not match"},
		{Probe: "sadp", Group: wire.SADPGroup, Port: wire.SADPPort, Queries: 1, Reaches: "every device listening for Hikvision SADP"},
		{Probe: "dhip", Group: wire.DHIPGroup, Port: wire.DHIPPort, Queries: 1, Reaches: "every device listening for Dahua DHIP"},
		{Probe: "ssdp", Group: ssdpGroup, Port: ssdpPort, Queries: 1, Reaches: "every UPnP device on the segment (ST: upnp:rootdevice), medical devices included"},
		{Probe: "mdns", Group: mdnsGroup, Port: mdnsPort, Queries: len(mdns), FollowUps: 2 * maxMDNSFollowUps,
			Reaches: "every mDNS responder on the segment, medical devices included"},
	}
}
