//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/scantest"
)

// labPorts are the real service ports: in the lab's device namespace the
// personas may bind 80, 443 and 554, so the scanner runs with its default
// camera port set and no --ports hints, as on a real network.
var labPorts = map[string]uint16{
	"http": 80, "https": 443, "rtsp": 554, "hik-sdk": 8000, "dahua-sdk": 37777, "reolink-media": 9000,
	"wsd": 3702, "sadp": 37020, "dhip": 37810, "ssdp": 1900, "mdns": 5353,
}

// lab is what these helpers need of a netlab lab of either layout.
type lab interface {
	Command(ctx context.Context, ns, name string, args ...string) *exec.Cmd
	Listener(ns string) func(ctx context.Context, network, address string) (net.Listener, error)
	PacketListener(ns string) func(ctx context.Context, network, address string) (net.PacketConn, error)
}

// serveIn starts the personas of specs on their lab hosts' addresses,
// with every socket opened inside namespace ns of lab. UDP responders
// answer unicast only (the multicast discoverers are tested in
// scanner/probe/protocols_lab_test.go).
func serveIn(t testing.TB, lab lab, ns string, base netip.Prefix, specs []scantest.HostSpec) *scantest.Network {
	t.Helper()
	return scantest.StartTB(t, specs, scantest.Options{
		Base: base, Ports: labPorts, Logger: zerolog.Nop(), Listen: lab.Listener(ns), ListenPacket: lab.PacketListener(ns),
	})
}

// buildBinary builds camsweep once per test into a temporary directory.
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "camsweep")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// childRun is one run of a binary inside a lab namespace.
type childRun struct {
	stdout, stderr bytes.Buffer
	wall           time.Duration
	maxRSSMB       float64
	err            error
}

// runIn runs name args inside namespace ns of lab, with env added to the
// environment, and records wall time and the child's peak RSS. `ip netns
// exec` execs the command in place, so the rusage is the command's own.
func runIn(ctx context.Context, lab lab, ns string, env []string, name string, args ...string) *childRun {
	r := &childRun{}
	cmd := lab.Command(ctx, ns, name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = &r.stdout, &r.stderr
	start := time.Now()
	r.err = cmd.Run()
	r.wall = time.Since(start)
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.maxRSSMB = float64(ru.Maxrss) / 1024
		}
	}
	return r
}

// scanReport is the report of a scan run that finished: exit status 1
// (findings at --fail-on) is finished too, any other failure stops t.
func scanReport(t testing.TB, r *childRun, what string) inventory.Report {
	t.Helper()
	if r.err != nil && !strings.Contains(r.err.Error(), "exit status 1") {
		t.Fatalf("%s: %v\n%s", what, r.err, r.stderr.String())
	}
	return decodeReport(t, r)
}

func decodeReport(t testing.TB, r *childRun) inventory.Report {
	t.Helper()
	var rep inventory.Report
	if err := json.Unmarshal(r.stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\nstdout: %.2000s\nstderr: %.4000s", err, r.stdout.String(), r.stderr.String())
	}
	return rep
}

// labMAC gives a lab host the OUI of the MAC its persona carries (the real
// maker's block) and a unique tail.
func labMAC(persona string, i int) net.HardwareAddr {
	oui := "00:e0:4c" // Realtek: the NIC of a no-name box
	if len(persona) >= 8 {
		oui = persona[:8]
	}
	hw, err := net.ParseMAC(oui + ":" + strings.Join([]string{hex2(0xa0 + i>>16), hex2(i >> 8), hex2(i)}, ":"))
	if err != nil {
		panic(err)
	}
	return hw
}

func hex2(b int) string {
	const digits = "0123456789abcdef"
	b &= 0xff
	return string([]byte{digits[b>>4], digits[b&15]})
}

// wireFrames sorts what the scanner put on the wire, as seen on the device
// side of the link.
type wireFrames struct {
	arpAsked map[netip.Addr]int // ARP requests by target address
	ipTo     map[netip.Addr]int // IPv4 frames by destination
	synTo    map[netip.Addr]int // TCP SYNs (connection attempts) by destination
	// connTo counts connections made, by destination: the scanner's
	// source ports that sent a SYN and then anything with ACK set, which
	// it does only once the handshake completed (a refused attempt ends
	// with the host's RST).
	connTo map[netip.Addr]int
	total  int
}

type flow struct {
	dst   netip.Addr
	sport layers.TCPPort
}

func classify(frames [][]byte) wireFrames {
	w := wireFrames{arpAsked: map[netip.Addr]int{}, ipTo: map[netip.Addr]int{}, synTo: map[netip.Addr]int{}, connTo: map[netip.Addr]int{}, total: len(frames)}
	syn, established := map[flow]bool{}, map[flow]bool{}
	var (
		eth layers.Ethernet
		arp layers.ARP
		ip4 layers.IPv4
		tcp layers.TCP
		udp layers.UDP
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &arp, &ip4, &tcp, &udp)
	parser.IgnoreUnsupported = true
	var decoded []gopacket.LayerType
	for _, f := range frames {
		_ = parser.DecodeLayers(f, &decoded)
		for _, lt := range decoded {
			switch lt {
			case layers.LayerTypeARP:
				if arp.Operation == layers.ARPRequest && len(arp.DstProtAddress) == 4 {
					w.arpAsked[netip.AddrFrom4([4]byte(arp.DstProtAddress))]++
				}
			case layers.LayerTypeIPv4:
				if dst, ok := netip.AddrFromSlice(ip4.DstIP); ok {
					w.ipTo[dst.Unmap()]++
				}
			case layers.LayerTypeTCP:
				dst, _ := netip.AddrFromSlice(ip4.DstIP)
				fl := flow{dst.Unmap(), tcp.SrcPort}
				switch {
				case tcp.SYN && !tcp.ACK:
					w.synTo[fl.dst]++
					syn[fl] = true
				case tcp.ACK && syn[fl] && !established[fl]:
					established[fl] = true
					w.connTo[fl.dst]++
				}
			}
		}
	}
	return w
}
