//go:build linux

package netlab_test

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/link"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func udp(t *testing.T, h netlab.Host, dstMAC net.HardwareAddr, src, dst netip.AddrPort, payload []byte) []byte {
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: s4[:], DstIP: d4[:]}
	u := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	_ = u.SetNetworkLayerForChecksum(ip)
	return serialize(t, &layers.Ethernet{SrcMAC: h.MAC, DstMAC: dstMAC, EthernetType: layers.EthernetTypeIPv4}, ip, u, gopacket.Payload(payload))
}

// TestLabPassive: hosts announce themselves (gratuitous ARP, DHCP
// DISCOVER, SSDP NOTIFY over multicast); the passive listener finds each,
// and the device side sees not one frame from the scanner.
func TestLabPassive(t *testing.T) {
	lab := smallLab(t, 3)
	filter, err := link.PassiveFilter()
	if err != nil {
		t.Fatal(err)
	}
	conn, ifc, err := lab.OpenScannerFrames(link.FrameOptions{AllMulticast: true, Filter: filter})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	capture, err := lab.CaptureScanner()
	if err != nil {
		t.Fatal(err)
	}
	p := link.NewPassive(link.ListenOnly(conn), link.DecoderOptions{Interface: &ifc}, zerolog.Nop())

	arpHost, dhcpHost, ssdpHost := lab.Hosts[0], lab.Hosts[1], lab.Hosts[2]
	grat := netlab.GratuitousARP(arpHost.MAC, arpHost.Addr)
	dhcp := &layers.DHCPv4{Operation: layers.DHCPOpRequest, HardwareType: layers.LinkTypeEthernet, HardwareLen: 6, Xid: 7,
		ClientHWAddr: dhcpHost.MAC, ClientIP: net.IPv4zero, YourClientIP: net.IPv4zero, NextServerIP: net.IPv4zero, RelayAgentIP: net.IPv4zero,
		Options: layers.DHCPOptions{
			layers.NewDHCPOption(layers.DHCPOptMessageType, []byte{byte(layers.DHCPMsgTypeDiscover)}),
			layers.NewDHCPOption(layers.DHCPOptHostname, []byte("IPC-HDW2431T")),
			layers.NewDHCPOption(layers.DHCPOptClassID, []byte("dahua-ipc")),
		}}
	dhcpBytes := serialize(t, dhcp)
	discover := udp(t, dhcpHost, layers.EthernetBroadcast, netip.AddrPortFrom(netip.IPv4Unspecified(), 68),
		netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), 67), dhcpBytes)
	notify := udp(t, ssdpHost, net.HardwareAddr{0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa}, netip.AddrPortFrom(ssdpHost.Addr, 1900),
		netip.MustParseAddrPort("239.255.255.250:1900"),
		[]byte("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nLOCATION: http://"+ssdpHost.Addr.String()+"/desc.xml\r\nNTS: ssdp:alive\r\nSERVER: Linux UPnP/1.0 Axis\r\n\r\n"))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	got := map[string]map[string]string{} // MAC -> field -> value
	addrs := map[string]netip.Addr{}
	done := make(chan error, 1)
	go func() {
		done <- p.Listen(ctx, func(s scanner.Sighting) {
			mu.Lock()
			defer mu.Unlock()
			if got[s.MAC] == nil {
				got[s.MAC] = map[string]string{}
			}
			for _, e := range s.Evidence {
				got[s.MAC][e.Field] = e.Value
			}
			if s.Addr.IsValid() {
				addrs[s.MAC] = s.Addr
			}
			if len(got) >= 3 && got[dhcpHost.MAC.String()]["dhcp.hostname"] != "" && got[ssdpHost.MAC.String()]["ssdp.server"] != "" {
				cancel()
			}
		})
	}()
	// The listener may not be reading yet: announce until heard, as
	// devices repeat their announcements.
	for i := 0; ctx.Err() == nil && i < 20; i++ {
		for _, a := range []struct {
			h netlab.Host
			f []byte
		}{{arpHost, grat}, {dhcpHost, discover}, {ssdpHost, notify}} {
			if err := lab.SendFrom(a.h, a.f); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sent := capture.Stop()

	mu.Lock()
	defer mu.Unlock()
	if addrs[arpHost.MAC.String()] != arpHost.Addr {
		t.Errorf("gratuitous ARP: %s seen at %v, want %s", arpHost.MAC, addrs[arpHost.MAC.String()], arpHost.Addr)
	}
	if g := got[dhcpHost.MAC.String()]; g["dhcp.hostname"] != "IPC-HDW2431T" || g["dhcp.vendor_class"] != "dahua-ipc" {
		t.Errorf("DHCP DISCOVER: evidence %v", g)
	}
	if g := got[ssdpHost.MAC.String()]; g["ssdp.server"] != "Linux UPnP/1.0 Axis" || addrs[ssdpHost.MAC.String()] != ssdpHost.Addr {
		t.Errorf("SSDP NOTIFY over multicast: evidence %v at %v", g, addrs[ssdpHost.MAC.String()])
	}
	if len(sent) != 0 {
		t.Errorf("passive listening put %d frames on the wire", len(sent))
	}
	t.Logf("passive: %+v; frames from the scanner on the wire: %d", p.Stats(), len(sent))
}
