//go:build linux

package netlab

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner/link"
)

// Host is one emulated device.
type Host struct {
	// Addr is the host's IPv4 address; Prefix its subnet. A host whose
	// Prefix differs from the lab's plays a camera left on a factory
	// default: the scanner has no route there.
	Addr   netip.Addr
	Prefix netip.Prefix
	MAC    net.HardwareAddr
	Vendor string // the OUI's organisation, for logs and checks
	// Link is its macvlan's name inside the device namespace (set by New).
	Link string
}

// Config describes a lab.
type Config struct {
	// Prefix is the scanner's segment, e.g. 10.77.0.0/22. The scanner takes
	// its first host address unless ScannerAddr is set.
	Prefix      netip.Prefix
	ScannerAddr netip.Addr
	Hosts       []Host
}

// Lab is a running lab. Its fields are read-only.
type Lab struct {
	*base
	ScannerNS  string // namespace the scanner runs in
	DeviceNS   string // namespace holding the emulated hosts
	ScannerIf  string // the scanner's veth end
	DeviceIf   string // the device namespace's veth end, lower device of the hosts
	ScannerMAC net.HardwareAddr
	Prefix     netip.Prefix
	Scanner    netip.Addr
	Hosts      []Host
}

// Skip reports why labs cannot run here, or "" when they can.
func Skip() string {
	if os.Geteuid() != 0 {
		return "netlab: needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW) to create network namespaces; CI runs lab tests as root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "netlab: needs iproute2's ip command"
	}
	if _, err := os.Stat("/proc/thread-self/ns/net"); err != nil {
		return "netlab: no network namespace support: " + err.Error()
	}
	return ""
}

// New builds a lab for t and tears it down when t ends, whatever happens.
// Without root it skips t.
func New(t testing.TB, cfg Config) *Lab {
	t.Helper()
	l, took := setUp(t, func() (*Lab, error) { return build(cfg) })
	t.Logf("netlab: lab %s with %d hosts up in %v", l.ID, len(l.Hosts), took.Round(time.Millisecond))
	return l
}

// build creates the lab; on error the partial lab is returned for Close.
func build(cfg Config) (*Lab, error) {
	if !cfg.Prefix.Addr().Is4() || cfg.Prefix.Bits() > 30 {
		return nil, fmt.Errorf("netlab: prefix %v: want an IPv4 subnet of /30 or larger", cfg.Prefix)
	}
	cfg.Prefix = cfg.Prefix.Masked()
	if !cfg.ScannerAddr.IsValid() {
		cfg.ScannerAddr = cfg.Prefix.Addr().Next()
	}
	b := newBase()
	l := &Lab{
		base:       b,
		ScannerNS:  b.nsName("s"),
		DeviceNS:   b.nsName("d"),
		ScannerIf:  b.ifName("s"),
		DeviceIf:   b.ifName("d"),
		ScannerMAC: b.mac(0xb0),
		Prefix:     cfg.Prefix,
		Scanner:    cfg.ScannerAddr,
	}
	for _, ns := range []string{l.ScannerNS, l.DeviceNS} {
		if err := b.addNamespace(ns, false); err != nil {
			return l, err
		}
	}
	if err := veth(l.ScannerIf, l.ScannerNS, l.ScannerMAC, l.DeviceIf, l.DeviceNS); err != nil {
		return l, err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "link set lo up\naddr add %s/%d dev %s\nlink set %s up\nroute add 224.0.0.0/4 dev %s\n",
		l.Scanner, l.Prefix.Bits(), l.ScannerIf, l.ScannerIf, l.ScannerIf)
	if err := ipBatch(l.ScannerNS, sb.String()); err != nil {
		return l, err
	}
	sb.Reset()
	fmt.Fprintf(&sb, "link set lo up\nlink set %s up\nroute add 224.0.0.0/4 dev %s\n", l.DeviceIf, l.DeviceIf)
	for i, h := range cfg.Hosts {
		h, err := l.place(&sb, i, h)
		if err != nil {
			return l, err
		}
		l.Hosts = append(l.Hosts, h)
	}
	if err := ipBatch(l.DeviceNS, sb.String()); err != nil {
		return l, err
	}
	return l, nil
}

