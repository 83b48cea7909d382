package sweep

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/link"
	"github.com/camsweep/camsweep/scanner/probe"
)

// local holds what the sweep set up on the L2 interface (ARP, passive
// listening, multicast discovery) and must tear down.
type local struct {
	iface       string
	discovery   []string
	notes       []string
	arpRequests atomic.Int64
	closers     []func()
}

func (l *local) close() {
	for i := len(l.closers) - 1; i >= 0; i-- {
		l.closers[i]()
	}
}

func (l *local) framesSent() uint64 { return uint64(l.arpRequests.Load()) }

// errNoRawSocket explains why the link-only profiles cannot run.
var errNoRawSocket = errors.New("sweep: ARP and passive listening need CAP_NET_RAW (run as root or grant the capability)")

// setupLocal prepares link-level discovery on the interface whose subnet
// holds the targets (or the one named). Targets that lie on no local
// interface's subnet, such as loopback or routed VLANs, get none: nothing is
// ever broadcast or multicast on an interface that does not hold the scope.
func setupLocal(ctx context.Context, cfg *Config, scope *scanner.Scope, opts *scanner.Options, log zerolog.Logger) (*local, error) {
	l := &local{}
	linkOnly := cfg.Profile == ProfilePassive || cfg.Profile == ProfileARP
	ifc, err := link.ChooseInterface(cfg.Interface, scope.Prefixes())
	if err != nil {
		if cfg.Interface != "" || linkOnly {
			return nil, fmt.Errorf("sweep: profile %s: %w", cfg.Profile, err)
		}
		l.notes = append(l.notes, "link-level discovery off: "+err.Error())
		return l, nil
	}
	// The interface holds the targets (or the user named it): raw sockets
	// may be opened on it.
	ifc.Requested = true
	l.iface = ifc.Name
	opts.KeepSighting = func(a netip.Addr) bool { return scope.Contains(a) || !ifc.OnLink(a) }

	if !link.RawFramesSupported {
		if linkOnly {
			return nil, fmt.Errorf("sweep: profile %s: %w", cfg.Profile, link.ErrNeedsLinux)
		}
		msg := "ARP and passive listening off: " + link.ErrNeedsLinux.Error()
		log.Warn().Str("interface", ifc.Name).Msg(msg)
		l.notes = append(l.notes, msg)
	} else if !link.CanRawSocket() {
		if linkOnly {
			return nil, errNoRawSocket
		}
		msg := "no CAP_NET_RAW: ARP and passive listening off; MAC addresses come from the kernel neighbour table after TCP contact"
		log.Warn().Str("interface", ifc.Name).Msg(msg)
		l.notes = append(l.notes, msg)
		l.discovery = append(l.discovery, "neighbour-table")
		opts.MACOf = link.NeighbourMAC
	} else if err := l.openFrames(ctx, cfg, scope, ifc, opts, log); err != nil {
		l.close()
		return nil, err
	}

	if linkOnly {
		opts.LinkOnly = true
		opts.Linger = cfg.Listen
		return l, nil
	}
	if cfg.Targeted {
		return l, nil // unicast only: no multicast query reaches the segment
	}
	nif, err := net.InterfaceByIndex(ifc.Index)
	if err != nil {
		l.close()
		return nil, fmt.Errorf("sweep: interface %s: %w", ifc.Name, err)
	}
	ifaces := []net.Interface{*nif}
	opts.Discoverers = append(opts.Discoverers,
		probe.NewWSDDiscoverer(ifaces, probe.DatagramOptions{}, log),
		probe.NewSADPDiscoverer(ifaces, probe.DatagramOptions{}, log),
		probe.NewDHIPDiscoverer(ifaces, probe.DatagramOptions{}, log),
		probe.NewSSDPDiscoverer(ifaces, probe.SSDPOptions{}, log),
		probe.NewMDNSDiscoverer(ifaces, probe.MDNSOptions{}, log),
	)
	return l, nil
}

