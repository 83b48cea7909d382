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

	"github.com/camsweep/camsweep/scanner/link"
)

// FlowSegment is a subnet behind the flow lab's router, in a namespace of
// its own: its hosts are addresses on the segment's one interface, each
// routing through the router, so every packet between segments crosses
// the router where the flow exporters and the mirror port see it.
type FlowSegment struct {
	Name   string // "cams", "servers", "cloud"
	Prefix netip.Prefix
	Hosts  []netip.Addr
	// NS and Gateway are set by NewFlowLab: the namespace, and the
	// router's address on the segment (the prefix's first address).
	NS      string
	Gateway netip.Addr
	// RouterIf is the router's interface on the segment.
	RouterIf string
}

// FlowLab is a routed network with a sensor beside the router, as a
// hospital site with a SPAN port and a NetFlow-exporting router has it:
//
//	segment ns "cams" ──┐
//	segment ns "servers" ── router ns ── veth "mgmt" ── sensor ns (collector)
//	segment ns "cloud" ──┘          └─── veth "span" ── sensor ns (mirror)
//
// The router forwards between segments; MirrorAll copies every frame its
// segment interfaces receive to the span link (tc mirred, the kernel's
// SPAN), and exporters such as softflowd run in its namespace and send
// to the sensor over mgmt. Everything lives in namespaces the lab made.
type FlowLab struct {
	ID       string
	RouterNS string
	SensorNS string
	// Router and Sensor are the two ends of the mgmt link.
	Router, Sensor netip.Addr
	// SensorSpanIf is the sensor's end of the span link (no address).
	SensorSpanIf string
	routerSpanIf string
	Segments     []*FlowSegment

	closeOnce sync.Once
	closeErr  error
	mu        sync.Mutex
	procs     []*exec.Cmd
}

// flowMgmt is the router-sensor link's subnet.
var flowMgmt = netip.MustParsePrefix("10.77.99.0/30")

