//go:build linux

package netlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
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
	// a flat Lab, each routing through the router.
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
	ID         string
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

	closeOnce sync.Once
	closeErr  error
	mu        sync.Mutex
	procs     []*exec.Cmd
}

// maxLegs keeps link names (csl<id>r<n>) within IFNAMSIZ.
const maxLegs = 10

// NewRouted builds a routed lab for t and tears it down when t ends.
// Without root it skips t.
func NewRouted(t testing.TB, cfg RoutedConfig) *Routed {
	t.Helper()
	var r *Routed
	took := setUp(t, func() (closer, error) {
		var err error
		if r, err = buildRouted(cfg); r == nil {
			return nil, err
		}
		return r, err
	})
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
	n := seq.Add(1) % (36 * 36)
	id := pid36 + fmt.Sprintf("%02s", strconv.FormatUint(uint64(n), 36))
	sp := cfg.ScannerPrefix.Masked()
	r := &Routed{
		ID:              id,
		ScannerNS:       "csl-" + id + "-s",
		RouterNS:        "csl-" + id + "-r",
		ScannerIf:       "csl" + id + "s",
		RouterScannerIf: "csl" + id + "t",
		ScannerMAC:      net.HardwareAddr{0x02, 0xc5, 0x1a, 0xb1, byte(n >> 8), byte(n)},
		ScannerPrefix:   sp,
		RouterAddr:      sp.Addr().Next(),
	}
	r.Scanner = r.RouterAddr.Next()
	register(r)
	names := []string{r.ScannerNS, r.RouterNS}
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
			Name: lc.Name, Prefix: p, NS: fmt.Sprintf("csl-%s-%d", id, i), Gateway: p.Addr().Next(),
			RouterIf: fmt.Sprintf("csl%sr%d", id, i), LegIf: fmt.Sprintf("csl%sl%d", id, i),
			RouterMAC: net.HardwareAddr{0x02, 0xc5, 0x1a, 0xb2, byte(n), byte(i)},
		}
		r.Legs = append(r.Legs, leg)
		names = append(names, leg.NS)
	}
	for _, ns := range names {
		if err := addNamespace(ns, ns == r.RouterNS); err != nil {
			return r, err
		}
	}
	if err := ip("link", "add", r.ScannerIf, "netns", r.ScannerNS, "address", r.ScannerMAC.String(), "type", "veth",
		"peer", "name", r.RouterScannerIf, "netns", r.RouterNS); err != nil {
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
		if err := ip("link", "add", leg.RouterIf, "netns", r.RouterNS, "address", leg.RouterMAC.String(), "type", "veth",
			"peer", "name", leg.LegIf, "netns", leg.NS); err != nil {
			return r, err
		}
		// The gateway address without its subnet route, and the subnet
		// dropped: only the hosts' own routes (below) lead onto the leg.
		fmt.Fprintf(&router, "addr add %s/32 dev %s\nlink set %s up\nroute replace blackhole %s\n", leg.Gateway, leg.RouterIf, leg.RouterIf, leg.Prefix)
	}
	if err := ipBatch(r.ScannerNS, scan.String()); err != nil {
		return r, err
	}
	for li, leg := range r.Legs {
		var sb strings.Builder
		fmt.Fprintf(&sb, "link set lo up\nlink set %s up\n", leg.LegIf)
		for i, h := range cfg.Legs[li].Hosts {
			if !h.Addr.Is4() || len(h.MAC) != 6 || !leg.Prefix.Contains(h.Addr) || h.Addr == leg.Gateway {
				return r, fmt.Errorf("netlab: leg %s host %d: want an IPv4 address inside %s other than the gateway, and a MAC", leg.Name, i, leg.Prefix)
			}
			h.Prefix = leg.Prefix
			h.Link = "h" + strconv.Itoa(i)
			table := 1000 + i
			fmt.Fprintf(&sb, "link add %s link %s address %s type macvlan mode bridge\n", h.Link, leg.LegIf, h.MAC)
			fmt.Fprintf(&sb, "addr add %s/%d dev %s\n", h.Addr, h.Prefix.Bits(), h.Link)
			fmt.Fprintf(&sb, "link set %s up\n", h.Link)
			// Each host answers through its own macvlan, via the router.
			fmt.Fprintf(&sb, "rule add from %s table %d pref 100\n", h.Addr, table)
			fmt.Fprintf(&sb, "route add %s dev %s table %d\n", leg.Prefix, h.Link, table)
			fmt.Fprintf(&sb, "route add default via %s dev %s table %d\n", leg.Gateway, h.Link, table)
			// The hosts know their gateway from the start (the kernel's
			// neighbour table is shared by every namespace, see Lab); the
			// router learns the hosts the real way, by ARP, when traffic
			// reaches them.
			fmt.Fprintf(&sb, "neigh add %s lladdr %s dev %s nud permanent\n", leg.Gateway, leg.RouterMAC, h.Link)
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
	err := do(r.RouterNS, func() error {
		for _, leg := range r.Legs {
			if err := writeSysctl("net/ipv4/neigh/"+leg.RouterIf+"/gc_stale_time", "14400"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	return r, nil
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

// Close stops the processes the lab started (StartInRouter) and deletes
// its namespaces. Safe to call more than once.
func (r *Routed) Close() error {
	r.closeOnce.Do(func() {
		var errs []error
		r.mu.Lock()
		procs := r.procs
		r.procs = nil
		r.mu.Unlock()
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
		names := []string{r.ScannerNS, r.RouterNS}
		for _, l := range r.Legs {
			names = append(names, l.NS)
		}
		for _, ns := range names {
			disown(ns)
			if _, err := os.Stat(netnsDir + "/" + ns); errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err := ip("netns", "del", ns); err != nil {
				errs = append(errs, err)
			}
		}
		unregister(r)
		r.closeErr = errors.Join(errs...)
	})
	return r.closeErr
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

// Command prepares name args to run inside namespace ns (ScannerNS,
// RouterNS or a leg's NS) through `ip netns exec`. The caller starts and
// reaps it before the lab closes.
func (r *Routed) Command(ctx context.Context, ns, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

// Start starts a daemon made with Command and kills it when the lab
// closes (deleting a namespace does not end the processes in it).
func (r *Routed) Start(cmd *exec.Cmd) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("netlab: start %s: %w", strings.Join(cmd.Args, " "), err)
	}
	r.procs = append(r.procs, cmd)
	return nil
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
