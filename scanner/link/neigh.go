package link

import (
	"bufio"
	"io"
	"net/netip"
	"strings"

	"github.com/camsweep/camsweep/scanner/internal/value"
)

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
		mac := value.MAC(f[3])
		if mac == "" || mac == "00:00:00:00:00:00" {
			continue
		}
		return mac, true
	}
	return "", false
}
