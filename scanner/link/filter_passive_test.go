package link

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket/layers"
	"golang.org/x/net/bpf"
)

func TestPassiveFilter(t *testing.T) {
	src, _ := net.ParseMAC("44:47:cc:00:00:01")
	host := netip.MustParseAddr("10.9.0.5")
	mc := netip.MustParseAddr("239.255.255.250")
	tcp := l2UdpFrame(t, src, l2TestMAC, netip.AddrPortFrom(host, 80), netip.AddrPortFrom(l2TestIfc.Addr, 40000), make([]byte, 600), 0)
	tcp[23] = 6 // same frame, protocol TCP
	hello := l2UdpFrame(t, src, l2SsdpMAC, netip.AddrPortFrom(host, 3702), netip.AddrPortFrom(mc, 3702), []byte(l2LongHello(1650)), 0)
	frags := l2Fragments(t, hello, 1500)
	const whole, head, drop = -1, PassiveHeadBytes, 0
	tests := []struct {
		name  string
		frame []byte
		want  int // bytes kept; whole: all of it
	}{
		{"arp", l2ArpFrame(src, layers.EthernetBroadcast, layers.ARPRequest, host, host), whole},
		{"ssdp notify", l2UdpFrame(t, src, layers.EthernetBroadcast, netip.AddrPortFrom(host, 1900), netip.AddrPortFrom(mc, 1900), []byte("NOTIFY"), 0), whole},
		{"ws-discovery to the group", l2UdpFrame(t, src, layers.EthernetBroadcast, netip.AddrPortFrom(host, 40001), netip.AddrPortFrom(mc, 3702), []byte("<x/>"), 0), whole},
		{"first fragment of a long Hello", frags[0], whole},
		{"last fragment of a long Hello (no UDP header)", frags[1], whole},
		{"dhcp discover", l2UdpFrame(t, src, layers.EthernetBroadcast, netip.AddrPortFrom(netip.IPv4Unspecified(), 68), netip.AddrPortFrom(netip.MustParseAddr("255.255.255.255"), 67), []byte{1}, 0), whole},
		{"dhip reply", l2UdpFrame(t, src, l2TestMAC, netip.AddrPortFrom(host, 37810), netip.AddrPortFrom(l2TestIfc.Addr, 51000), []byte{0}, 0), whole},
		{"netbios broadcast: the head", l2UdpFrame(t, src, layers.EthernetBroadcast, netip.AddrPortFrom(host, 137), netip.AddrPortFrom(netip.MustParseAddr("10.9.0.255"), 137), make([]byte, 200), 0), head},
		{"tcp: the head", tcp, head},
		{"ipv6", append(append(append([]byte{}, l2TestMAC...), src...), 0x86, 0xdd, 0, 0), drop},
		{"runt", []byte{1, 2, 3}, drop},
	}
	vm, err := bpf.NewVM(passiveCore(DiscoveryPorts))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := vm.Run(tt.frame)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == whole {
				want = len(tt.frame)
			}
			if n = min(n, len(tt.frame)); n != want {
				t.Errorf("filter keeps %d bytes, want %d", n, want)
			}
		})
	}
	if _, err := PassiveFilter(); err != nil {
		t.Errorf("PassiveFilter: %v", err)
	}
}
