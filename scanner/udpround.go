package scanner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
	"golang.org/x/net/ipv4"
)

// Bounds shared by the UDP discovery protocols (WS-Discovery, SADP, DHIP,
// SSDP). A datagram cannot exceed 64 KiB; real answers are a few KiB, so a
// larger one is cut rather than parsed.
const (
	maxDatagram     = 64 << 10
	maxReplyBytes   = 16 << 10 // bytes of one answer that are parsed
	maxRepliesRound = 4096     // answers read in one round, whatever the wait
	defaultUDPWait  = 2 * time.Second
	unicastGrace    = 300 * time.Millisecond
)

// udpExchange sends msgs to addr on a UDP socket dialled through d (so the
// engine's rate limit, scope check and counters apply) and passes each answer
// to handle until wait has passed or ctx ends. The socket is connected, so
// the kernel drops datagrams from any other address: every answer comes from
// the target itself. handle returns true for an answer it could use; after the
// first one the round ends early, once a short grace for the device's answer
// to the second message has passed, so a live camera costs well under wait.
func udpExchange(ctx context.Context, d Dialer, addr netip.AddrPort, msgs [][]byte, wait time.Duration, handle func([]byte) bool) error {
	if wait <= 0 {
		wait = defaultUDPWait
	}
	// Dial and send under the caller's deadline: each datagram waits for
	// the engine's rate limit, and on a busy sweep that wait must not eat
	// the answer window (the limiter fails at once when it cannot make a
	// deadline, so nothing would be sent at all).
	conn, err := d.DialContext(ctx, "udp", addr.String())
	if err != nil {
		return fmt.Errorf("scanner: dial udp %s: %w", addr, err)
	}
	defer conn.Close()
	sendStop := watchConn(ctx, conn)
	for _, m := range msgs {
		if _, err := conn.Write(m); err != nil {
			sendStop()
			// ECONNREFUSED here is the ICMP answer to an earlier datagram:
			// the port is closed, which is an answer, not a failure.
			if ctx.Err() != nil || errors.Is(err, syscall.ECONNREFUSED) {
				return nil
			}
			return fmt.Errorf("scanner: send udp %s: %w", addr, err)
		}
	}
	sendStop()
	// The answer window starts once the messages are out.
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	stop := watchConn(ctx, conn)
	defer stop()
	buf := make([]byte, maxDatagram)
	useful := false
	for range maxRepliesRound {
		n, err := conn.Read(buf)
		if err != nil {
			// Silence, a closed port (ICMP unreachable surfaces as
			// ECONNREFUSED on a connected socket) and the end of the wait
			// are all "no answer", not a failure of the probe.
			if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) {
				return nil
			}
			return fmt.Errorf("scanner: read udp %s: %w", addr, err)
		}
		if handle(buf[:min(n, maxReplyBytes)]) && !useful {
			useful = true
			grace := time.Now().Add(unicastGrace)
			if dl, ok := ctx.Deadline(); !ok || grace.Before(dl) {
				_ = conn.SetReadDeadline(grace)
			}
		}
	}
	return nil
}

// mcastRound is one multicast query on one interface: send the messages to
// the group, then collect answers for Wait.
type mcastRound struct {
	Iface net.Interface
	Group netip.AddrPort
	// BindPort 0 binds an ephemeral port, for protocols whose answers come
	// back unicast to the sender (WS-Discovery, SSDP). A protocol that
	// answers to the group itself (Hikvision SADP) binds its port, with
	// SO_REUSEADDR, and joins the group to hear them.
	BindPort uint16
	Msgs     [][]byte
	Wait     time.Duration
	// TTL of the queries; 1 keeps them on the link, which is all multicast
	// discovery can reach anyway.
	TTL int
}

// openRound is a round's socket, opened but not yet used.
type openRound struct {
	r mcastRound
	c net.PacketConn
	p *ipv4.PacketConn
}

// open creates the round's socket in the calling goroutine, so that a caller
// running on a thread inside a network namespace (the lab) gets a socket in
// that namespace even though the round then runs on another goroutine.
func (r mcastRound) open(ctx context.Context) (*openRound, error) {
	if !r.Group.Addr().Is4() || !r.Group.Addr().IsMulticast() {
		return nil, fmt.Errorf("scanner: multicast %s: not an IPv4 multicast group", r.Group)
	}
	if r.Wait <= 0 {
		r.Wait = defaultUDPWait
	}
	if r.TTL <= 0 {
		r.TTL = 1
	}
	lc := net.ListenConfig{Control: reuseAddr}
	c, err := lc.ListenPacket(ctx, "udp4", fmt.Sprintf("0.0.0.0:%d", r.BindPort))
	if err != nil {
		return nil, fmt.Errorf("scanner: multicast listen on %s: %w", r.Iface.Name, err)
	}
	p := ipv4.NewPacketConn(c)
	ifi := r.Iface
	if err := p.SetMulticastInterface(&ifi); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("scanner: multicast interface %s: %w", ifi.Name, err)
	}
	_ = p.SetMulticastTTL(r.TTL)
	// Our own queries must not come back to us as answers.
	_ = p.SetMulticastLoopback(false)
	if r.BindPort != 0 {
		if err := p.JoinGroup(&ifi, &net.UDPAddr{IP: r.Group.Addr().AsSlice()}); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("scanner: multicast join %s on %s: %w", r.Group.Addr(), ifi.Name, err)
		}
	}
	// The interface index tells answers on this interface from those a
	// sibling socket (same port, other interface) also receives.
	_ = p.SetControlMessage(ipv4.FlagInterface, true)
	return &openRound{r: r, c: c, p: p}, nil
}

