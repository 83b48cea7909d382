package scantest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"sync"

	"github.com/rs/zerolog"
)

// DefaultBase is where hosts live unless Options.Base says otherwise: a
// loopback /16 that Linux routes to lo without any configuration, so the
// demo needs no root and sends nothing off the machine.
var DefaultBase = netip.MustParsePrefix("127.77.0.0/16")

// DefaultPorts maps a service to the port it is served on. The TCP numbers
// are unprivileged stand-ins for the real ones (80, 443, 554, 8000, 37777,
// 9000) so a normal user can run the demo; the scanner learns them from
// PortSpec. The UDP ones (bound only when a protocol responder is
// registered for the section) keep the real port where it is unprivileged
// and rarely taken (WS-Discovery, SADP, DHIP) and move SSDP and mDNS off
// 1900 and 5353, where a desktop's own daemons already listen.
func DefaultPorts() map[string]uint16 {
	return map[string]uint16{
		"http":          10080,
		"https":         10443,
		"rtsp":          10554,
		"hik-sdk":       18000,
		"dahua-sdk":     37777,
		"reolink-media": 19000,
		"wsd":           3702,
		"sadp":          37020,
		"dhip":          37810,
		"ssdp":          11900,
		"mdns":          15353,
	}
}

// RandomBase returns a random /16 inside 127.128.0.0/9. go test runs the
// packages of a module in parallel processes; tests that start a Network
// there should use their own base so they do not collide on 127.77.0.0/16.
func RandomBase() netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{127, byte(128 + rand.IntN(128)), 0, 0}), 16)
}

// firstHostOffset is the first address handed out inside Base (.0.10), which
// leaves the low addresses for a gateway or the scanner in the netns lab.
const firstHostOffset = 10

// Options configures Start. The zero value is usable.
type Options struct {
	// Base is the prefix hosts are placed in; DefaultBase when invalid.
	Base netip.Prefix
	// Ports overrides entries of DefaultPorts (service -> port).
	Ports map[string]uint16
	// Listen and ListenPacket open sockets; the namespace lab swaps them to
	// listen inside a netns. Defaults use net.ListenConfig. With the defaults
	// every host address must be loopback.
	Listen       func(ctx context.Context, network, address string) (net.Listener, error)
	ListenPacket func(ctx context.Context, network, address string) (net.PacketConn, error)
	Logger       zerolog.Logger
	// Stream, when set, is the account recorders pull video with (see
	// StreamAccount); without it no persona streams.
	Stream *StreamAccount
}

// HostSpec asks for one host playing a persona. Addr, Serial and MAC are
// optional: an invalid Addr is allocated from Base, and empty Serial or MAC
// keep the persona's own.
type HostSpec struct {
	Persona Persona
	Addr    netip.Addr
	Serial  string
	MAC     string
}

// Host is one running fake device. Persona has its placeholders filled in
// with this host's serial, MAC and address.
type Host struct {
	Persona Persona
	Addr    netip.Addr
	// Ports lists the services this host listens on (service -> port).
	Ports map[string]uint16

	mux *http.ServeMux  // persona routes at "/", protocol handlers mounted beside them
	udp map[string]bool // services in Ports that are UDP

	stream       *StreamAccount
	listenPacket func(ctx context.Context, network, address string) (net.PacketConn, error)
}

// Serial is the host's serial number ({{serial}} in its persona).
func (h *Host) Serial() string { return h.Persona.Serial }

// MAC is the host's MAC address ({{mac}} in its persona).
func (h *Host) MAC() string { return h.Persona.MAC }

// AddrPort is where the host serves service; ok is false when it does not.
func (h *Host) AddrPort(service string) (ap netip.AddrPort, ok bool) {
	p, ok := h.Ports[service]
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(h.Addr, p), true
}