// NewFlowLab builds the lab for t and tears it down when t ends. Without
// root it skips t.
func NewFlowLab(t testing.TB, segments []FlowSegment) *FlowLab {
	t.Helper()
	if why := Skip(); why != "" {
		t.Skip(why)
	}
	if _, err := exec.LookPath("tc"); err != nil {
		t.Skip("netlab: flow lab needs iproute2's tc for the mirror port")
	}
	if err := SweepStale(); err != nil {
		t.Logf("netlab: sweeping stale labs: %v", err)
	}
	start := time.Now()
	l, err := buildFlowLab(segments)
	if l != nil {
		t.Cleanup(func() {
			if err := l.Close(); err != nil {
				t.Errorf("netlab: teardown: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("netlab: flow lab setup: %v", err)
	}
	t.Logf("netlab: flow lab %s with %d segments up in %v", l.ID, len(l.Segments), time.Since(start).Round(time.Millisecond))
	return l
}

func buildFlowLab(segments []FlowSegment) (*FlowLab, error) {
	if len(segments) == 0 || len(segments) > 8 {
		return nil, fmt.Errorf("netlab: flow lab: want 1 to 8 segments, got %d", len(segments))
	}
	n := seq.Add(1) % (36 * 36)
	id := pid36 + fmt.Sprintf("%02s", strconv.FormatUint(uint64(n), 36))
	l := &FlowLab{
		ID:           id,
		RouterNS:     "csl-" + id + "-r",
		SensorNS:     "csl-" + id + "-s",
		Router:       flowMgmt.Addr().Next(),
		Sensor:       flowMgmt.Addr().Next().Next(),
		SensorSpanIf: "csl" + id + "p",
		routerSpanIf: "csl" + id + "q",
	}
	register(l)
	nss := []string{l.RouterNS, l.SensorNS}
	for i := range segments {
		s := segments[i]
		s.Prefix = s.Prefix.Masked()
		if s.Name == "" || !s.Prefix.Addr().Is4() || s.Prefix.Bits() > 30 {
			return l, fmt.Errorf("netlab: segment %d %q: want a name and an IPv4 subnet of /30 or larger", i, s.Name)
		}
		s.NS = "csl-" + id + "-" + strconv.Itoa(i)
		s.Gateway = s.Prefix.Addr().Next()
		s.RouterIf = "csl" + id + "r" + strconv.Itoa(i)
		l.Segments = append(l.Segments, &s)
		nss = append(nss, s.NS)
	}
	for _, ns := range nss {
		if err := ip("netns", "add", ns); err != nil {
			return l, err
		}
		if err := own(ns); err != nil {
			return l, err
		}
		err := do(ns, func() error {
			for _, kv := range [][2]string{
				{"net/ipv6/conf/all/disable_ipv6", "1"}, {"net/ipv6/conf/default/disable_ipv6", "1"},
				{"net/ipv4/conf/all/rp_filter", "0"}, {"net/ipv4/conf/default/rp_filter", "0"},
			} {
				if err := writeSysctl(kv[0], kv[1]); err != nil {
					return err
				}
			}
			if ns == l.RouterNS {
				return writeSysctl("net/ipv4/ip_forward", "1")
			}
			return nil
		})
		if err != nil {
			return l, err
		}
	}
	mgmtRouter, mgmtSensor := "csl"+id+"m", "csl"+id+"n"
	if err := ip("link", "add", mgmtRouter, "netns", l.RouterNS, "type", "veth", "peer", "name", mgmtSensor, "netns", l.SensorNS); err != nil {
		return l, err
	}
	if err := ip("link", "add", l.routerSpanIf, "netns", l.RouterNS, "type", "veth", "peer", "name", l.SensorSpanIf, "netns", l.SensorNS); err != nil {
		return l, err
	}
	var router strings.Builder
	fmt.Fprintf(&router, "link set lo up\naddr add %s/%d dev %s\nlink set %s up\nlink set %s up\n", l.Router, flowMgmt.Bits(), mgmtRouter, mgmtRouter, l.routerSpanIf)
	for i, s := range l.Segments {
		legIf := "csl" + id + "g" + strconv.Itoa(i)
		if err := ip("link", "add", s.RouterIf, "netns", l.RouterNS, "type", "veth", "peer", "name", legIf, "netns", s.NS); err != nil {
			return l, err
		}
		fmt.Fprintf(&router, "addr add %s/%d dev %s\nlink set %s up\n", s.Gateway, s.Prefix.Bits(), s.RouterIf, s.RouterIf)
		var leg strings.Builder
		fmt.Fprintf(&leg, "link set lo up\nlink set %s up\n", legIf)
		for _, h := range s.Hosts {
			if !s.Prefix.Contains(h) || h == s.Gateway {
				return l, fmt.Errorf("netlab: segment %s: host %s is not a free address of %s", s.Name, h, s.Prefix)
			}
			fmt.Fprintf(&leg, "addr add %s/%d dev %s\n", h, s.Prefix.Bits(), legIf)
		}
		fmt.Fprintf(&leg, "route add default via %s\n", s.Gateway)
		if err := ipBatch(s.NS, leg.String()); err != nil {
			return l, err
		}
	}
	if err := ipBatch(l.RouterNS, router.String()); err != nil {
		return l, err
	}
	sensor := fmt.Sprintf("link set lo up\naddr add %s/%d dev %s\nlink set %s up\nlink set %s up promisc on\n",
		l.Sensor, flowMgmt.Bits(), mgmtSensor, mgmtSensor, l.SensorSpanIf)
	if err := ipBatch(l.SensorNS, sensor); err != nil {
		return l, err
	}
	return l, nil
}

// Segment returns the named segment, or nil.
func (l *FlowLab) Segment(name string) *FlowSegment {
	for _, s := range l.Segments {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// MirrorAll makes the router's segment interfaces a SPAN source: every
// frame any of them receives is copied to the span link. Each packet
// between segments enters the router exactly once, so the sensor sees
// both directions of every conversation once.
func (l *FlowLab) MirrorAll() error {
	var b strings.Builder
	for _, s := range l.Segments {
		fmt.Fprintf(&b, "qdisc add dev %s ingress\n", s.RouterIf)
		fmt.Fprintf(&b, "filter add dev %s parent ffff: protocol all u32 match u32 0 0 action mirred egress mirror dev %s\n", s.RouterIf, l.routerSpanIf)
	}
	cmd := exec.Command("tc", "-netns", l.RouterNS, "-batch", "-")
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("netlab: tc mirror: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// OpenMirror opens a raw FrameConn on the sensor's span interface that
// receives every frame, behind Guard.
func (l *FlowLab) OpenMirror() (link.FrameConn, error) {
	var conn link.FrameConn
	err := do(l.SensorNS, func() error {
		// A span port has no address, which ChooseInterface wants.
		nif, err := net.InterfaceByName(l.SensorSpanIf)
		if err != nil {
			return err
		}
		ifc := link.Interface{Name: nif.Name, Index: nif.Index, MAC: nif.HardwareAddr, MTU: nif.MTU, Requested: true}
		all, err := link.MirrorFilter()
		if err != nil {
			return err
		}
		conn, err = link.OpenFrameConn(ifc, link.FrameOptions{Filter: all, Promiscuous: true, Guard: Guard})
		return err
	})
	return conn, err
}

// In runs fn on a thread inside namespace ns (a segment's, the router's
// or the sensor's); sockets it opens stay there.
func (l *FlowLab) In(ns string, fn func() error) error { return do(ns, fn) }

// Dialer opens TCP connections from inside ns, bound to local when valid.
func (l *FlowLab) Dialer(ns string, local netip.Addr) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (c net.Conn, err error) {
		err = do(ns, func() error {
			d := net.Dialer{}
			if local.IsValid() {
				d.LocalAddr = &net.TCPAddr{IP: local.AsSlice()}
			}
			c, err = d.DialContext(ctx, "tcp4", address)
			return err
		})
		return c, err
	}
}

// Listener opens TCP listeners inside ns.
func (l *FlowLab) Listener(ns string) func(ctx context.Context, network, address string) (net.Listener, error) {
	return func(ctx context.Context, network, address string) (ln net.Listener, err error) {
		err = do(ns, func() error {
			var lc net.ListenConfig
			ln, err = lc.Listen(ctx, "tcp4", address)
			return err
		})
		return ln, err
	}
}

// PacketListener opens UDP sockets inside ns.
func (l *FlowLab) PacketListener(ns string) func(ctx context.Context, network, address string) (net.PacketConn, error) {
	return func(ctx context.Context, network, address string) (pc net.PacketConn, err error) {
		err = do(ns, func() error {
			var lc net.ListenConfig
			pc, err = lc.ListenPacket(ctx, "udp4", address)
			return err
		})
		return pc, err
	}
}

// Start runs name args inside ns (`ip netns exec`); the lab kills it at
// Close if it is still running.
func (l *FlowLab) Start(ns, name string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("netlab: start %s in %s: %w", name, ns, err)
	}
	l.mu.Lock()
	l.procs = append(l.procs, cmd)
	l.mu.Unlock()
	return cmd, nil
}

// Run runs name args inside ns to completion and returns its output.
func (l *FlowLab) Run(ns, name string, args ...string) ([]byte, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("netlab: %s %s in %s: %w: %s", name, strings.Join(args, " "), ns, err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// Close stops the lab's processes and deletes its namespaces (and with
// them every link). Safe to call more than once.
func (l *FlowLab) Close() error {
	l.closeOnce.Do(func() {
		var errs []error
		l.mu.Lock()
		for _, p := range l.procs {
			if p.Process != nil && p.ProcessState == nil {
				_ = p.Process.Kill()
				_ = p.Wait()
			}
		}
		l.mu.Unlock()
		nss := []string{l.RouterNS, l.SensorNS}
		for _, s := range l.Segments {
			nss = append(nss, s.NS)
		}
		for _, ns := range nss {
			disown(ns)
			if _, err := os.Stat(netnsDir + "/" + ns); errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err := ip("netns", "del", ns); err != nil {
				errs = append(errs, err)
			}
		}
		unregister(l)
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}
