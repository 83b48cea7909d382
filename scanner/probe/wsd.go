package probe

import (
	"context"
	"net"
	"net/netip"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/datagram"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/camsweep/camsweep/scanner/internal/wire"
	"github.com/rs/zerolog"
)

// WSDProber sends the typed probes to port 3702 of one host: multicast does
// not cross the routers between VLANs, unicast does.
type WSDProber struct {
	opts DatagramOptions
	log  zerolog.Logger
}

// NewWSDProber returns the "wsd" prober.
func NewWSDProber(opts DatagramOptions, log zerolog.Logger) *WSDProber {
	return &WSDProber{opts: opts, log: log.With().Str("probe", "wsd").Logger()}
}

func (p *WSDProber) Name() string { return "wsd" }

func (p *WSDProber) Probe(ctx context.Context, t scanner.Target, emit scanner.Emit) error {
	msgs, ids := wire.WSDProbes()
	sink := value.NewSink("wsd", emit)
	log := p.log.With().Str("host", t.Addr.String()).Logger()
	err := datagram.Exchange(ctx, t.Dialer, netip.AddrPortFrom(t.Addr, wire.WSDPort), msgs, p.opts.Wait, func(b []byte) bool {
		ev := wire.WSDEvidence(b, ids, log)
		for _, e := range ev {
			sink.AddN(e.Field, e.Value, len(e.Value))
		}
		return len(ev) > 0
	})
	return err
}

// WSDDiscoverer multicasts the typed probes on each interface and reports
// every ONVIF device that answers, by the address it answered from.
type WSDDiscoverer struct {
	ifaces []net.Interface
	opts   DatagramOptions
	log    zerolog.Logger
}

// NewWSDDiscoverer returns the "wsd" discoverer. With no interfaces it uses
// every up, multicast-capable, non-loopback interface with an IPv4 address.
func NewWSDDiscoverer(ifaces []net.Interface, opts DatagramOptions, log zerolog.Logger) *WSDDiscoverer {
	return &WSDDiscoverer{ifaces: ifaces, opts: opts, log: log.With().Str("probe", "wsd").Logger()}
}

func (d *WSDDiscoverer) Name() string { return "wsd" }

func (d *WSDDiscoverer) Discover(ctx context.Context, found func(scanner.Sighting)) error {
	return datagram.Discover(ctx, d.ifaces, d.log, found, func(ifi net.Interface) (datagram.Round, func(netip.Addr, []byte) []evidence.Evidence) {
		msgs, ids := wire.WSDProbes()
		round := datagram.Round{Iface: ifi, Group: wire.WSDGroup, Msgs: msgs, Wait: d.opts.Wait, TTL: d.opts.TTL}
		return round, func(_ netip.Addr, b []byte) []evidence.Evidence { return wire.WSDEvidence(b, ids, d.log) }
	})
}
