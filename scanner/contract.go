package scanner

import (
	"context"
	"net"
	"net/netip"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// Port is an open TCP port with the service the scope expects on it
// ("http", "https", "rtsp", "" when unknown). The hint lets a site run its
// cameras on non-standard ports.
type Port struct {
	Number  uint16
	Service string
}

// Dialer opens connections on a prober's behalf. The engine's dialer applies
// the global rate limit and the per-host connection limit and counts every
// connection, so probers must dial only through it and must close what they
// open (HTTP clients therefore run without keep-alives).
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Target is one live host handed to a prober.
type Target struct {
	Addr   netip.Addr
	Ports  []Port
	Dialer Dialer
	// Evidence gathered by earlier probes and discoverers of this host (for
	// example WS-Discovery XAddrs that tell the ONVIF probe where to ask).
	Evidence []evidence.Evidence
}

// IsOpen reports whether port is one of the target's open ports, all of
// them in the sweep's port set: the only TCP ports a prober may follow a
// device-advertised URL to (the engine's dialer refuses the rest anyway).
func (t Target) IsOpen(port uint16) bool {
	for _, p := range t.Ports {
		if p.Number == port {
			return true
		}
	}
	return false
}

// PortsFor returns the target's open ports whose service hint is service.
func (t Target) PortsFor(service string) []uint16 {
	var out []uint16
	for _, p := range t.Ports {
		if p.Service == service {
			out = append(out, p.Number)
		}
	}
	return out
}

// Emit receives evidence from a probe. It is safe to call from one goroutine
// at a time per probe run.
type Emit func(evidence.Evidence)

// Prober inspects one host. Closed ports, 401s and silence are evidence (or
// nothing), not errors: an error means the probe could not run at all. A
// prober owns its timeouts (taken from ctx) and bounds every read.
type Prober interface {
	Name() string
	Probe(ctx context.Context, t Target, emit Emit) error
}

// Sighting is a host seen by a discoverer, with what it said.
type Sighting struct {
	Addr     netip.Addr
	MAC      string
	Evidence []evidence.Evidence
}

// Discoverer finds hosts on a segment (ARP, multicast WS-Discovery, mDNS,
// SADP, DHIP, passive listening) rather than inspecting a known host.
type Discoverer interface {
	Name() string
	Discover(ctx context.Context, found func(Sighting)) error
}
