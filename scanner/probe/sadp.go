package probe

import (
	"net"

	"github.com/camsweep/camsweep/scanner/internal/wire"
	"github.com/rs/zerolog"
)

// Hikvision SADP: devices answer to the group on 37020 rather than to
// the sender; unicast reaches routed VLANs that multicast cannot.
var sadpProtocol = datagramProtocol{name: "sadp", group: wire.SADPGroup, bindGroupPort: true, query: once(wire.NewSADPInquiry, wire.ParseSADP)}

// NewSADPProber returns the "sadp" prober.
func NewSADPProber(opts DatagramOptions, log zerolog.Logger) *DatagramProber {
	return newDatagramProber(sadpProtocol, opts, log)
}

// NewSADPDiscoverer returns the "sadp" discoverer.
func NewSADPDiscoverer(ifaces []net.Interface, opts DatagramOptions, log zerolog.Logger) *DatagramDiscoverer {
	return newDatagramDiscoverer(sadpProtocol, ifaces, opts, log)
}