// openFrames opens the raw socket, shares it between the ARP sweep and the
// passive listener, and records it to --pcap when asked.
func (l *local) openFrames(ctx context.Context, cfg *Config, scope *scanner.Scope, ifc link.Interface, opts *scanner.Options, log zerolog.Logger) error {
	filter, err := link.PassiveFilter()
	if err != nil {
		return err
	}
	conn, err := link.OpenFrameConn(ifc, link.FrameOptions{AllMulticast: true, Filter: filter})
	if err != nil {
		return err
	}
	l.closers = append(l.closers, func() { conn.Close() })
	if cfg.Profile == ProfilePassive {
		// Listen only: whatever a bug asked, this socket cannot send.
		conn = link.ListenOnly(conn)
	}
	if cfg.Pcap != "" {
		tee, err := link.CreateTee(conn, cfg.Pcap)
		if err != nil {
			return err
		}
		l.closers = append(l.closers, func() { tee.Close() })
		conn = tee
	}
	// Every consumer subscribes before the tap runs, so none misses a frame.
	tap := link.NewTap(conn)
	var passiveConn link.FrameConn
	if !cfg.Targeted {
		passiveConn = tap.Subscribe(0)
	}
	var arpConn link.FrameConn
	if cfg.Profile != ProfilePassive {
		arpConn = tap.Subscribe(0)
	}
	fctx, stop := context.WithCancel(ctx)
	go func() { _ = tap.Run(fctx) }()
	l.closers = append(l.closers, func() { stop(); <-tap.Done() })

	routers, err := parseMACs(cfg.RouterMACs)
	if err != nil {
		return err
	}
	if !cfg.Targeted {
		passive := link.NewPassive(passiveConn, link.DecoderOptions{
			Interface: &ifc, Routers: routers, Gateways: link.DefaultGateways(ifc.Name),
		}, log)
		opts.Discoverers = append(opts.Discoverers, passiveDiscoverer{p: passive, keep: func(h link.Heard) bool {
			return !h.Routed || scope.Contains(h.Addr)
		}})
		l.discovery = append(l.discovery, "passive")
	}
	if cfg.Profile == ProfilePassive {
		return nil
	}

	excluded, err := exclusionCheck(cfg)
	if err != nil {
		return err
	}
	excludedMAC := macExcluder(cfg.ExcludeOUIs)
	arp := link.NewARPSweep(arpConn, ifc, link.ARPOptions{
		Exclude: func(a netip.Addr, mac string) bool {
			return excluded(a) || (mac != "" && excludedMAC != nil && excludedMAC(mac))
		},
		InScope: scope.Contains,
		// A look at one new host asks that host alone: the factory
		// defaults are the scheduled sweep's to ask.
		NoFactoryDefaults: cfg.Targeted,
	}, log)
	opts.HostDiscovery = func(ctx context.Context, s *scanner.Scope, wait func(context.Context) error, found func(scanner.Sighting)) (func(netip.Addr) bool, error) {
		onLink := func(yield func(netip.Addr) bool) {
			for a := range s.Addrs() {
				if ifc.OnLink(a) && !yield(a) {
					return
				}
			}
		}
		st, err := arp.Sweep(ctx, onLink, wait, found)
		l.arpRequests.Store(int64(st.Requests))
		log.Info().Int("arp_requests", st.Requests).Int("found", st.Found).Int("foreign_subnet", st.Foreign).Msg("ARP sweep done")
		return func(a netip.Addr) bool { return ifc.OnLink(a) && s.Contains(a) }, err
	}
	l.discovery = append(l.discovery, "arp")
	return nil
}

// exclusionCheck reports whether an address was excluded by the user; the
// ARP sweep asks it also for factory-default addresses outside the scope.
func exclusionCheck(cfg *Config) (func(netip.Addr) bool, error) {
	if len(cfg.Exclude) == 0 {
		return func(netip.Addr) bool { return false }, nil
	}
	ex, err := scanner.NewScope(cfg.Exclude, nil, true)
	if err != nil {
		return nil, err
	}
	return ex.Contains, nil
}

// parseMACs reads router MACs from the configuration.
func parseMACs(ss []string) ([]net.HardwareAddr, error) {
	var out []net.HardwareAddr
	for _, s := range ss {
		hw, err := net.ParseMAC(s)
		if err != nil || len(hw) != 6 {
			return nil, fmt.Errorf("sweep: router MAC %q: want six octets, e.g. 00:1a:2b:3c:4d:5e", s)
		}
		out = append(out, hw)
	}
	return out, nil
}

// passiveDiscoverer adapts the passive listener to the engine's
// Discoverer, reporting what keep accepts.
type passiveDiscoverer struct {
	p    *link.Passive
	keep func(link.Heard) bool
}

func (d passiveDiscoverer) Name() string { return "passive" }
func (d passiveDiscoverer) Discover(ctx context.Context, found func(scanner.Sighting)) error {
	return d.p.ListenKeep(ctx, d.keep, found)
}
