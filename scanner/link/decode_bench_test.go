package link

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
)

// BenchmarkDecode: what one frame costs the listener, by kind. The
// baseline is the same Hello unfragmented: "hello-2-fragments" is what
// reassembly adds for a long Hello (both fragments decoded per op).
func BenchmarkDecode(b *testing.B) {
	hello := l2UdpFrame(b, l2CamMAC, l2SsdpMAC, netip.AddrPortFrom(l2CamIP, 3702), netip.AddrPortFrom(l2SsdpGroup.Addr(), 3702), []byte(l2LongHello(1650)), 0)
	frags := l2Fragments(b, hello, 1500)
	cases := []struct {
		name   string
		frames [][]byte
	}{
		{"arp", [][]byte{l2ArpFrame(l2CamMAC, layers.EthernetBroadcast, layers.ARPRequest, l2CamIP, l2CamIP)}},
		{"tcp-head", [][]byte{l2TCPHead(b, l2ServerMAC, l2TestMAC, netip.MustParseAddr("10.9.0.34"), l2TestIfc.Addr)}},
		{"hello-unfragmented", [][]byte{hello}},
		{"hello-2-fragments", frags},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			d := NewDecoder(DecoderOptions{Interface: &l2TestIfc})
			at := time.Unix(1, 0)
			b.ReportAllocs()
			for b.Loop() {
				for _, f := range c.frames {
					d.Decode(f, at)
				}
			}
		})
	}
}
