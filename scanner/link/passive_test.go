package link

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/rs/zerolog"
)

var (
	l2CamMAC, _    = net.ParseMAC("44:47:cc:00:00:64")
	l2ServerMAC, _ = net.ParseMAC("98:e7:43:00:00:01")
	l2CamIP        = netip.MustParseAddr("10.9.0.64")
	l2SsdpGroup    = netip.AddrPortFrom(netip.MustParseAddr("239.255.255.250"), 1900)
	l2Bcast        = netip.MustParseAddr("255.255.255.255")
	l2Factory      = netip.MustParseAddr("192.168.1.64")
	l2SsdpMAC      = net.HardwareAddr{0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa}
)

// l2WithTTL rewrites an IPv4 frame's TTL (its header checksum is not
// read by the decoder).
func l2WithTTL(frame []byte, ttl uint8) []byte {
	frame[14+8] = ttl
	return frame
}

// l2TCPHead is the first PassiveHeadBytes of a TCP segment's frame, as the
// passive filter delivers it.
func l2TCPHead(t testing.TB, srcMAC, dstMAC net.HardwareAddr, src, dst netip.Addr) []byte {
	t.Helper()
	s4, d4 := src.As4(), dst.As4()
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: s4[:], DstIP: d4[:]}
	tcp := &layers.TCP{SrcPort: 443, DstPort: 50123, ACK: true, Window: 1024}
	_ = tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		&layers.Ethernet{SrcMAC: srcMAC, DstMAC: dstMAC, EthernetType: layers.EthernetTypeIPv4}, ip, tcp, gopacket.Payload(bytes.Repeat([]byte("x"), 400))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()[:PassiveHeadBytes]
}

func l2DhcpFrame(t testing.TB, src net.HardwareAddr, from, to netip.AddrPort, d *layers.DHCPv4) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := d.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	return l2UdpFrame(t, src, layers.EthernetBroadcast, from, to, buf.Bytes(), 0)
}

func l2DhcpMsg(op layers.DHCPOp, chaddr net.HardwareAddr, opts ...layers.DHCPOption) *layers.DHCPv4 {
	return &layers.DHCPv4{Operation: op, HardwareType: layers.LinkTypeEthernet, HardwareLen: 6,
		ClientHWAddr: chaddr, ClientIP: net.IPv4zero, YourClientIP: net.IPv4zero, NextServerIP: net.IPv4zero, RelayAgentIP: net.IPv4zero,
		Options: opts}
}

