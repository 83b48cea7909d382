//go:build linux

package probe_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/probe"
	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
	"github.com/rs/zerolog"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// groupConn is a responder socket in the lab: it reads what reaches the
// host's unicast address and what reaches the multicast group on the host's
// own link, and answers from the unicast socket, so the answer's source is
// the host's address (as on a real camera).
type groupConn struct {
	uc, gc net.PacketConn
	in     chan pkt
	done   chan struct{}
}

type pkt struct {
	b    []byte
	from net.Addr
}

func (g *groupConn) pump(c net.PacketConn) {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		select {
		case g.in <- pkt{append([]byte(nil), buf[:n]...), from}:
		case <-g.done:
			return
		}
	}
}

func (g *groupConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case p := <-g.in:
		return copy(b, p.b), p.from, nil
	case <-g.done:
		return 0, nil, net.ErrClosed
	}
}
func (g *groupConn) WriteTo(b []byte, a net.Addr) (int, error) { return g.uc.WriteTo(b, a) }
func (g *groupConn) Close() error {
	select {
	case <-g.done:
	default:
		close(g.done)
	}
	return errors.Join(g.uc.Close(), g.gc.Close())
}
func (g *groupConn) LocalAddr() net.Addr              { return g.uc.LocalAddr() }
func (g *groupConn) SetDeadline(time.Time) error      { return nil }
func (g *groupConn) SetReadDeadline(time.Time) error  { return nil }
func (g *groupConn) SetWriteDeadline(time.Time) error { return nil }

// labGroups maps a responder port to its discovery group.
var labGroups = map[uint16]netip.Addr{
	3702:  netip.MustParseAddr("239.255.255.250"),
	37020: netip.MustParseAddr("239.255.255.250"),
	37810: netip.MustParseAddr("239.255.255.251"),
	1900:  netip.MustParseAddr("239.255.255.250"),
	5353:  netip.MustParseAddr("224.0.0.251"),
}

func reuse(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
		if serr == nil {
			// Only the groups joined on this socket's own link reach it,
			// not every group joined anywhere in the namespace.
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0)
		}
	})
	return errors.Join(err, serr)
}

// startLabPersonas runs personas on the lab's hosts, inside the device
// namespace, their UDP responders joined to the discovery groups.
func startLabPersonas(t *testing.T, lab *netlab.Lab, personas []scantest.Persona) *scantest.Network {
	t.Helper()
	link := map[netip.Addr]string{}
	for _, h := range lab.Hosts {
		link[h.Addr] = h.Link
	}
	var specs []scantest.HostSpec
	for i, p := range personas {
		specs = append(specs, scantest.HostSpec{Persona: p, Addr: lab.Hosts[i].Addr})
	}
	opts := scantest.Options{
		Base:   lab.Prefix,
		Ports:  map[string]uint16{"ssdp": 1900, "mdns": 5353},
		Logger: zerolog.Nop(),
		Listen: lab.Listener(lab.DeviceNS),
		ListenPacket: func(ctx context.Context, network, address string) (net.PacketConn, error) {
			ap := netip.MustParseAddrPort(address)
			group, ok := labGroups[ap.Port()]
			if !ok {
				return nil, fmt.Errorf("no group for port %d", ap.Port())
			}
			g := &groupConn{in: make(chan pkt, 64), done: make(chan struct{})}
			err := lab.InDevice(func() error {
				lc := net.ListenConfig{Control: reuse}
				var err error
				if g.uc, err = lc.ListenPacket(ctx, "udp4", address); err != nil {
					return err
				}
				if g.gc, err = lc.ListenPacket(ctx, "udp4", netip.AddrPortFrom(group, ap.Port()).String()); err != nil {
					return err
				}
				ifi, err := net.InterfaceByName(link[ap.Addr()])
				if err != nil {
					return err
				}
				return ipv4.NewPacketConn(g.gc).JoinGroup(ifi, &net.UDPAddr{IP: group.AsSlice()})
			})
			if err != nil {
				if g.uc != nil {
					_ = g.uc.Close()
				}
				if g.gc != nil {
					_ = g.gc.Close()
				}
				return nil, err
			}
			go g.pump(g.uc)
			go g.pump(g.gc)
			return g, nil
		},
	}
	n := scantest.StartTB(t, specs, opts)
	return n
}