// place checks h, the lab's i-th host, names its link and writes the
// lines that bring it up to sb.
func (l *Lab) place(sb *strings.Builder, i int, h Host) (Host, error) {
	if !h.Addr.Is4() || len(h.MAC) != 6 {
		return h, fmt.Errorf("netlab: host %d: want an IPv4 address and a MAC", i)
	}
	if !h.Prefix.IsValid() {
		h.Prefix = l.Prefix
	}
	h.Link = "h" + strconv.Itoa(i)
	writeHost(sb, h, l.DeviceIf, 1000+i, l.Scanner, l.ScannerMAC, false)
	return h, nil
}

// writeHost writes the ip batch lines that bring host h up on its own
// macvlan over lower, with routing table table. peer is who the host
// talks to: the scanner on a flat lab, the gateway on a routed leg
// (viaPeer), through which everything off the host's subnet goes.
func writeHost(sb *strings.Builder, h Host, lower string, table int, peer netip.Addr, peerMAC net.HardwareAddr, viaPeer bool) {
	// Each host's replies leave through its own macvlan, with its own
	// MAC, whatever the main table would pick: a rule per source address
	// and a table per host.
	fmt.Fprintf(sb, "link add %s link %s address %s type macvlan mode bridge\n", h.Link, lower, h.MAC)
	fmt.Fprintf(sb, "addr add %s/%d dev %s\n", h.Addr, h.Prefix.Bits(), h.Link)
	fmt.Fprintf(sb, "link set %s up\n", h.Link)
	fmt.Fprintf(sb, "rule add from %s table %d pref 100\n", h.Addr, table)
	if viaPeer {
		fmt.Fprintf(sb, "route add %s dev %s table %d\n", h.Prefix, h.Link, table)
		fmt.Fprintf(sb, "route add default via %s dev %s table %d\n", peer, h.Link, table)
	} else {
		fmt.Fprintf(sb, "route add default dev %s table %d\n", h.Link, table)
	}
	// The kernel's neighbour table is one for all namespaces, and its
	// gc_thresh3 (1024 by default) counts every dynamic entry in them:
	// 500 hosts each learning the scanner's MAC, plus the scanner
	// learning theirs, overflow it, and then connects fail here and
	// elsewhere on the machine. Permanent entries are not counted, so each
	// host knows its peer from the start.
	fmt.Fprintf(sb, "neigh add %s lladdr %s dev %s nud permanent\n", peer, peerMAC, h.Link)
}

// InScanner runs fn on a thread inside the scanner namespace.
func (l *Lab) InScanner(fn func() error) error { return do(l.ScannerNS, fn) }

// InDevice runs fn on a thread inside the device namespace.
func (l *Lab) InDevice(fn func() error) error { return do(l.DeviceNS, fn) }

// ScannerInterface is the scanner's interface as the scanner sees it,
// named as a user would name it.
func (l *Lab) ScannerInterface() (link.Interface, error) {
	var ifc link.Interface
	err := l.InScanner(func() error {
		var err error
		ifc, err = link.ChooseInterface(l.ScannerIf, []netip.Prefix{l.Prefix})
		return err
	})
	return ifc, err
}

// OpenScannerFrames opens a raw FrameConn on the scanner's interface,
// inside the scanner namespace, behind Guard.
func (l *Lab) OpenScannerFrames(opts link.FrameOptions) (link.FrameConn, link.Interface, error) {
	ifc, err := l.ScannerInterface()
	if err != nil {
		return nil, ifc, err
	}
	opts.Guard = Guard
	var conn link.FrameConn
	err = l.InScanner(func() error {
		var err error
		conn, err = link.OpenFrameConn(ifc, opts)
		return err
	})
	return conn, ifc, err
}