// HTTPMount adds a protocol's handlers (ONVIF device service, UPnP device
// description, ...) to a host's HTTP mux, next to the persona's canned
// routes at "/". It runs once per host at Start.
type HTTPMount func(mux *http.ServeMux, h *Host)

// UDPResponder serves one protocol on a packet socket bound to the host's
// address until ctx ends or conn is closed; it must return then.
type UDPResponder func(ctx context.Context, conn net.PacketConn, h *Host)

// udpService is a UDP protocol started with each host whose persona has the
// section: the socket is bound to the host's address on Ports[service].
type udpService struct {
	service string
	serve   UDPResponder
}

// Protocol seams, keyed by persona section ("onvif", "sadp", "dhip", "upnp",
// "mdns"; see hasSection). The protocols engineer fills these with explicit
// map literals; a section without an entry is simply not served.
var (
	httpMounts = map[string]HTTPMount{
		"onvif": mountONVIF,
		"upnp":  mountUPnP,
	}
	udpServices = map[string]udpService{
		"onvif": {service: "wsd", serve: serveWSDHost},
		"sadp":  {service: "sadp", serve: serveSADPHost},
		"dhip":  {service: "dhip", serve: serveDHIPHost},
		"upnp":  {service: "ssdp", serve: serveSSDPHost},
		"mdns":  {service: "mdns", serve: serveMDNSHost},
	}
	sectionNames = []string{"onvif", "sadp", "dhip", "upnp", "mdns"}
)

// hasSection reports whether the persona fills a protocol section.
func hasSection(p Persona, section string) bool {
	switch section {
	case "onvif":
		return p.ONVIF != nil
	case "sadp":
		return p.SADP != nil
	case "dhip":
		return p.DHIP != nil
	case "upnp":
		return p.UPnP != nil
	case "mdns":
		return len(p.MDNS) > 0
	}
	return false
}

// Network is a set of running fake devices, like httptest.Server for a
// whole camera network.
type Network struct {
	Hosts []*Host

	base   netip.Prefix
	log    zerolog.Logger
	cancel context.CancelFunc
	ctx    context.Context

	wg        sync.WaitGroup // accept loops, connection handlers, UDP responders
	mu        sync.Mutex
	closed    bool
	listeners []net.Listener
	packets   []net.PacketConn
	conns     map[net.Conn]struct{}
	closeOnce sync.Once
}

// Start brings up every host and returns once all of them accept
// connections. On error nothing is left running.
func Start(ctx context.Context, hosts []HostSpec, opts Options) (*Network, error) {
	if !opts.Base.IsValid() {
		opts.Base = DefaultBase
	}
	opts.Base = opts.Base.Masked()
	ports := DefaultPorts()
	for k, v := range opts.Ports {
		ports[k] = v
	}
	custom := opts.Listen != nil
	if opts.Listen == nil {
		opts.Listen = func(ctx context.Context, network, address string) (net.Listener, error) {
			var lc net.ListenConfig
			return lc.Listen(ctx, network, address)
		}
	}
	if opts.ListenPacket == nil {
		opts.ListenPacket = func(ctx context.Context, network, address string) (net.PacketConn, error) {
			var lc net.ListenConfig
			return lc.ListenPacket(ctx, network, address)
		}
	}

	addrs, err := allocate(hosts, opts.Base, !custom)
	if err != nil {
		return nil, err
	}
	nctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n := &Network{
		base:   opts.Base,
		log:    opts.Logger.With().Str("component", "scantest").Logger(),
		cancel: cancel,
		ctx:    nctx,
		conns:  map[net.Conn]struct{}{},
	}
	for i, spec := range hosts {
		h, err := n.startHost(ctx, spec, addrs[i], ports, opts)
		if err != nil {
			_ = n.Close()
			return nil, fmt.Errorf("scantest: start %s at %s: %w", spec.Persona.Name, addrs[i], err)
		}
		n.Hosts = append(n.Hosts, h)
	}
	return n, nil
}

