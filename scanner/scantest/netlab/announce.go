//go:build linux

package netlab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// SendUDP sends payload from host h's address and srcPort to dst through
// the device namespace's own IP stack, out of h's macvlan: multicast and
// broadcast announcements as the host's kernel would send them. A
// datagram longer than the link MTU leaves as real IPv4 fragments, which
// the kernel makes. The multicast TTL is the kernel's default (1).
// srcPort 0 takes an ephemeral port (the host's own service may hold the
// protocol's port).
func (l *Lab) SendUDP(h Host, srcPort uint16, dst netip.AddrPort, payload []byte) error {
	return l.InDevice(func() error {
		if err := Guard(); err != nil {
			return err
		}
		ifi, err := net.InterfaceByName(h.Link)
		if err != nil {
			return fmt.Errorf("netlab: send from %s: %w", h.Addr, err)
		}
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
		if err != nil {
			return fmt.Errorf("netlab: send from %s: %w", h.Addr, err)
		}
		defer unix.Close(fd)
		for _, o := range []struct{ level, opt int }{{unix.SOL_SOCKET, unix.SO_REUSEADDR}, {unix.SOL_SOCKET, unix.SO_BROADCAST}} {
			if err := unix.SetsockoptInt(fd, o.level, o.opt, 1); err != nil {
				return fmt.Errorf("netlab: send from %s: setsockopt: %w", h.Addr, err)
			}
		}
		// Out of the host's own macvlan, whatever the routing tables say
		// about the destination.
		if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, h.Link); err != nil {
			return fmt.Errorf("netlab: send from %s: bind to %s: %w", h.Addr, h.Link, err)
		}
		if err := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, &unix.IPMreqn{Ifindex: int32(ifi.Index)}); err != nil {
			return fmt.Errorf("netlab: send from %s: multicast interface: %w", h.Addr, err)
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{Port: int(srcPort), Addr: h.Addr.As4()}); err != nil {
			return fmt.Errorf("netlab: send from %s:%d: %w", h.Addr, srcPort, err)
		}
		if err := unix.Sendto(fd, payload, 0, &unix.SockaddrInet4{Port: int(dst.Port()), Addr: dst.Addr().As4()}); err != nil {
			return fmt.Errorf("netlab: send from %s to %s: %w", h.Addr, dst, err)
		}
		return nil
	})
}

// Flood sends frame(i) for i = 0, 1, ... at rate frames a second for dur
// (or until ctx ends) from the device side of the link, as a storm of
// stations would: one socket on the device namespace's end of the veth,
// paced in batches every 10 ms. It returns how many frames it sent.
func (l *Lab) Flood(ctx context.Context, rate int, dur time.Duration, frame func(i int) []byte) (int, error) {
	conn, err := l.deviceSocket(l.DeviceIf, 0) // protocol 0: send only
	if err != nil {
		return 0, fmt.Errorf("netlab: flood: %w", err)
	}
	defer conn.Close()
	const tick = 10 * time.Millisecond
	perTick := max(1, rate*int(tick)/int(time.Second))
	t := time.NewTicker(tick)
	defer t.Stop()
	end := time.Now().Add(dur)
	sent := 0
	for time.Now().Before(end) {
		for range perTick {
			f := frame(sent)
			if _, err := conn.WriteTo(f, &packet.Addr{HardwareAddr: net.HardwareAddr(f[:6])}); err != nil {
				return sent, fmt.Errorf("netlab: flood: %w", err)
			}
			sent++
		}
		select {
		case <-ctx.Done():
			return sent, nil
		case <-t.C:
		}
	}
	return sent, nil
}
