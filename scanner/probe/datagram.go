package probe

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/datagram"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/rs/zerolog"
)

// datagramProtocol describes a UDP discovery protocol that is one query and
// its answers: where it is asked (a multicast group, or the group's port
// on one host) and how its answers read. A prober and a discoverer run any
// of them.
type datagramProtocol struct {
	name  string
	group netip.AddrPort
	// bindGroupPort: the multicast round binds the group's port and joins
	// the group, for devices that answer to the group rather than to the
	// sender.
	bindGroupPort bool
	// query returns the messages of one exchange and the parser of its
	// answers; log carries the probe's (and the host's) fields.
	query func(log zerolog.Logger) ([][]byte, parseFunc)
}

// parseFunc reads one answer; an error means the datagram was not one.
type parseFunc func([]byte) ([]evidence.Evidence, error)

// once is the query of a protocol with a fixed message and parser.
func once(msg func() []byte, parse parseFunc) func(zerolog.Logger) ([][]byte, parseFunc) {
	return func(zerolog.Logger) ([][]byte, parseFunc) { return [][]byte{msg()}, parse }
}

// DatagramProber sends a protocol's query to one host's port and reports
// what the host answers.
type DatagramProber struct {
	proto datagramProtocol
	opts  DatagramOptions
	log   zerolog.Logger
}

func newDatagramProber(proto datagramProtocol, opts DatagramOptions, log zerolog.Logger) *DatagramProber {
	return &DatagramProber{proto: proto, opts: opts, log: log.With().Str("probe", proto.name).Logger()}
}

func (p *DatagramProber) Name() string { return p.proto.name }

func (p *DatagramProber) Probe(ctx context.Context, t scanner.Target, emit scanner.Emit) error {
	msgs, parse := p.proto.query(p.log.With().Str("host", t.Addr.String()).Logger())
	return unicastDatagramProbe(ctx, t, p.proto.group.Port(), p.proto.name, msgs, p.opts.Wait, emit, parse, p.log)
}

// DatagramDiscoverer multicasts a protocol's query on each interface and
// reports every host that answers, by the address it answered from.
type DatagramDiscoverer struct {
	proto  datagramProtocol
	ifaces []net.Interface
	opts   DatagramOptions
	log    zerolog.Logger
}

func newDatagramDiscoverer(proto datagramProtocol, ifaces []net.Interface, opts DatagramOptions, log zerolog.Logger) *DatagramDiscoverer {
	return &DatagramDiscoverer{proto: proto, ifaces: ifaces, opts: opts, log: log.With().Str("probe", proto.name).Logger()}
}

func (d *DatagramDiscoverer) Name() string { return d.proto.name }

func (d *DatagramDiscoverer) Discover(ctx context.Context, found func(scanner.Sighting)) error {
	return datagram.Discover(ctx, d.ifaces, d.log, found, func(ifi net.Interface) (datagram.Round, func(netip.Addr, []byte) []evidence.Evidence) {
		msgs, parse := d.proto.query(d.log)
		r := datagram.Round{Iface: ifi, Group: d.proto.group, Msgs: msgs, Wait: d.opts.Wait, TTL: d.opts.TTL}
		if d.proto.bindGroupPort {
			r.BindPort = d.proto.group.Port()
		}
		// Foreign traffic on the group (other tools' queries) is normal
		// there and simply ignored.
		return r, func(_ netip.Addr, b []byte) []evidence.Evidence {
			ev, err := parse(b)
			if err != nil {
				return nil
			}
			return ev
		}
	})
}

// unicastDatagramProbe is the shared body of the UDP probers: send, parse
// every answer from the target, emit.
func unicastDatagramProbe(ctx context.Context, t scanner.Target, port uint16, probe string, msgs [][]byte, wait time.Duration,
	emit scanner.Emit, parse parseFunc, log zerolog.Logger) error {
	sink := value.NewSink(probe, emit)
	return datagram.Exchange(ctx, t.Dialer, netip.AddrPortFrom(t.Addr, port), msgs, wait, func(b []byte) bool {
		ev, err := parse(b)
		if err != nil {
			log.Debug().Err(err).Str("host", t.Addr.String()).Msg("unusable answer")
			return false
		}
		for _, e := range ev {
			sink.AddN(e.Field, e.Value, len(e.Value))
		}
		return len(ev) > 0
	})
}
