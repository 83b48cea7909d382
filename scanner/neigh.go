package scanner

import (
	"bufio"
	"io"
	"net/netip"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// NeighbourMAC looks addr up in the kernel's neighbour table. It is the
// fallback without CAP_NET_RAW: after a TCP connection to a host on the
// local segment the kernel has resolved its MAC, so reading the table costs
// no packet. It reads the table of the calling thread's network namespace.
func NeighbourMAC(addr netip.Addr) (string, bool) {
	// thread-self, not self: /proc/self/net follows the main thread's
	// namespace, and a caller may run on a thread set into another one.
	for _, path := range []string{"/proc/thread-self/net/arp", "/proc/net/arp"} {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		mac, ok := neighbourMAC(f, addr)
		_ = f.Close()
		return mac, ok
	}
	return "", false
}

// maxNeighbourLines bounds the read of the table; a sensor's table holds at
// most gc_thresh3 (1024 by default) entries.
const maxNeighbourLines = 1 << 16

// neighbourMAC finds addr in /proc/net/arp text:
//
//	IP address       HW type     Flags       HW address            Mask     Device
//	10.0.0.1         0x1         0x2         52:54:00:12:34:56     *        eth0
//
// Incomplete entries (flags 0x0, MAC all zero) are not an answer.
func neighbourMAC(r io.Reader, addr netip.Addr) (string, bool) {
	sc := bufio.NewScanner(io.LimitReader(r, maxNeighbourLines*128))
	for n := 0; sc.Scan() && n < maxNeighbourLines; n++ {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || n == 0 && f[0] == "IP" {
			continue
		}
		ip, err := netip.ParseAddr(f[0])
		if err != nil || ip != addr {
			continue
		}
		if f[2] == "0x0" {
			continue
		}
		mac := protoMAC(f[3])
		if mac == "" || mac == "00:00:00:00:00:00" {
			continue
		}
		return mac, true
	}
	return "", false
}

// CanRawSocket reports whether this process may open AF_PACKET sockets
// (CAP_NET_RAW), so the engine can say once that it falls back to TCP and
// the neighbour table. It opens an unbound socket with protocol 0, which
// receives and sends nothing, and closes it.
func CanRawSocket() bool {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	_ = unix.Close(fd)
	return true
}
