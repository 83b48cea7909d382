package datagram

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/internal/osnet"
	"golang.org/x/net/ipv4"
)

// Round is one multicast query on one interface: send the messages to
// the group, then collect answers for Wait.
type Round struct {
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
	r Round
	c net.PacketConn
	p *ipv4.PacketConn
}

// open creates the round's socket in the calling goroutine, so that a caller
// running on a thread inside a network namespace (the lab) gets a socket in
// that namespace even though the round then runs on another goroutine.
func (r Round) open(ctx context.Context) (*openRound, error) {
	if !r.Group.Addr().Is4() || !r.Group.Addr().IsMulticast() {
		return nil, fmt.Errorf("scanner: multicast %s: not an IPv4 multicast group", r.Group)
	}
	if r.Wait <= 0 {
		r.Wait = defaultUDPWait
	}
	if r.TTL <= 0 {
		r.TTL = 1
	}
	lc := net.ListenConfig{Control: osnet.ReuseAddr}
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
// Under a sweep (ctx from the engine, see scanner.SendGateFrom) every message waits
// for the sweep's rate limit and is counted like any other datagram: a
// multicast query reaches every device on the segment, medical devices
// included, and belongs in the rate and in the report's packet count.
func (o *openRound) serve(ctx context.Context, handle func(src netip.Addr, b []byte)) error {
	defer o.c.Close()
	c, p, ifi := o.c, o.p, o.r.Iface
	gate := scanner.SendGateFrom(ctx)
	dst := net.UDPAddrFromAddrPort(o.r.Group)
	// Sent under the caller's context: waiting for the rate limit must not
	// eat the answer window, which starts once the messages are out.
	sendStop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	for _, m := range o.r.Msgs {
		if gate != nil {
			if err := gate.WaitDatagram(ctx); err != nil {
				sendStop()
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("scanner: multicast send on %s: %w", ifi.Name, err)
			}
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
