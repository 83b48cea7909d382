package link

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"golang.org/x/net/bpf"
)

// l2UdpFrame builds an Ethernet/IPv4/UDP frame.
func l2UdpFrame(t testing.TB, srcMAC, dstMAC net.HardwareAddr, src, dst netip.AddrPort, payload []byte, fragOffset uint16) []byte {
	t.Helper()
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: s4[:], DstIP: d4[:], FragOffset: fragOffset}
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		&layers.Ethernet{SrcMAC: srcMAC, DstMAC: dstMAC, EthernetType: layers.EthernetTypeIPv4}, ip, udp, gopacket.Payload(payload))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDiscoveryFilter(t *testing.T) {
	src, _ := net.ParseMAC("44:47:cc:00:00:01")
	host := netip.MustParseAddr("10.9.0.5")
	mc := netip.MustParseAddr("239.255.255.250")
	tcp := l2UdpFrame(t, src, l2TestMAC, netip.AddrPortFrom(host, 80), netip.AddrPortFrom(l2TestIfc.Addr, 40000), []byte("x"), 0)
	tcp[23] = 6 // same frame, protocol TCP
	withOptions := l2UdpFrame(t, src, l2TestMAC, netip.AddrPortFrom(host, 1900), netip.AddrPortFrom(mc, 1900), []byte("x"), 0)
	tests := []struct {
		name  string
		frame []byte
		pass  bool
	}{
		{"arp", l2ArpFrame(src, layers.EthernetBroadcast, layers.ARPRequest, host, host), true},
		{"ssdp notify", l2UdpFrame(t, src, layers.EthernetBroadcast, netip.AddrPortFrom(host, 1900), netip.AddrPortFrom(mc, 1900), []byte("NOTIFY"), 0), true},
		{"ws-discovery", l2UdpFrame(t, src, layers.EthernetBroadcast, netip.AddrPortFrom(host, 40001), netip.AddrPortFrom(mc, 3702), []byte("<x/>"), 0), true},
		{"dhcp discover", l2UdpFrame(t, src, layers.EthernetBroadcast, netip.AddrPortFrom(netip.IPv4Unspecified(), 68), netip.AddrPortFrom(netip.MustParseAddr("255.255.255.255"), 67), []byte{1}, 0), true},
		{"mdns", l2UdpFrame(t, src, layers.EthernetBroadcast, netip.AddrPortFrom(host, 5353), netip.AddrPortFrom(netip.MustParseAddr("224.0.0.251"), 5353), []byte{0}, 0), true},
		{"sadp", l2UdpFrame(t, src, layers.EthernetBroadcast, netip.AddrPortFrom(host, 37020), netip.AddrPortFrom(mc, 37020), []byte{0}, 0), true},
		{"dhip reply to our port", l2UdpFrame(t, src, l2TestMAC, netip.AddrPortFrom(host, 37810), netip.AddrPortFrom(l2TestIfc.Addr, 51000), []byte{0}, 0), true},
		{"dns", l2UdpFrame(t, src, l2TestMAC, netip.AddrPortFrom(host, 53), netip.AddrPortFrom(l2TestIfc.Addr, 51000), []byte{0}, 0), false},
		{"tcp on port 80", tcp, false},
		{"fragment of a datagram to 1900", l2UdpFrame(t, src, l2TestMAC, netip.AddrPortFrom(host, 1900), netip.AddrPortFrom(mc, 1900), []byte("x"), 100), false},
		{"ipv4 with options", func() []byte { return withOptions }(), true},
		{"ipv6", append(append(append([]byte{}, l2TestMAC...), src...), 0x86, 0xdd, 0, 0), false},
		{"runt", []byte{1, 2, 3}, false},
	}
	vm, err := bpf.NewVM(discoveryCore(DiscoveryPorts))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := vm.Run(tt.frame)
			if err != nil {
				t.Fatal(err)
			}
			if got := n > 0; got != tt.pass {
				t.Errorf("filter passes = %v, want %v", got, tt.pass)
			}
		})
	}
	if _, err := DiscoveryFilter(); err != nil {
		t.Errorf("DiscoveryFilter: %v", err)
	}
	arpOnly, err := bpf.NewVM(discoveryCore(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range [][]byte{tests[0].frame, tests[1].frame} {
		n, _ := arpOnly.Run(f)
		if want := f[13] == 0x06; (n > 0) != want {
			t.Errorf("ARP-only filter passes %v for ethertype %x", n > 0, f[12:14])
		}
	}
}

func TestTeeAndReplayRoundTrip(t *testing.T) {
	src, _ := net.ParseMAC("44:47:cc:00:00:01")
	in := [][]byte{
		l2ArpFrame(src, l2TestMAC, layers.ARPReply, netip.MustParseAddr("10.9.0.5"), l2TestIfc.Addr),
		l2ArpFrame(src, layers.EthernetBroadcast, layers.ARPRequest, netip.MustParseAddr("10.9.0.5"), netip.MustParseAddr("10.9.0.5")),
	}
	var capture bytes.Buffer
	pw := pcapgo.NewWriter(&capture)
	if err := pw.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, f := range in {
		if err := pw.WritePacket(gopacket.CaptureInfo{CaptureLength: len(f), Length: len(f)}, f); err != nil {
			t.Fatal(err)
		}
	}
	rp, err := NewReplay(&capture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "scan.pcap")
	tee, err := CreateTee(rp, path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sent, _ := arpRequestTemplate(l2TestMAC, l2TestIfc.Addr)
	if err := tee.WriteFrame(sent); err != nil {
		t.Fatal(err)
	}
	var read [][]byte
	for {
		f, err := tee.ReadFrame(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		read = append(read, f)
	}
	if len(read) != len(in) {
		t.Fatalf("read %d frames, want %d", len(read), len(in))
	}
	if err := tee.Close(); err != nil {
		t.Fatal(err)
	}
	if w := rp.Written(); len(w) != 1 || !bytes.Equal(w[0], sent) {
		t.Errorf("replay recorded %d writes", len(w))
	}
	// The tee file holds what was sent, then what was read, in order.
	back, err := OpenReplay(path)
	if err != nil {
		t.Fatal(err)
	}
	want := append([][]byte{sent}, in...)
	for i, w := range want {
		f, err := back.ReadFrame(ctx)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(f, w) {
			t.Errorf("frame %d differs", i)
		}
	}
	if _, err := back.ReadFrame(ctx); !errors.Is(err, io.EOF) {
		t.Errorf("after the last frame: %v, want io.EOF", err)
	}
}

func TestReplayRejects(t *testing.T) {
	var raw bytes.Buffer
	pw := pcapgo.NewWriter(&raw)
	if err := pw.WriteFileHeader(65536, layers.LinkTypeRaw); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"not a pcap", []byte("hello, this is not a capture file")},
		{"empty", nil},
		{"raw IP link type", raw.Bytes()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewReplay(bytes.NewReader(tt.data)); err == nil {
				t.Error("NewReplay: no error")
			}
		})
	}
	if _, err := OpenReplay(filepath.Join(t.TempDir(), "missing.pcap")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenReplay(missing) = %v, want ErrNotExist", err)
	}
}

