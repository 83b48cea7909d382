package link

import (
	"net/netip"
	"os"
)

// DefaultGateways returns the gateways of the default routes through the
// named interface, from the calling thread's network namespace. Their ARP
// names the routers' MACs, which attribution never gives to an
// off-subnet host.
func DefaultGateways(ifname string) []netip.Addr {
	for _, path := range []string{"/proc/thread-self/net/route", "/proc/net/route"} {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		defer f.Close()
		return defaultGateways(f, ifname)
	}
	return nil
}
