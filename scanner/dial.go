package scanner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// ErrOutOfScope is returned when something asks to send to an address the
// scope does not hold. It is a safety net, not flow control: probers only
// dial their own target, so seeing it means a bug or a hostile redirect.
var ErrOutOfScope = errors.New("scanner: address is outside the scan scope")

// ErrPortNotAllowed is returned when something asks for a TCP connection to
// a port outside the sweep's port set. Like ErrOutOfScope (which it wraps)
// it is a safety net: a device advertising a service URL (ONVIF XAddrs, SSDP
// LOCATION) on another port must not steer the scanner there.
var ErrPortNotAllowed = fmt.Errorf("%w: TCP port is not in the sweep's port set", ErrOutOfScope)

// ErrHostBudget is returned when a host has used up its connection budget.
var ErrHostBudget = errors.New("scanner: connection budget for this host is spent")

// Counters are the sweep's traffic totals.
type Counters struct {
	Connections atomic.Uint64 // TCP connection attempts
	Datagrams   atomic.Uint64 // UDP datagrams and raw frames sent
}

// Packets is the number of new packets the sweep started (connection
// attempts plus datagrams), the unit the rate limit is expressed in.
func (c *Counters) Packets() uint64 { return c.Connections.Load() + c.Datagrams.Load() }

// sendGate is the one place every outgoing connection and datagram passes:
// it checks scope (addresses, and for TCP the port set), waits for the
// global rate limit and counts.
type sendGate struct {
	limiter  *rate.Limiter
	inScope  func(netip.Addr) bool
	tcpPorts map[uint16]bool // the port set: TCP goes nowhere else
	counters *Counters
	dialer   net.Dialer
}

// newSendGate builds the gate. ports is the sweep's port set: TCP
// connections go to those ports and no other.
func newSendGate(perSecond float64, inScope func(netip.Addr) bool, ports []Port, counters *Counters) *sendGate {
	burst := int(perSecond / 10)
	if burst < 1 {
		burst = 1
	}
	g := &sendGate{
		limiter:  rate.NewLimiter(rate.Limit(perSecond), burst),
		inScope:  inScope,
		counters: counters,
		tcpPorts: map[uint16]bool{},
	}
	for _, p := range ports {
		g.tcpPorts[p.Number] = true
	}
	return g
}

// tcpAllowed reports whether a TCP connection may go to port.
func (g *sendGate) tcpAllowed(port uint16) bool { return g.tcpPorts[port] }

// Wait blocks until the rate limit lets one more packet go.
func (g *sendGate) Wait(ctx context.Context) error { return g.limiter.Wait(ctx) }

// WaitDatagram waits for the rate limit and counts one datagram.
func (g *sendGate) WaitDatagram(ctx context.Context) error {
	if err := g.Wait(ctx); err != nil {
		return err
	}
	g.counters.Datagrams.Add(1)
	return nil
}

// SendGate paces and counts what a discoverer sends without a per-host
// Dialer. A multicast query reaches every device on the segment, medical
// devices included, so it waits for the sweep's rate limit and counts in
// the sweep's datagrams (the report's packets) like any other datagram.
type SendGate interface {
	// WaitDatagram blocks until the rate limit lets one more datagram go,
	// and counts it. It fails only when ctx ends first.
	WaitDatagram(ctx context.Context) error
}

type sendGateKey struct{}

// withSendGate hands the sweep's gate to what runs under ctx: the engine
// gives its discoverers such a context.
func withSendGate(ctx context.Context, g *sendGate) context.Context {
	return context.WithValue(ctx, sendGateKey{}, g)
}

// SendGateFrom returns the gate of the sweep whose discoverer runs under
// ctx (the engine starts every Discoverer with such a context). Outside a
// sweep (a discoverer run on its own, a test) it returns nil: the caller
// then sends unpaced and counts nothing.
func SendGateFrom(ctx context.Context) SendGate {
	if g, _ := ctx.Value(sendGateKey{}).(*sendGate); g != nil {
		return g
	}
	return nil
}

