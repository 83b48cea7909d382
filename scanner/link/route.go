package link

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// maxRouteLines bounds the read of the routing table.
const maxRouteLines = 1 << 14

// rtfGateway is RTF_GATEWAY: the route goes through a router.
const rtfGateway = 0x2

// defaultGateways finds the default routes' gateways on interface ifname
// in /proc/net/route text:
//
//	Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
//	eth0	00000000	0100000A	0003	0	0	0	00000000	0	0	0
//
// Addresses are hexadecimal in host (little-endian on every Linux camsweep
// builds for) byte order.
func defaultGateways(r io.Reader, ifname string) []netip.Addr {
	var out []netip.Addr
	sc := bufio.NewScanner(io.LimitReader(r, maxRouteLines*160))
	for n := 0; sc.Scan() && n < maxRouteLines; n++ {
		f := strings.Fields(sc.Text())
		if len(f) < 8 || f[0] != ifname || f[1] != "00000000" || f[7] != "00000000" {
			continue
		}
		flags, err := strconv.ParseUint(f[3], 16, 32)
		if err != nil || flags&rtfGateway == 0 {
			continue
		}
		b, err := hex.DecodeString(f[2])
		if err != nil || len(b) != 4 {
			continue
		}
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], binary.LittleEndian.Uint32(b))
		gw := netip.AddrFrom4(a)
		if !gw.IsUnspecified() {
			out = append(out, gw)
		}
	}
	return out
}
