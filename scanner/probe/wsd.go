package probe

import (
	"net"

	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/wire"
	"github.com/rs/zerolog"
)

// WS-Discovery: multicast does not cross the routers between VLANs,
// unicast to 3702 does; the typed probes' message ids tell our
// answers from other clients'.
var wsdProtocol = datagramProtocol{name: "wsd", group: wire.WSDGroup, query: func(log zerolog.Logger) ([][]byte, parseFunc) {
	msgs, ids := wire.WSDProbes()
	return msgs, func(b []byte) ([]evidence.Evidence, error) { return wire.WSDEvidence(b, ids, log), nil }
}}

// NewWSDProber returns the "wsd" prober.
func NewWSDProber(opts DatagramOptions, log zerolog.Logger) *DatagramProber {
	return newDatagramProber(wsdProtocol, opts, log)
}

// NewWSDDiscoverer returns the "wsd" discoverer. With no interfaces it uses
// every up, multicast-capable, non-loopback interface with an IPv4 address;
// so do the other discoverers.
func NewWSDDiscoverer(ifaces []net.Interface, opts DatagramOptions, log zerolog.Logger) *DatagramDiscoverer {
	return newDatagramDiscoverer(wsdProtocol, ifaces, opts, log)
}
