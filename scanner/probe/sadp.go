package probe

import (
	"context"
	"net"
	"net/netip"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/datagram"
	"github.com/camsweep/camsweep/scanner/internal/wire"
	"github.com/rs/zerolog"
)

// SADPProber sends the inquiry to one host: answers from routed VLANs that
// multicast cannot reach.
type SADPProber struct {
	opts DatagramOptions
	log  zerolog.Logger
}

// NewSADPProber returns the "sadp" prober.
func NewSADPProber(opts DatagramOptions, log zerolog.Logger) *SADPProber {
	return &SADPProber{opts: opts, log: log.With().Str("probe", "sadp").Logger()}
}

func (p *SADPProber) Name() string { return "sadp" }

func (p *SADPProber) Probe(ctx context.Context, t scanner.Target, emit scanner.Emit) error {
	return unicastDatagramProbe(ctx, t, wire.SADPPort, "sadp", [][]byte{wire.NewSADPInquiry()}, p.opts.Wait, emit, wire.ParseSADP, p.log)
}

// SADPDiscoverer multicasts the inquiry on each interface. Hikvision devices
// answer to the group on port 37020 rather than to the sender, so the round
// binds that port and joins the group.
type SADPDiscoverer struct {
	ifaces []net.Interface
	opts   DatagramOptions
	log    zerolog.Logger
}

// NewSADPDiscoverer returns the "sadp" discoverer (interfaces as for
// NewWSDDiscoverer).
func NewSADPDiscoverer(ifaces []net.Interface, opts DatagramOptions, log zerolog.Logger) *SADPDiscoverer {
	return &SADPDiscoverer{ifaces: ifaces, opts: opts, log: log.With().Str("probe", "sadp").Logger()}
}

func (d *SADPDiscoverer) Name() string { return "sadp" }

func (d *SADPDiscoverer) Discover(ctx context.Context, found func(scanner.Sighting)) error {
	return datagram.Discover(ctx, d.ifaces, d.log, found, func(ifi net.Interface) (datagram.Round, func(netip.Addr, []byte) []evidence.Evidence) {
		r := datagram.Round{Iface: ifi, Group: wire.SADPGroup, BindPort: wire.SADPPort, Msgs: [][]byte{wire.NewSADPInquiry()}, Wait: d.opts.Wait, TTL: d.opts.TTL}
		return r, quietParse(wire.ParseSADP)
	})
}