// serve sends the round's messages and passes each answer that arrived on the
// round's interface, with the address it came from, to handle, until Wait
// has passed. Answers after that are left unread: the socket closes with
// them.
//
// Under a sweep (ctx from the engine, see withSendGate) every message waits
// for the sweep's rate limit and is counted like any other datagram: a
// multicast query reaches every device on the segment, medical devices
// included, and belongs in the rate and in the report's packet count.
func (o *openRound) serve(ctx context.Context, handle func(src netip.Addr, b []byte)) error {
	defer o.c.Close()
	c, p, ifi := o.c, o.p, o.r.Iface
	gate := sendGateFrom(ctx)
	dst := net.UDPAddrFromAddrPort(o.r.Group)
	// Sent under the caller's context: waiting for the rate limit must not
	// eat the answer window, which starts once the messages are out.
	sendStop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	for _, m := range o.r.Msgs {
		if gate != nil {
			if err := gate.Wait(ctx, nil); err != nil {
				sendStop()
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("scanner: multicast send on %s: %w", ifi.Name, err)
			}
			gate.counters.Datagrams.Add(1)
		}
		if _, err := p.WriteTo(m, nil, dst); err != nil {
			sendStop()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("scanner: multicast send on %s: %w", ifi.Name, err)
		}
	}
	sendStop()
	ctx, cancel := context.WithTimeout(ctx, o.r.Wait)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if ctx.Err() != nil {
		return nil
	}
	buf := make([]byte, maxDatagram)
	for range maxRepliesRound {
		n, cm, src, err := p.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
				return nil
			}
			return fmt.Errorf("scanner: multicast read on %s: %w", ifi.Name, err)
		}
		if cm != nil && cm.IfIndex != 0 && cm.IfIndex != ifi.Index {
			continue
		}
		ua, ok := src.(*net.UDPAddr)
		if !ok {
			continue
		}
		a, ok := netip.AddrFromSlice(ua.IP)
		if !ok {
			continue
		}
		handle(a.Unmap(), buf[:min(n, maxReplyBytes)])
	}
	return nil
}

// reuseAddr lets several rounds (one per interface) and other listeners on
// the host share a protocol port such as 37020.
func reuseAddr(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// multicastInterfaces picks the interfaces a discoverer queries: the given
// ones, or else every interface that is up, multicast-capable, not loopback
// and has an IPv4 address.
func multicastInterfaces(given []net.Interface) ([]net.Interface, error) {
	if len(given) > 0 {
		return given, nil
	}
	all, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("scanner: list interfaces: %w", err)
	}
	var out []net.Interface
	for _, ifi := range all {
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagMulticast == 0 || ifi.Flags&net.FlagLoopback != 0 {
			continue
		}
		if hasIPv4(ifi) {
			out = append(out, ifi)
		}
	}
	return out, nil
}

func hasIPv4(ifi net.Interface) bool {
	addrs, err := ifi.Addrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			return true
		}
	}
	return false
}

// sightings gathers one round's answers per sender address, so a device that
// answers twice (to each typed probe, or on a retry) is one sighting with its
// evidence once.
type sightings struct {
	order []netip.Addr
	hosts map[netip.Addr]*Sighting
	seen  map[netip.Addr]map[evidence.Evidence]struct{}
}

func newSightings() *sightings {
	return &sightings{hosts: map[netip.Addr]*Sighting{}, seen: map[netip.Addr]map[evidence.Evidence]struct{}{}}
}

// add records evidence from src, dropping exact repeats.
func (s *sightings) add(src netip.Addr, ev []evidence.Evidence) {
	if len(ev) == 0 {
		return
	}
	h, ok := s.hosts[src]
	if !ok {
		h = &Sighting{Addr: src}
		s.hosts[src] = h
		s.seen[src] = map[evidence.Evidence]struct{}{}
		s.order = append(s.order, src)
	}
	for _, e := range ev {
		if _, dup := s.seen[src][e]; dup {
			continue
		}
		if len(h.Evidence) >= maxSightingEvidence {
			// A host repeating answers with new values (4096 LOCATIONs)
			// is held to what the engine would keep of it anyway.
			break
		}
		s.seen[src][e] = struct{}{}
		h.Evidence = append(h.Evidence, e)
		if e.Field == "mac" && h.MAC == "" {
			h.MAC = e.Value
		}
	}
}

// each calls found for every host, in the order they first answered.
func (s *sightings) each(found func(Sighting)) {
	for _, a := range s.order {
		found(*s.hosts[a])
	}
}