// allocate gives every host an address: its own when set, else the next
// free one from .0.10 upward.
func allocate(hosts []HostSpec, base netip.Prefix, loopbackOnly bool) ([]netip.Addr, error) {
	taken := map[netip.Addr]bool{}
	for _, h := range hosts {
		if !h.Addr.IsValid() {
			continue
		}
		if !base.Contains(h.Addr) {
			return nil, fmt.Errorf("scantest: start: address %s of %s is outside %s", h.Addr, h.Persona.Name, base)
		}
		if loopbackOnly && !h.Addr.IsLoopback() {
			return nil, fmt.Errorf("scantest: start: address %s of %s is not loopback (only a netns Listen hook may use others)", h.Addr, h.Persona.Name)
		}
		if taken[h.Addr] {
			return nil, fmt.Errorf("scantest: start: address %s given twice", h.Addr)
		}
		taken[h.Addr] = true
	}
	if loopbackOnly && !base.Addr().IsLoopback() {
		return nil, fmt.Errorf("scantest: start: base %s is not loopback", base)
	}
	next := base.Addr()
	for range firstHostOffset {
		next = next.Next()
	}
	out := make([]netip.Addr, len(hosts))
	for i, h := range hosts {
		if h.Addr.IsValid() {
			out[i] = h.Addr
			continue
		}
		for taken[next] {
			next = next.Next()
		}
		if !base.Contains(next) {
			return nil, fmt.Errorf("scantest: start: %s has no room for %d hosts", base, len(hosts))
		}
		out[i] = next
		taken[next] = true
	}
	return out, nil
}

func (n *Network) startHost(ctx context.Context, spec HostSpec, addr netip.Addr, ports map[string]uint16, opts Options) (*Host, error) {
	p := spec.Persona
	vars := Vars{Serial: p.Serial, MAC: p.MAC, IP: addr}
	if spec.Serial != "" {
		vars.Serial = spec.Serial
	}
	if spec.MAC != "" {
		vars.MAC = spec.MAC
	}
	// A serial may itself be made of the MAC (Axis uses the MAC as serial).
	vars.Serial = Vars{MAC: vars.MAC}.expandString(vars.Serial)
	p.Serial, p.MAC = vars.Serial, vars.MAC
	h := &Host{Persona: vars.Expand(p), Addr: addr, Ports: map[string]uint16{}, mux: http.NewServeMux(), udp: map[string]bool{},
		stream: opts.Stream, listenPacket: opts.ListenPacket}
	h.mux.Handle("/", routesHandler(h))
	for _, section := range sectionNames {
		if mount, ok := httpMounts[section]; ok && hasSection(h.Persona, section) {
			mount(h.mux, h)
		}
	}
	log := n.log.With().Str("host", addr.String()).Str("persona", p.Name).Logger()
	var starts []func()

	type svc struct {
		name  string
		serve connHandler
	}
	var svcs []svc
	if h.Persona.HTTP != nil {
		svcs = append(svcs, svc{"http", h.serveHTTP})
	}
	if h.Persona.HTTPS != nil {
		cfg, err := tlsConfig(h.Persona.HTTPS.Cert, addr)
		if err != nil {
			return nil, err
		}
		svcs = append(svcs, svc{"https", h.serveHTTPS(cfg)})
	}
	if h.Persona.RTSP != nil {
		svcs = append(svcs, svc{"rtsp", h.serveRTSP})
	}
	for _, name := range h.Persona.ExtraTCP {
		svcs = append(svcs, svc{name, serveMute})
	}
	for _, s := range svcs {
		port, ok := ports[s.name]
		if !ok {
			return nil, fmt.Errorf("no port for service %q (set Options.Ports)", s.name)
		}
		ln, err := opts.Listen(ctx, "tcp", netip.AddrPortFrom(addr, port).String())
		if err != nil {
			return nil, err
		}
		if !n.track(ln) {
			return nil, net.ErrClosed
		}
		h.Ports[s.name] = port
		serve := s.serve
		if h.Persona.Hostile != "" {
			serve = hostileHandler(h.Persona, s.name, serve)
		}
		starts = append(starts, func() { n.acceptLoop(ln, serve, log.With().Str("service", s.name).Logger()) })
	}
	for _, section := range sectionNames {
		u, ok := udpServices[section]
		if !ok || !hasSection(h.Persona, section) {
			continue
		}
		port, ok := ports[u.service]
		if !ok {
			return nil, fmt.Errorf("no port for service %q (set Options.Ports)", u.service)
		}
		pc, err := opts.ListenPacket(ctx, "udp", netip.AddrPortFrom(addr, port).String())
		if err != nil {
			return nil, err
		}
		n.mu.Lock()
		n.packets = append(n.packets, pc)
		n.mu.Unlock()
		h.Ports[u.service] = port
		h.udp[u.service] = true
		starts = append(starts, func() { u.serve(n.ctx, pc, h) })
	}
	// Servers start only once every port is known: they read h.Ports (an
	// ONVIF XAddr names the HTTP port), which must not change under them.
	for _, start := range starts {
		n.wg.Go(start)
	}
	return h, nil
}