func l2MdnsResponse(t testing.TB) []byte {
	t.Helper()
	d := &layers.DNS{QR: true, AA: true, Answers: []layers.DNSResourceRecord{
		{Name: []byte("_axis-video._tcp.local"), Type: layers.DNSTypePTR, Class: layers.DNSClassIN, TTL: 120, PTR: []byte("AXIS M3106 - B8A44F000001._axis-video._tcp.local")},
		{Name: []byte("AXIS M3106 - B8A44F000001._axis-video._tcp.local"), Type: layers.DNSTypeSRV, Class: layers.DNSClassIN, TTL: 120, SRV: layers.DNSSRV{Port: 80, Name: []byte("axis-b8a44f000001.local")}},
		{Name: []byte("AXIS M3106 - B8A44F000001._axis-video._tcp.local"), Type: layers.DNSTypeTXT, Class: layers.DNSClassIN, TTL: 120, TXTs: [][]byte{[]byte("macaddress=B8A44F000001"), []byte("path=/")}},
		{Name: []byte("axis-b8a44f000001.local"), Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 120, IP: net.IPv4(10, 9, 0, 90)},
	}}
	buf := gopacket.NewSerializeBuffer()
	if err := d.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const l2HelloXML = `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<s:Header><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</a:Action></s:Header>
<s:Body><d:Hello><a:EndpointReference><a:Address>urn:uuid:11223344-5566-7788-99aa-44a642000001</a:Address></a:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter</d:Types>
<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/HIKVISION%20DS-2CD2143G2-I onvif://www.onvif.org/hardware/DS-2CD2143G2-I</d:Scopes>
<d:XAddrs>http://10.9.0.64/onvif/device_service</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:Hello></s:Body></s:Envelope>`

func l2Fields(s scanner.Sighting) map[string][]string {
	m := map[string][]string{}
	for _, e := range s.Evidence {
		if e.Probe != "passive" {
			m["bad probe "+e.Probe] = append(m["bad probe "+e.Probe], e.Field)
		}
		m[e.Field] = append(m[e.Field], e.Value)
	}
	return m
}

func TestDecodePassive(t *testing.T) {
	zero := netip.AddrPortFrom(netip.IPv4Unspecified(), 68)
	dhcpServer := netip.AddrPortFrom(netip.MustParseAddr("10.9.0.1"), 67)
	tests := []struct {
		name   string
		frame  []byte
		want   []string // "addr mac" per sighting
		fields map[string][]string
	}{
		{
			name:   "gratuitous ARP",
			frame:  l2ArpFrame(l2CamMAC, layers.EthernetBroadcast, layers.ARPRequest, l2CamIP, l2CamIP),
			want:   []string{"10.9.0.64 44:47:cc:00:00:64"},
			fields: map[string][]string{"mac": {"44:47:cc:00:00:64"}, "passive.heard": {"arp"}},
		},
		{
			name:   "gratuitous ARP from a factory default on another subnet: the sender's own MAC",
			frame:  l2ArpFrame(l2CamMAC, layers.EthernetBroadcast, layers.ARPRequest, l2Factory, l2Factory),
			want:   []string{"192.168.1.64 44:47:cc:00:00:64"},
			fields: map[string][]string{"mac": {"44:47:cc:00:00:64"}, "passive.heard": {"arp"}, "passive.foreign_subnet": {"true"}},
		},
		{
			name:  "ARP probe has no sender address yet",
			frame: l2ArpFrame(l2CamMAC, layers.EthernetBroadcast, layers.ARPRequest, netip.IPv4Unspecified(), l2CamIP),
		},
		{
			name: "DHCP DISCOVER: MAC only, host name and vendor class",
			frame: l2DhcpFrame(t, l2CamMAC, zero, netip.AddrPortFrom(l2Bcast, 67), l2DhcpMsg(layers.DHCPOpRequest, l2CamMAC,
				layers.NewDHCPOption(layers.DHCPOptMessageType, []byte{byte(layers.DHCPMsgTypeDiscover)}),
				layers.NewDHCPOption(layers.DHCPOptHostname, []byte("DS-2CD2143G2-I")),
				layers.NewDHCPOption(layers.DHCPOptClassID, []byte("udhcp 1.20.2")))),
			want: []string{"invalid IP 44:47:cc:00:00:64"},
			fields: map[string][]string{"mac": {"44:47:cc:00:00:64"}, "dhcp.hostname": {"DS-2CD2143G2-I"},
				"hostname": {"DS-2CD2143G2-I"}, "dhcp.vendor_class": {"udhcp 1.20.2"}, "passive.heard": {"dhcp"}},
		},
		{
			name: "DHCP REQUEST names the requested address",
			frame: l2DhcpFrame(t, l2CamMAC, zero, netip.AddrPortFrom(l2Bcast, 67), l2DhcpMsg(layers.DHCPOpRequest, l2CamMAC,
				layers.NewDHCPOption(layers.DHCPOptMessageType, []byte{byte(layers.DHCPMsgTypeRequest)}),
				layers.NewDHCPOption(layers.DHCPOptRequestIP, []byte{10, 9, 0, 64}))),
			want:   []string{"10.9.0.64 44:47:cc:00:00:64"},
			fields: map[string][]string{"mac": {"44:47:cc:00:00:64"}, "passive.heard": {"dhcp"}},
		},
		{
			name: "DHCP ACK names the client, and the server is l2Seen too",
			frame: func() []byte {
				d := l2DhcpMsg(layers.DHCPOpReply, l2CamMAC, layers.NewDHCPOption(layers.DHCPOptMessageType, []byte{byte(layers.DHCPMsgTypeAck)}))
				d.YourClientIP = net.IPv4(10, 9, 0, 64)
				return l2DhcpFrame(t, l2ServerMAC, dhcpServer, netip.AddrPortFrom(l2Bcast, 68), d)
			}(),
			want:   []string{"10.9.0.64 44:47:cc:00:00:64", "10.9.0.1 98:e7:43:00:00:01"},
			fields: map[string][]string{"mac": {"44:47:cc:00:00:64"}, "passive.heard": {"dhcp"}},
		},
		{
			name:   "DHCP OFFER is not a sighting of the client, only of the server",
			frame:  l2DhcpFrame(t, l2ServerMAC, dhcpServer, netip.AddrPortFrom(l2Bcast, 68), l2DhcpMsg(layers.DHCPOpReply, l2CamMAC, layers.NewDHCPOption(layers.DHCPOptMessageType, []byte{byte(layers.DHCPMsgTypeOffer)}))),
			want:   []string{"10.9.0.1 98:e7:43:00:00:01"},
			fields: map[string][]string{"mac": {"98:e7:43:00:00:01"}, "passive.heard": {"dhcp"}},
		},
		{
			name:   "undecodable DHCP still places its sender",
			frame:  l2UdpFrame(t, l2CamMAC, layers.EthernetBroadcast, netip.AddrPortFrom(l2CamIP, 68), netip.AddrPortFrom(l2Bcast, 67), []byte("not dhcp"), 0),
			want:   []string{"10.9.0.64 44:47:cc:00:00:64"},
			fields: map[string][]string{"mac": {"44:47:cc:00:00:64"}, "passive.heard": {"dhcp"}},
		},
		{
			name:   "NetBIOS name service broadcast: nothing decoded, the host is placed",
			frame:  l2UdpFrame(t, l2ServerMAC, layers.EthernetBroadcast, netip.AddrPortFrom(netip.MustParseAddr("10.9.0.33"), 137), netip.AddrPortFrom(netip.MustParseAddr("10.9.0.255"), 137), []byte{0x80, 0x01, 0x01, 0x10}, 0),
			want:   []string{"10.9.0.33 98:e7:43:00:00:01"},
			fields: map[string][]string{"mac": {"98:e7:43:00:00:01"}, "passive.heard": {"udp"}},
		},
		{
			name:   "the head of a TCP segment (what the filter lets through) places the host",
			frame:  l2TCPHead(t, l2ServerMAC, l2TestMAC, netip.MustParseAddr("10.9.0.34"), l2TestIfc.Addr),
			want:   []string{"10.9.0.34 98:e7:43:00:00:01"},
			fields: map[string][]string{"mac": {"98:e7:43:00:00:01"}, "passive.heard": {"tcp"}},
		},
		{
			name:   "unicast from another subnet came through a router: no MAC",
			frame:  l2UdpFrame(t, l2ServerMAC, l2TestMAC, netip.AddrPortFrom(netip.MustParseAddr("172.16.5.5"), 37810), netip.AddrPortFrom(l2TestIfc.Addr, 50000), []byte("junk"), 0),
			want:   []string{"172.16.5.5 "},
			fields: map[string][]string{"passive.heard": {"dhip"}},
		},
		{
			name:  "mDNS answer",
			frame: l2UdpFrame(t, l2CamMAC, layers.EthernetBroadcast, netip.AddrPortFrom(netip.MustParseAddr("10.9.0.90"), 5353), netip.AddrPortFrom(netip.MustParseAddr("224.0.0.251"), 5353), l2MdnsResponse(t), 0),
			want:  []string{"10.9.0.90 44:47:cc:00:00:64"},
			fields: map[string][]string{
				"mac": {"44:47:cc:00:00:64"}, "mdns.service": {"_axis-video._tcp.local"},
				"mdns.instance": {"AXIS M3106 - B8A44F000001._axis-video._tcp.local"},
				"mdns.host":     {"axis-b8a44f000001.local"}, "mdns.txt": {"macaddress=B8A44F000001", "path=/"},
				"hostname": {"axis-b8a44f000001"}, "passive.heard": {"mdns"},
			},
		},
		{
			name: "SSDP NOTIFY",
			frame: l2UdpFrame(t, l2CamMAC, layers.EthernetBroadcast, netip.AddrPortFrom(l2CamIP, 1900), l2SsdpGroup,
				[]byte("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\nLOCATION: http://10.9.0.64:49152/rootDesc.xml\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\nSERVER: Linux/3.0, UPnP/1.0, Hikvision-Webs\r\nUSN: uuid:x::upnp:rootdevice\r\n\r\n"), 0),
			want:   []string{"10.9.0.64 44:47:cc:00:00:64"},
			fields: map[string][]string{"mac": {"44:47:cc:00:00:64"}, "ssdp.server": {"Linux/3.0, UPnP/1.0, Hikvision-Webs"}, "ssdp.location": {"http://10.9.0.64:49152/rootDesc.xml"}, "passive.heard": {"ssdp"}},
		},
		{
			name: "SSDP NOTIFY from a factory default on this link (multicast at a sender's TTL)",
			frame: l2UdpFrame(t, l2CamMAC, l2SsdpMAC, netip.AddrPortFrom(l2Factory, 1900), l2SsdpGroup,
				[]byte("NOTIFY * HTTP/1.1\r\nNTS: ssdp:alive\r\nSERVER: Linux/3.0, UPnP/1.0, Hikvision-Webs\r\n\r\n"), 0),
			want: []string{"192.168.1.64 44:47:cc:00:00:64"},
			fields: map[string][]string{"mac": {"44:47:cc:00:00:64"}, "ssdp.server": {"Linux/3.0, UPnP/1.0, Hikvision-Webs"},
				"passive.heard": {"ssdp"}, "passive.foreign_subnet": {"true"}},
		},
		{
			name: "multicast routed from another subnet (TTL one less than a sender's): no MAC",
			frame: l2WithTTL(l2UdpFrame(t, l2ServerMAC, l2SsdpMAC, netip.AddrPortFrom(netip.MustParseAddr("172.16.5.6"), 1900), l2SsdpGroup,
				[]byte("NOTIFY * HTTP/1.1\r\nNTS: ssdp:alive\r\nSERVER: x\r\n\r\n"), 0), 3),
			want:   []string{"172.16.5.6 "},
			fields: map[string][]string{"ssdp.server": {"x"}, "passive.heard": {"ssdp"}},
		},
		{
			name: "SSDP byebye: the host is l2Seen, nothing more",
			frame: l2UdpFrame(t, l2CamMAC, layers.EthernetBroadcast, netip.AddrPortFrom(l2CamIP, 1900), l2SsdpGroup,
				[]byte("NOTIFY * HTTP/1.1\r\nNTS: ssdp:byebye\r\nSERVER: x\r\n\r\n"), 0),
			want:   []string{"10.9.0.64 44:47:cc:00:00:64"},
			fields: map[string][]string{"mac": {"44:47:cc:00:00:64"}, "passive.heard": {"ssdp"}},
		},
		{
			name:  "WS-Discovery Hello",
			frame: l2UdpFrame(t, l2CamMAC, layers.EthernetBroadcast, netip.AddrPortFrom(l2CamIP, 3702), netip.AddrPortFrom(l2SsdpGroup.Addr(), 3702), []byte(l2HelloXML), 0),
			want:  []string{"10.9.0.64 44:47:cc:00:00:64"},
			fields: map[string][]string{
				"mac": {"44:47:cc:00:00:64"}, "wsd.endpoint": {"urn:uuid:11223344-5566-7788-99aa-44a642000001"},
				"wsd.types": {"dn:NetworkVideoTransmitter"}, "wsd.xaddrs": {"http://10.9.0.64/onvif/device_service"},
				"wsd.scope": {"onvif://www.onvif.org/type/video_encoder", "onvif://www.onvif.org/name/HIKVISION%20DS-2CD2143G2-I", "onvif://www.onvif.org/hardware/DS-2CD2143G2-I"},
				"wsd.name":  {"HIKVISION DS-2CD2143G2-I"}, "wsd.hardware": {"DS-2CD2143G2-I"}, "passive.heard": {"wsd"},
			},
		},
		{
			name: "SADP announcement",
			frame: l2UdpFrame(t, l2CamMAC, layers.EthernetBroadcast, netip.AddrPortFrom(l2CamIP, 37020), netip.AddrPortFrom(l2SsdpGroup.Addr(), 37020),
				[]byte(`<?xml version="1.0" encoding="UTF-8"?><ProbeMatch><Types>hello</Types><DeviceType>139</DeviceType><DeviceDescription>DS-2CD2143G2-I</DeviceDescription><DeviceSN>DS-2CD2143G2-I20230101AAWRJ00001</DeviceSN><MAC>44-47-cc-00-00-64</MAC><SoftwareVersion>V5.7.3build 220112</SoftwareVersion></ProbeMatch>`), 0),
			want: []string{"10.9.0.64 44:47:cc:00:00:64"},
			fields: map[string][]string{
				"mac": {"44:47:cc:00:00:64"}, "sadp.model": {"DS-2CD2143G2-I"}, "sadp.serial": {"DS-2CD2143G2-I20230101AAWRJ00001"},
				"sadp.firmware": {"V5.7.3build 220112"}, "sadp.device_type": {"139"}, "sadp.mac": {"44:47:cc:00:00:64"}, "passive.heard": {"sadp"},
			},
		},
		{
			name:   "a lone fragment places its sender; its content waits for the rest",
			frame:  l2UdpFrame(t, l2CamMAC, layers.EthernetBroadcast, netip.AddrPortFrom(l2CamIP, 1900), l2SsdpGroup, []byte("NOTIFY * HTTP/1.1\r\n\r\n"), 185),
			want:   []string{"10.9.0.64 44:47:cc:00:00:64"},
			fields: map[string][]string{"mac": {"44:47:cc:00:00:64"}, "passive.heard": {"udp"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := NewDecoder(DecoderOptions{Interface: &l2TestIfc}).Decode(tt.frame, time.Unix(1, 0))
			var ss []scanner.Sighting
			for _, h := range hs {
				ss = append(ss, h.Sighting)
			}
			var got []string
			for _, s := range ss {
				got = append(got, s.Addr.String()+" "+s.MAC)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("sightings = %q, want %q", got, tt.want)
			}
			if len(ss) == 0 {
				return
			}
			f := l2Fields(ss[0])
			for k, v := range tt.fields {
				if !slices.Equal(f[k], v) {
					t.Errorf("%s = %q, want %q", k, f[k], v)
				}
			}
			for k := range f {
				if _, ok := tt.fields[k]; !ok {
					t.Errorf("unexpected field %s = %q", k, f[k])
				}
			}
		})
	}
}

func TestPassiveListen(t *testing.T) {
	grat := l2ArpFrame(l2CamMAC, layers.EthernetBroadcast, layers.ARPRequest, l2CamIP, l2CamIP)
	routed := l2UdpFrame(t, l2ServerMAC, l2TestMAC, netip.AddrPortFrom(netip.MustParseAddr("172.16.5.5"), 37810), netip.AddrPortFrom(l2TestIfc.Addr, 50000), []byte("junk"), 0)
	rp := l2Replay(t, grat, grat, grat, routed, []byte{1, 2, 3})
	p := NewPassive(rp, DecoderOptions{Interface: &l2TestIfc}, zerolog.Nop())
	var got []string
	if err := p.Listen(context.Background(), func(s scanner.Sighting) { got = append(got, s.Addr.String()+" "+s.MAC) }); err != nil {
		t.Fatal(err)
	}
	want := []string{"10.9.0.64 44:47:cc:00:00:64", "172.16.5.5 "}
	if !slices.Equal(got, want) {
		t.Errorf("sightings = %q, want %q (repeats reported once, routed source without the router's MAC)", got, want)
	}
	if len(rp.Written()) != 0 {
		t.Errorf("passive wrote %d frames", len(rp.Written()))
	}
	if st := p.Stats(); st.Frames != 5 || st.Sightings != 2 || st.Decoded != 4 || st.Routed != 1 {
		t.Errorf("stats = %+v", st)
	}
}

// TestPassiveListenKeep: what keep refuses is not reported.
func TestPassiveListenKeep(t *testing.T) {
	grat := l2ArpFrame(l2CamMAC, layers.EthernetBroadcast, layers.ARPRequest, l2CamIP, l2CamIP)
	routed := l2UdpFrame(t, l2ServerMAC, l2TestMAC, netip.AddrPortFrom(netip.MustParseAddr("8.8.8.8"), 53), netip.AddrPortFrom(l2TestIfc.Addr, 50000), []byte("dns"), 0)
	p := NewPassive(l2Replay(t, grat, routed), DecoderOptions{Interface: &l2TestIfc}, zerolog.Nop())
	var got []string
	keep := func(h Heard) bool { return !h.Routed }
	if err := p.ListenKeep(context.Background(), keep, func(s scanner.Sighting) { got = append(got, s.Addr.String()) }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"10.9.0.64"}) {
		t.Errorf("sightings %v, want the camera alone", got)
	}
}

// l2Replay is a pcap replay of frames.
func l2Replay(t testing.TB, frames ...[]byte) *Replay {
	t.Helper()
	var buf bytes.Buffer
	pw := pcapgo.NewWriter(&buf)
	if err := pw.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := pw.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: len(f), Length: len(f)}, f); err != nil {
			t.Fatal(err)
		}
	}
	rp, err := NewReplay(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

// FuzzDecodePassive feeds a sequence of frames (each prefixed by its
// 16-bit length) to one Decoder, so that reassembly and attribution state
// carry over between them as on the wire.
func FuzzDecodePassive(f *testing.F) {
	seed := l2Sequence
	hello := l2UdpFrame(f, l2CamMAC, l2SsdpMAC, netip.AddrPortFrom(l2CamIP, 3702), netip.AddrPortFrom(l2SsdpGroup.Addr(), 3702), []byte(l2LongHello(2000)), 0)
	f.Add(seed(l2ArpFrame(l2CamMAC, layers.EthernetBroadcast, layers.ARPRequest, l2CamIP, l2CamIP)))
	f.Add(seed(l2Fragments(f, hello, 1500)...))
	frags := l2Fragments(f, hello, 576)
	slices.Reverse(frags)
	f.Add(seed(frags...))
	f.Add(seed(l2ArpFrame(l2CamMAC, layers.EthernetBroadcast, layers.ARPRequest, l2Factory, l2Factory),
		l2UdpFrame(f, l2CamMAC, l2TestMAC, netip.AddrPortFrom(l2Factory, 3702), netip.AddrPortFrom(l2TestIfc.Addr, 3702), []byte(l2HelloXML), 0)))
	f.Add(seed(l2UdpFrame(f, l2CamMAC, layers.EthernetBroadcast, netip.AddrPortFrom(l2CamIP, 5353), netip.AddrPortFrom(l2SsdpGroup.Addr(), 5353), l2MdnsResponse(f), 0)))
	f.Add(seed(l2UdpFrame(f, l2CamMAC, layers.EthernetBroadcast, netip.AddrPortFrom(l2CamIP, 1900), l2SsdpGroup, []byte("NOTIFY * HTTP/1.1\r\nSERVER: a\r\n\r\n"), 0)))
	f.Add(seed(l2DhcpFrame(f, l2CamMAC, netip.AddrPortFrom(netip.IPv4Unspecified(), 68), netip.AddrPortFrom(l2Bcast, 67), l2DhcpMsg(layers.DHCPOpRequest, l2CamMAC, layers.NewDHCPOption(layers.DHCPOptHostname, []byte("cam"))))))
	f.Add(seed(l2TCPHead(f, l2ServerMAC, l2TestMAC, netip.MustParseAddr("10.9.0.34"), l2TestIfc.Addr)))
	lim := DefragLimits{Datagrams: 4, Fragments: 8, Bytes: 8192, Timeout: time.Second}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(DecoderOptions{Interface: &l2TestIfc, Defrag: lim})
		at := time.Unix(1000, 0)
		for len(data) >= 2 {
			n := int(data[0])<<8 | int(data[1])
			data = data[2:]
			if n > len(data) {
				n = len(data)
			}
			frame := data[:n]
			data = data[n:]
			at = at.Add(100 * time.Millisecond)
			for _, h := range d.Decode(frame, at) {
				if h.MAC == "" && !h.Routed && h.Addr.IsValid() {
					t.Fatalf("%s heard without a MAC and not routed", h.Addr)
				}
				for _, e := range h.Evidence {
					if len(e.Value) > value.MaxLen*4 || e.Value == "" || e.Probe != "passive" {
						t.Fatalf("bad evidence %+v", e)
					}
				}
			}
			st := d.Stats().Defrag
			if st.Held > lim.Datagrams || st.HeldBytes > lim.Bytes || st.HeldBytes < 0 {
				t.Fatalf("reassembly holds %d datagrams, %d bytes: limits %+v", st.Held, st.HeldBytes, lim)
			}
		}
	})
}
