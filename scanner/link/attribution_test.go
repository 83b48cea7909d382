package link

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
)

// TestAttribution plays short sequences of frames to one Decoder and checks
// whose MAC the last frame's sender is given.
func TestAttribution(t *testing.T) {
	router, _ := net.ParseMAC("00:00:5e:00:01:01") // a VRRP virtual router MAC
	gwIP := netip.MustParseAddr("10.9.0.254")
	other1, other2, other3 := netip.MustParseAddr("172.16.5.5"), netip.MustParseAddr("172.16.5.6"), netip.MustParseAddr("172.16.5.7")
	group := netip.AddrPortFrom(l2SsdpGroup.Addr(), 3702)
	uni := func(mac net.HardwareAddr, src netip.Addr) []byte {
		return l2UdpFrame(t, mac, l2TestMAC, netip.AddrPortFrom(src, 3702), netip.AddrPortFrom(l2TestIfc.Addr, 50000), []byte("<x/>"), 0)
	}
	multi := func(mac net.HardwareAddr, src netip.Addr, ttl uint8) []byte {
		return l2WithTTL(l2UdpFrame(t, mac, l2SsdpMAC, netip.AddrPortFrom(src, 3702), group, []byte("<x/>"), 0), ttl)
	}
	grat := func(mac net.HardwareAddr, a netip.Addr) []byte {
		return l2ArpFrame(mac, layers.EthernetBroadcast, layers.ARPRequest, a, a)
	}
	tests := []struct {
		name     string
		opts     DecoderOptions
		frames   [][]byte
		wantMAC  string
		foreign  bool
		wantAddr netip.Addr
	}{
		{"on-subnet unicast: the sender's MAC", DecoderOptions{Interface: &l2TestIfc},
			[][]byte{uni(l2CamMAC, l2CamIP)}, l2CamMAC.String(), false, l2CamIP},
		{"factory default: unicast after its own ARP keeps its MAC", DecoderOptions{Interface: &l2TestIfc},
			[][]byte{grat(l2CamMAC, l2Factory), uni(l2CamMAC, l2Factory)}, l2CamMAC.String(), true, l2Factory},
		{"factory default's address through another MAC is routed", DecoderOptions{Interface: &l2TestIfc},
			[][]byte{grat(l2CamMAC, l2Factory), uni(router, l2Factory)}, "", false, l2Factory},
		{"off-subnet unicast without ARP is routed", DecoderOptions{Interface: &l2TestIfc},
			[][]byte{uni(router, other1)}, "", false, other1},
		{"multicast at a sender's TTL from an unknown MAC is on the link", DecoderOptions{Interface: &l2TestIfc},
			[][]byte{multi(l2CamMAC, l2Factory, 1)}, l2CamMAC.String(), true, l2Factory},
		{"a MAC that carried three off-subnet sources is a router", DecoderOptions{Interface: &l2TestIfc},
			[][]byte{uni(router, other1), uni(router, other2), multi(router, other3, 64)}, "", false, other3},
		{"the default gateway's ARP names the router", DecoderOptions{Interface: &l2TestIfc, Gateways: []netip.Addr{gwIP}},
			[][]byte{grat(router, gwIP), multi(router, other1, 64)}, "", false, other1},
		{"a configured router", DecoderOptions{Interface: &l2TestIfc, Routers: []net.HardwareAddr{router}},
			[][]byte{multi(router, other1, 1)}, "", false, other1},
		{"the router's own on-subnet address keeps its MAC", DecoderOptions{Interface: &l2TestIfc, Routers: []net.HardwareAddr{router}},
			[][]byte{uni(router, gwIP)}, router.String(), false, gwIP},
		{"without an interface every MAC is taken at its word", DecoderOptions{},
			[][]byte{uni(router, other1)}, router.String(), false, other1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(tt.opts)
			var last []Heard
			for _, f := range tt.frames {
				last = d.Decode(f, time.Unix(1, 0))
			}
			if len(last) != 1 {
				t.Fatalf("heard %+v, want one sender", last)
			}
			h := last[0]
			if h.Addr != tt.wantAddr || h.MAC != tt.wantMAC || h.Foreign != tt.foreign || h.Routed != (tt.wantMAC == "") {
				t.Errorf("heard %s mac %q foreign %v routed %v; want %s mac %q foreign %v", h.Addr, h.MAC, h.Foreign, h.Routed, tt.wantAddr, tt.wantMAC, tt.foreign)
			}
			f := l2Fields(h.Sighting)
			if got := len(f["mac"]) > 0; got != (tt.wantMAC != "") {
				t.Errorf("mac evidence %v, want it only with a MAC", f["mac"])
			}
		})
	}
}
