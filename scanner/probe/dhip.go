package probe

import (
	"net"

	"github.com/camsweep/camsweep/scanner/internal/wire"
	"github.com/rs/zerolog"
)

// Dahua DHIP: firmwares differ on whether they answer to the sender or
// to the group, so the round binds 37810 and joins the group.
var dhipProtocol = datagramProtocol{name: "dhip", group: wire.DHIPGroup, bindGroupPort: true, query: once(wire.NewDHIPSearch, wire.ParseDHIP)}

// NewDHIPProber returns the "dhip" prober.
func NewDHIPProber(opts DatagramOptions, log zerolog.Logger) *DatagramProber {
	return newDatagramProber(dhipProtocol, opts, log)
}

// NewDHIPDiscoverer returns the "dhip" discoverer.
func NewDHIPDiscoverer(ifaces []net.Interface, opts DatagramOptions, log zerolog.Logger) *DatagramDiscoverer {
	return newDatagramDiscoverer(dhipProtocol, ifaces, opts, log)
}