func TestOpenFrameConnRefusesUnrequestedInterface(t *testing.T) {
	ifc := l2TestIfc
	ifc.Requested = false
	if _, err := OpenFrameConn(ifc, FrameOptions{}); err == nil {
		t.Fatal("OpenFrameConn opened a socket on an interface the user did not name")
	}
	ifc.Requested = true
	guard := errors.New("not in a lab namespace")
	if _, err := OpenFrameConn(ifc, FrameOptions{Guard: func() error { return guard }}); !errors.Is(err, guard) {
		t.Fatalf("OpenFrameConn with a refusing guard = %v, want the guard's error", err)
	}
}

// FuzzReplay feeds arbitrary bytes as a pcap file.
func FuzzReplay(f *testing.F) {
	var buf bytes.Buffer
	pw := pcapgo.NewWriter(&buf)
	_ = pw.WriteFileHeader(65536, layers.LinkTypeEthernet)
	fr := l2ArpFrame(l2TestMAC, layers.EthernetBroadcast, layers.ARPRequest, l2TestIfc.Addr, l2TestIfc.Addr)
	_ = pw.WritePacket(gopacket.CaptureInfo{CaptureLength: len(fr), Length: len(fr)}, fr)
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		rp, err := NewReplay(bytes.NewReader(data))
		if err != nil {
			return
		}
		for {
			if _, err := rp.ReadFrame(context.Background()); err != nil {
				return
			}
		}
	})
}