// hostDialer is the Dialer a prober gets for one target: it may dial only
// that target, holds at most maxInFlight connections open at once, and spends
// from the host's connection budget.
type hostDialer struct {
	gate   *sendGate
	addr   netip.Addr
	slots  chan struct{}
	mu     sync.Mutex
	used   int // connections and UDP sockets made, what the budget caps
	tcp    int // of which TCP connections, for the report
	budget int // 0 means unlimited
}

func newHostDialer(g *sendGate, addr netip.Addr, maxInFlight, budget int) *hostDialer {
	if maxInFlight < 1 {
		maxInFlight = 1
	}
	return &hostDialer{gate: g, addr: addr, slots: make(chan struct{}, maxInFlight), budget: budget}
}

// liftBudget removes the cap once triage says the host may be a camera.
func (d *hostDialer) liftBudget() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.budget = 0
}

// connectionsUsed is how many TCP connections were made (refused and
// unanswered attempts not counted).
func (d *hostDialer) connectionsUsed() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tcp
}

func (d *hostDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return d.dial(ctx, network, address, 0)
}

// dial waits for the host's in-flight slot and the global rate limit under
// ctx alone, and only then starts the connect timeout (0: none beyond
// ctx): time spent queueing for the rate budget is not time the host had
// to answer. Were the timeout to run from before the wait, a busy sweep
// would give up on ports it never sent a packet to and call them filtered.
func (d *hostDialer) dial(ctx context.Context, network, address string, timeout time.Duration) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("scanner: dial %s: %w", address, err)
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Unmap() != d.addr || !d.gate.inScope(d.addr) {
		return nil, fmt.Errorf("scanner: dial %s: %w", address, ErrOutOfScope)
	}
	udp := network == "udp" || network == "udp4" || network == "udp6"
	if !udp {
		// Whatever URL a device advertises (ONVIF XAddrs, SSDP LOCATION,
		// a redirect), TCP goes only to the ports the operator chose.
		// UDP goes only to the discovery protocols' own ports, which the
		// probers name themselves.
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil || (network != "tcp" && network != "tcp4" && network != "tcp6") || !d.gate.tcpAllowed(uint16(port)) {
			return nil, fmt.Errorf("scanner: dial %s %s: %w", network, address, ErrPortNotAllowed)
		}
	}
	// The budget counts connections made: a slot is reserved before the
	// dial (so concurrent dials cannot overshoot) and given back when the
	// host refuses or never answers. A refused port check costs the device
	// only its kernel's RST, and the port set bounds those.
	d.mu.Lock()
	if d.budget > 0 && d.used >= d.budget {
		d.mu.Unlock()
		return nil, ErrHostBudget
	}
	d.used++
	d.mu.Unlock()
	unreserve := func() {
		d.mu.Lock()
		d.used--
		d.mu.Unlock()
	}

	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		unreserve()
		return nil, ctx.Err()
	}
	release := sync.OnceFunc(func() { <-d.slots })
	if err := d.gate.Wait(ctx); err != nil {
		unreserve()
		release()
		return nil, err
	}
	if !udp {
		d.gate.counters.Connections.Add(1)
	}
	dctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	conn, err := d.gate.dialer.DialContext(dctx, network, address)
	if err != nil {
		unreserve()
		release()
		return nil, err
	}
	if !udp {
		d.mu.Lock()
		d.tcp++
		d.mu.Unlock()
	}
	if udp {
		return &countedPacketConn{Conn: conn, gate: d.gate, release: release, ctx: ctx}, nil
	}
	return &releasingConn{Conn: conn, release: release}, nil
}

// releasingConn frees the host's in-flight slot when closed.
type releasingConn struct {
	net.Conn
	release func()
}

func (c *releasingConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// countedPacketConn rate-limits and counts each datagram written, since for
// UDP every datagram is a new packet on the wire.
type countedPacketConn struct {
	net.Conn
	gate    *sendGate
	release func()
	// ctx is the dialling probe's context: a write waiting for the rate
	// limit must give up when the probe's deadline passes.
	ctx context.Context
}

func (c *countedPacketConn) Write(b []byte) (int, error) {
	if err := c.gate.WaitDatagram(c.ctx); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

func (c *countedPacketConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