// discoverIn runs d inside the lab's scanner namespace.
func discoverIn(t *testing.T, lab *netlab.Lab, d scanner.Discoverer) map[netip.Addr]map[string][]string {
	t.Helper()
	got := map[netip.Addr]map[string][]string{}
	err := lab.InScanner(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return d.Discover(ctx, func(s scanner.Sighting) {
			if got[s.Addr] == nil {
				got[s.Addr] = map[string][]string{}
			}
			for _, e := range s.Evidence {
				got[s.Addr][e.Field] = append(got[s.Addr][e.Field], e.Value)
			}
		})
	})
	if err != nil {
		t.Fatalf("%s discover: %v", d.Name(), err)
	}
	return got
}

func labIface(t *testing.T, lab *netlab.Lab) []net.Interface {
	t.Helper()
	var ifi *net.Interface
	if err := lab.InScanner(func() (err error) { ifi, err = net.InterfaceByName(lab.ScannerIf); return err }); err != nil {
		t.Fatal(err)
	}
	return []net.Interface{*ifi}
}

// TestLabMulticastDiscovery: inside a network-namespace lab, multicast
// WS-Discovery finds every ONVIF persona, multicast SADP and DHIP find
// every Hikvision and Dahua one, and mDNS every persona with an mdns
// section (served by scantest's hashicorp/mdns responder), each by its own
// address.
func TestLabMulticastDiscovery(t *testing.T) {
	if why := netlab.Skip(); why != "" {
		t.Skip(why)
	}
	all, err := scantest.Personas()
	if err != nil {
		t.Fatal(err)
	}
	var personas []scantest.Persona
	for _, p := range all {
		if p.ONVIF != nil || p.SADP != nil || p.DHIP != nil {
			personas = append(personas, p)
		}
	}
	prefix := netip.MustParsePrefix("10.79.0.0/24")
	lab := netlab.New(t, netlab.Config{Prefix: prefix, Hosts: netlab.Hosts(prefix, len(personas), "Hikvision", "Dahua", "Axis")})
	n := startLabPersonas(t, lab, personas)
	ifaces := labIface(t, lab)
	opts := probe.DatagramOptions{Wait: 2 * time.Second}
	log := zerolog.Nop()

	cases := []struct {
		name  string
		d     scanner.Discoverer
		has   func(scantest.Persona) bool
		check func(t *testing.T, h *scantest.Host, ev map[string][]string)
	}{
		{"wsd", probe.NewWSDDiscoverer(ifaces, opts, log), func(p scantest.Persona) bool { return p.ONVIF != nil },
			func(t *testing.T, h *scantest.Host, ev map[string][]string) {
				want := "http://" + h.Addr.String()
				if len(ev["wsd.xaddrs"]) != 1 || !strings.HasPrefix(ev["wsd.xaddrs"][0], want) {
					t.Errorf("wsd.xaddrs = %q, want %s...", ev["wsd.xaddrs"], want)
				}
			}},
		{"sadp", probe.NewSADPDiscoverer(ifaces, opts, log), func(p scantest.Persona) bool { return p.SADP != nil },
			func(t *testing.T, h *scantest.Host, ev map[string][]string) {
				wantOne(t, ev, "sadp.serial", h.Persona.SADP.Serial)
			}},
		{"dhip", probe.NewDHIPDiscoverer(ifaces, opts, log), func(p scantest.Persona) bool { return p.DHIP != nil },
			func(t *testing.T, h *scantest.Host, ev map[string][]string) {
				wantOne(t, ev, "dhip.model", h.Persona.DHIP.DeviceType)
			}},
		{"mdns", probe.NewMDNSDiscoverer(ifaces, probe.MDNSOptions{Wait: opts.Wait}, log), func(p scantest.Persona) bool { return len(p.MDNS) > 0 },
			func(t *testing.T, h *scantest.Host, ev map[string][]string) {
				for _, s := range h.Persona.MDNS {
					if !slices.Contains(ev["mdns.service"], s.Service) || !slices.Contains(ev["mdns.instance"], s.Instance) {
						t.Errorf("mdns.service %q, mdns.instance %q: want %s %q", ev["mdns.service"], ev["mdns.instance"], s.Service, s.Instance)
					}
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := discoverIn(t, lab, tc.d)
			want := 0
			for _, h := range n.Hosts {
				if !tc.has(h.Persona) {
					if _, ok := got[h.Addr]; ok {
						t.Errorf("%s (%s) answered %s without the service", h.Persona.Name, h.Addr, tc.name)
					}
					continue
				}
				want++
				ev, ok := got[h.Addr]
				if !ok {
					t.Errorf("%s at %s not found by multicast %s", h.Persona.Name, h.Addr, tc.name)
					continue
				}
				tc.check(t, h, ev)
			}
			if len(got) != want {
				t.Errorf("%d hosts answered, want %d", len(got), want)
			}
			t.Logf("multicast %s found %d of %d", tc.name, len(got), want)
		})
	}
}

// TestLabMDNSAvahi: a real avahi-daemon in the lab's device namespace
// advertises an Axis-style service; the mdns discoverer, multicasting in the
// scanner namespace, finds it and attributes it to the host's address.
func TestLabMDNSAvahi(t *testing.T) {
	if why := netlab.Skip(); why != "" {
		t.Skip(why)
	}
	avahi, err := execLookPath("avahi-daemon")
	if err != nil {
		t.Skip("avahi-daemon not installed (apt-get install avahi-daemon)")
	}
	prefix := netip.MustParsePrefix("10.80.0.0/24")
	lab := netlab.New(t, netlab.Config{Prefix: prefix, Hosts: netlab.Hosts(prefix, 2, "Axis", "HP")})
	cam := lab.Hosts[0]

	dir := t.TempDir()
	svcDir, runDir := filepath.Join(dir, "services"), filepath.Join(dir, "run")
	for _, d := range []string{svcDir, runDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "avahi-daemon.conf")
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(conf, "[server]\nhost-name=axis-accc8e000001\ndomain-name=local\nuse-ipv4=yes\nuse-ipv6=no\n"+
		"allow-interfaces="+cam.Link+"\nenable-dbus=no\nratelimit-burst=1000\n"+
		"[wide-area]\nenable-wide-area=no\n[publish]\npublish-addresses=yes\npublish-hinfo=no\npublish-workstation=no\n")
	write(filepath.Join(svcDir, "axis.service"), `<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group><name>AXIS M3046-V - ACCC8E000001</name>
<service><type>_axis-video._tcp</type><port>80</port><txt-record>macaddress=ACCC8E000001</txt-record></service>
<service><type>_rtsp._tcp</type><port>554</port></service>
</service-group>
`)
	// ip netns exec runs the shell in a private mount namespace, so the
	// bind mounts below are seen by this avahi only.
	script := fmt.Sprintf("mount --bind %s /etc/avahi/services && mount --bind %s /run && mkdir -p /run/avahi-daemon && exec %s --no-drop-root --no-chroot --no-rlimits -f %s",
		svcDir, runDir, avahi, conf)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := lab.Command(ctx, lab.DeviceNS, "sh", "-c", script)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cancel()
			<-done
		}
		cancel()
		t.Logf("avahi output:\n%s", out.String())
	})

	ifaces := labIface(t, lab)
	d := probe.NewMDNSDiscoverer(ifaces, probe.MDNSOptions{Wait: 2 * time.Second}, zerolog.Nop())
	var got map[netip.Addr]map[string][]string
	// avahi probes its names for a few seconds before it answers.
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		got = discoverIn(t, lab, d)
		if ev := got[cam.Addr]; len(ev["mdns.service"]) >= 2 {
			break
		}
	}
	ev, ok := got[cam.Addr]
	if !ok {
		t.Fatalf("avahi host %s not found; got %v", cam.Addr, got)
	}
	for _, s := range []string{"_axis-video._tcp", "_rtsp._tcp"} {
		if !slices.Contains(ev["mdns.service"], s) {
			t.Errorf("mdns.service = %q, want %s", ev["mdns.service"], s)
		}
	}
	if !slices.Contains(ev["mdns.instance"], "AXIS M3046-V - ACCC8E000001") {
		t.Errorf("mdns.instance = %q", ev["mdns.instance"])
	}
	if !slices.Contains(ev["mdns.host"], "axis-accc8e000001.local") {
		t.Errorf("mdns.host = %q", ev["mdns.host"])
	}
	if !slices.Contains(ev["mdns.txt"], "macaddress=ACCC8E000001") {
		t.Errorf("mdns.txt = %q", ev["mdns.txt"])
	}
	if len(got) != 1 {
		t.Errorf("answers from %d hosts, want only the avahi host: %v", len(got), got)
	}
}

var execLookPath = exec.LookPath
