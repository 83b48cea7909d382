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

// DHIPProber sends the search to one host's UDP 37810.
type DHIPProber struct {
	opts DatagramOptions
	log  zerolog.Logger
}

// NewDHIPProber returns the "dhip" prober.
func NewDHIPProber(opts DatagramOptions, log zerolog.Logger) *DHIPProber {
	return &DHIPProber{opts: opts, log: log.With().Str("probe", "dhip").Logger()}
}

func (p *DHIPProber) Name() string { return "dhip" }

func (p *DHIPProber) Probe(ctx context.Context, t scanner.Target, emit scanner.Emit) error {
	return unicastDatagramProbe(ctx, t, wire.DHIPPort, "dhip", [][]byte{wire.NewDHIPSearch()}, p.opts.Wait, emit, wire.ParseDHIP, p.log)
}

// DHIPDiscoverer multicasts the search on each interface. The round binds
// 37810 and joins the group because firmwares differ on whether they answer
// to the sender or to the group.
type DHIPDiscoverer struct {
	ifaces []net.Interface
	opts   DatagramOptions
	log    zerolog.Logger
}

// NewDHIPDiscoverer returns the "dhip" discoverer.
func NewDHIPDiscoverer(ifaces []net.Interface, opts DatagramOptions, log zerolog.Logger) *DHIPDiscoverer {
	return &DHIPDiscoverer{ifaces: ifaces, opts: opts, log: log.With().Str("probe", "dhip").Logger()}
}

func (d *DHIPDiscoverer) Name() string { return "dhip" }

func (d *DHIPDiscoverer) Discover(ctx context.Context, found func(scanner.Sighting)) error {
	return datagram.Discover(ctx, d.ifaces, d.log, found, func(ifi net.Interface) (datagram.Round, func(netip.Addr, []byte) []evidence.Evidence) {
		r := datagram.Round{Iface: ifi, Group: wire.DHIPGroup, BindPort: wire.DHIPPort, Msgs: [][]byte{wire.NewDHIPSearch()}, Wait: d.opts.Wait, TTL: d.opts.TTL}
		return r, quietParse(wire.ParseDHIP)
	})
}
