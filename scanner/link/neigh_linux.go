package link

import (
	"net/netip"
	"os"

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