// connHandler serves one accepted connection until it is done or ctx ends.
// The caller closes the connection afterwards.
type connHandler func(ctx context.Context, c net.Conn)

func (n *Network) track(ln net.Listener) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		_ = ln.Close()
		return false
	}
	n.listeners = append(n.listeners, ln)
	return true
}

func (n *Network) acceptLoop(ln net.Listener, serve connHandler, log zerolog.Logger) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				log.Debug().Err(err).Msg("accept stopped")
			}
			return
		}
		n.mu.Lock()
		if n.closed {
			n.mu.Unlock()
			_ = c.Close()
			return
		}
		n.conns[c] = struct{}{}
		n.mu.Unlock()
		n.wg.Go(func() {
			defer func() {
				n.mu.Lock()
				delete(n.conns, c)
				n.mu.Unlock()
				_ = c.Close()
			}()
			log.Debug().Str("peer", c.RemoteAddr().String()).Msg("connection")
			serve(n.ctx, c)
		})
	}
}

// Close stops every host, closes every connection and waits for every
// goroutine Start began, like httptest.Server.Close.
func (n *Network) Close() error {
	n.closeOnce.Do(func() {
		n.cancel()
		n.mu.Lock()
		n.closed = true
		for _, ln := range n.listeners {
			_ = ln.Close()
		}
		for _, pc := range n.packets {
			_ = pc.Close()
		}
		for c := range n.conns {
			_ = c.Close()
		}
		n.mu.Unlock()
		n.wg.Wait()
	})
	return nil
}

// Prefix is the prefix the hosts live in: the scope to hand the scanner.
func (n *Network) Prefix() netip.Prefix { return n.base }

// PortSpec lists the TCP ports in use as "port/service" (e.g.
// "10080/http"), sorted by port, for the scanner's --ports flag.
func (n *Network) PortSpec() []string {
	seen := map[uint16]string{}
	for _, h := range n.Hosts {
		for name, p := range h.Ports {
			if !h.udp[name] {
				seen[p] = name
			}
		}
	}
	type ps struct {
		port uint16
		name string
	}
	var list []ps
	for p, name := range seen {
		list = append(list, ps{p, name})
	}
	slices.SortFunc(list, func(a, b ps) int { return cmp.Compare(a.port, b.port) })
	out := make([]string, 0, len(list))
	for _, e := range list {
		out = append(out, strconv.Itoa(int(e.port))+"/"+e.name)
	}
	return out
}

// Host returns the host at addr, or nil.
func (n *Network) Host(addr netip.Addr) *Host {
	for _, h := range n.Hosts {
		if h.Addr == addr {
			return h
		}
	}
	return nil
}
