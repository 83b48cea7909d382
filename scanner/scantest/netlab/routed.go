//go:build linux

package netlab

import (
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Leg is a subnet on one of the router's interfaces, in a namespace of
// its own: the scanner's leg, or a leg of emulated hosts behind the
// router (a camera VLAN, a clinical segment).
type Leg struct {
	// Name is how tests and logs refer to it ("cams", "clinic").
	Name string
	// Prefix is the subnet; the router takes its first address.
	Prefix netip.Prefix
	// Hosts are emulated devices, macvlans in the leg's namespace as in
	// a flat Lab, each routing through the router. A host without a MAC
	// gets a locally administered one.
	Hosts []Host
}

// RoutedConfig describes a routed lab: the scanner's subnet and the legs
// behind the router.
type RoutedConfig struct {
	// ScannerPrefix is the scanner's subnet; the router takes its first
	// address and the scanner the second.
	ScannerPrefix netip.Prefix
	Legs          []Leg
	// Routes are the prefixes the scanner reaches through the router
	// (default: the legs'), e.g. a whole /16 around them for a large
	// sweep. Addresses the router has no host for are dropped there.
	Routes []netip.Prefix
	// Mirror adds a second link from the router to the scanner namespace,
	// a SPAN port: MirrorAll copies what the router's legs receive onto
	// it, and OpenMirror listens there. The scanner namespace is then a
	// sensor beside the router.
	Mirror bool
}

// RoutedLeg is a running leg.
type RoutedLeg struct {
	Name   string
	Prefix netip.Prefix
	// NS is the leg's namespace; Gateway the router's address on it.
	NS      string
	Gateway netip.Addr
	// RouterIf and RouterMAC are the router's interface on the leg;
	// LegIf the leg namespace's end of the link, the hosts' lower device.
	RouterIf  string
	RouterMAC net.HardwareAddr
	LegIf     string
	Hosts     []Host
}

// Routed is a running routed lab:
//
//	scanner ns ── veth ── router ns ── veth ── leg ns "cams"   (hosts as macvlans)
//	                                  └─ veth ── leg ns "clinic" ...
//
// The router namespace forwards between its legs and keeps a real kernel
// neighbour table of the hosts it reached, which is what a router's SNMP
// agent serves (StartSNMPD). It routes to each host the lab placed and
// drops the rest of a leg's prefix without an ARP request: the kernel's
// neighbour table is shared by every namespace on the machine, and a sweep
// of a large scope must not fill it with incomplete entries (it would
// break neighbour resolution for everyone). Nothing is created in the
// host's namespace.
type Routed struct {
	*base
	ScannerNS  string
	RouterNS   string
	ScannerIf  string // the scanner's end of its link
	ScannerMAC net.HardwareAddr
	Scanner    netip.Addr
	// RouterScannerIf is the router's interface towards the scanner, and
	// RouterAddr its address there: where the scanner's routed packets,
	// and SNMP to the router, arrive.
	RouterScannerIf string
	RouterAddr      netip.Addr
	ScannerPrefix   netip.Prefix
	Legs            []*RoutedLeg
	// MirrorIf is the scanner's end of the mirror link (RoutedConfig.Mirror),
	// with no address; routerMirrorIf the router's.
	MirrorIf       string
	routerMirrorIf string
}

// maxLegs keeps link names (csl<id>r<n>) within IFNAMSIZ.
const maxLegs = 10

// NewRouted builds a routed lab for t and tears it down when t ends.
// Without root it skips t.
func NewRouted(t testing.TB, cfg RoutedConfig) *Routed {
	t.Helper()
	if _, err := exec.LookPath("tc"); err != nil && cfg.Mirror {
		t.Skip("netlab: a mirror port needs iproute2's tc")
	}
	r, took := setUp(t, func() (*Routed, error) { return buildRouted(cfg) })
	n := 0
	for _, l := range r.Legs {
		n += len(l.Hosts)
	}
	t.Logf("netlab: routed lab %s with %d legs, %d hosts up in %v", r.ID, len(r.Legs), n, took.Round(time.Millisecond))
	return r
}

func buildRouted(cfg RoutedConfig) (*Routed, error) {
	if !cfg.ScannerPrefix.Addr().Is4() || cfg.ScannerPrefix.Bits() > 30 {
		return nil, fmt.Errorf("netlab: scanner prefix %v: want an IPv4 subnet of /30 or larger", cfg.ScannerPrefix)
	}
	if len(cfg.Legs) == 0 || len(cfg.Legs) > maxLegs {
		return nil, fmt.Errorf("netlab: want 1 to %d legs, got %d", maxLegs, len(cfg.Legs))
	}
	sp := cfg.ScannerPrefix.Masked()
	b := newBase()
	r := &Routed{
		base:            b,
		ScannerNS:       b.nsName("s"),
		RouterNS:        b.nsName("r"),
		ScannerIf:       b.ifName("s"),
		RouterScannerIf: b.ifName("t"),
		ScannerMAC:      b.mac(0xb1),
		ScannerPrefix:   sp,
		RouterAddr:      sp.Addr().Next(),
	}
	r.Scanner = r.RouterAddr.Next()
	if err := b.addNamespace(r.ScannerNS, false); err != nil {
		return r, err
	}
	if err := b.addNamespace(r.RouterNS, true); err != nil {
		return r, err
	}
	seen := map[string]bool{}
	for i, lc := range cfg.Legs {
		if lc.Name == "" || seen[lc.Name] {
			return r, fmt.Errorf("netlab: leg %d: want a unique name", i)
		}
		seen[lc.Name] = true
		if !lc.Prefix.Addr().Is4() || lc.Prefix.Bits() > 30 {
			return r, fmt.Errorf("netlab: leg %s: want an IPv4 subnet of /30 or larger", lc.Name)
		}
		p := lc.Prefix.Masked()
		leg := &RoutedLeg{
			Name: lc.Name, Prefix: p, NS: b.nsName(strconv.Itoa(i)), Gateway: p.Addr().Next(),
			RouterIf: b.ifName("r" + strconv.Itoa(i)), LegIf: b.ifName("l" + strconv.Itoa(i)),
			RouterMAC: net.HardwareAddr{0x02, 0xc5, 0x1a, 0xb2, byte(b.n), byte(i)},
		}
		r.Legs = append(r.Legs, leg)
		if err := b.addNamespace(leg.NS, false); err != nil {
			return r, err
		}
	}
	if err := veth(r.ScannerIf, r.ScannerNS, r.ScannerMAC, r.RouterScannerIf, r.RouterNS); err != nil {
		return r, err
	}
	var scan, router strings.Builder
	fmt.Fprintf(&scan, "link set lo up\naddr add %s/%d dev %s\nlink set %s up\n", r.Scanner, sp.Bits(), r.ScannerIf, r.ScannerIf)
	fmt.Fprintf(&router, "link set lo up\naddr add %s/%d dev %s\nlink set %s up\n", r.RouterAddr, sp.Bits(), r.RouterScannerIf, r.RouterScannerIf)
	routes := cfg.Routes
	if len(routes) == 0 {
		for _, leg := range r.Legs {
			routes = append(routes, leg.Prefix)
		}
	}
	for _, p := range routes {
		// Only the lab's own prefixes are routed: a packet for anywhere
		// else has no route in the scanner's namespace.
		if !p.Addr().Is4() || p.Bits() < 8 {
			return r, fmt.Errorf("netlab: route %s: want an IPv4 prefix of /8 or longer", p)
		}
		fmt.Fprintf(&scan, "route add %s via %s dev %s\n", p.Masked(), r.RouterAddr, r.ScannerIf)
		fmt.Fprintf(&router, "route add blackhole %s\n", p.Masked())
	}
	for _, leg := range r.Legs {
		if err := veth(leg.RouterIf, r.RouterNS, leg.RouterMAC, leg.LegIf, leg.NS); err != nil {
			return r, err
		}
		// The gateway address without its subnet route, and the subnet
		// dropped: only the hosts' own routes (below) lead onto the leg.
		fmt.Fprintf(&router, "addr add %s/32 dev %s\nlink set %s up\nroute replace blackhole %s\n", leg.Gateway, leg.RouterIf, leg.RouterIf, leg.Prefix)
	}
	if cfg.Mirror {
		r.MirrorIf, r.routerMirrorIf = b.ifName("p"), b.ifName("q")
		if err := veth(r.routerMirrorIf, r.RouterNS, nil, r.MirrorIf, r.ScannerNS); err != nil {
			return r, err
		}
		fmt.Fprintf(&router, "link set %s up\n", r.routerMirrorIf)
		fmt.Fprintf(&scan, "link set %s up promisc on\n", r.MirrorIf)
	}
	if err := ipBatch(r.ScannerNS, scan.String()); err != nil {
		return r, err
	}
	for li, leg := range r.Legs {
		var sb strings.Builder
		fmt.Fprintf(&sb, "link set lo up\nlink set %s up\n", leg.LegIf)
		for i, h := range cfg.Legs[li].Hosts {
			if h.MAC == nil {
				h.MAC = net.HardwareAddr{0x02, 0xc5, 0x1b, byte(li), byte(i >> 8), byte(i)}
			}
			if !h.Addr.Is4() || len(h.MAC) != 6 || !leg.Prefix.Contains(h.Addr) || h.Addr == leg.Gateway {
				return r, fmt.Errorf("netlab: leg %s host %d: want an IPv4 address inside %s other than the gateway, and a MAC", leg.Name, i, leg.Prefix)
			}
			h.Prefix = leg.Prefix
			h.Link = "h" + strconv.Itoa(i)
			// The hosts know their gateway from the start; the router
			// learns the hosts the real way, by ARP, when traffic
			// reaches them.
			writeHost(&sb, h, leg.LegIf, 1000+i, leg.Gateway, leg.RouterMAC, true)
			fmt.Fprintf(&router, "route add %s/32 dev %s src %s\n", h.Addr, leg.RouterIf, leg.Gateway)
			leg.Hosts = append(leg.Hosts, h)
		}
		if err := ipBatch(leg.NS, sb.String()); err != nil {
			return r, err
		}
	}
	if err := ipBatch(r.RouterNS, router.String()); err != nil {
		return r, err
	}
	// A router keeps a neighbour entry for hours (Cisco IOS: 4 h); Linux
	// forgets a stale one after a minute once the machine-wide table
	// holds more than gc_thresh1 entries. A sweep of a /16 takes minutes,
	// so the router's legs keep theirs as a router would.
	return r, do(r.RouterNS, func() error {
		for _, leg := range r.Legs {
			if err := writeSysctl("net/ipv4/neigh/"+leg.RouterIf+"/gc_stale_time", "14400"); err != nil {
				return err
			}
		}
		return nil
	})
}

// Leg returns the named leg, or nil.
func (r *Routed) Leg(name string) *RoutedLeg {
	for _, l := range r.Legs {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// InScanner runs fn on a thread inside the scanner namespace.
func (r *Routed) InScanner(fn func() error) error { return do(r.ScannerNS, fn) }

// InRouter runs fn on a thread inside the router namespace.
func (r *Routed) InRouter(fn func() error) error { return do(r.RouterNS, fn) }

// InLeg runs fn on a thread inside the named leg's namespace.
func (r *Routed) InLeg(name string, fn func() error) error {
	l := r.Leg(name)
	if l == nil {
		return fmt.Errorf("netlab: no leg %q", name)
	}
	return do(l.NS, fn)
}

// Neighbours lists the router's neighbour table as the kernel holds it:
// the entries with a link-layer address, by IP.
func (r *Routed) Neighbours() (map[netip.Addr]string, error) {
	out, err := exec.Command("ip", "-netns", r.RouterNS, "-4", "neigh", "show").Output()
	if err != nil {
		return nil, fmt.Errorf("netlab: ip neigh: %w", err)
	}
	m := map[netip.Addr]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "lladdr" {
				if a, err := netip.ParseAddr(f[0]); err == nil {
					m[a] = f[i+1]
				}
			}
		}
	}
	return m, nil
}
