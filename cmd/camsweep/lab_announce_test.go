//go:build linux

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/camsweep/camsweep/scanner/scantest"
	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

// announcer is one emulated host of an announcing lab: what it sends of
// its own accord, and when it sent it.
type announcer struct {
	host netlab.Host
	kind string // what it announces by (the population table below)
	// decodable: what it sends carries something a listener can read
	// beyond the sender's address and MAC.
	decodable bool
	period    time.Duration
	phase     time.Duration
	// send sends one announcement from h, the host as the lab made it.
	send func(lab *netlab.Lab, h netlab.Host) error

	mu   sync.Mutex
	sent []time.Time
}

func sendGratuitousARP(lab *netlab.Lab, h netlab.Host) error {
	return lab.SendFrom(h, netlab.GratuitousARP(h.MAC, h.Addr))
}

func (a *announcer) sentBetween(from, to time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, t := range a.sent {
		if !t.Before(from) && !t.After(to) {
			return true
		}
	}
	return false
}

// announcerKinds is the announcing lab's population, 120 hosts as in the
// issue that asked for it: 42 cameras that announce only by WS-Discovery
// Hellos longer than the MTU, 3 cameras left on factory defaults of
// another subnet, hosts heard by gratuitous ARP, DHCP, mDNS, SSDP, SADP
// and DHIP, and hosts whose every frame is something the listener does
// not decode (NetBIOS, LLMNR, garbage on the discovery ports).
var announcerKinds = []struct {
	kind string
	n    int
}{
	{"wsd-hello-fragmented", 42}, {"factory-default", 3}, {"gratuitous-arp", 14}, {"dhcp-request", 10},
	{"mdns", 8}, {"ssdp-notify", 10}, {"sadp", 8}, {"dhip", 8},
	{"netbios", 6}, {"llmnr", 5}, {"garbage-wsd", 3}, {"malformed-dhcp", 3},
}

// announcingLab builds a lab on prefix (a /24) whose hosts announce
// themselves every 10-30 s once runAnnouncers starts them.
func announcingLab(t testing.TB, prefix netip.Prefix, seed uint64) (*netlab.Lab, []*announcer) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 13))
	pick := func(pred func(scantest.Persona) bool) []scantest.Persona {
		all, err := scantest.Personas()
		if err != nil {
			t.Fatal(err)
		}
		var out []scantest.Persona
		for _, p := range all {
			if pred(p) {
				out = append(out, p)
			}
		}
		if len(out) == 0 {
			t.Fatal("no persona fits")
		}
		return out
	}
	onvif := pick(func(p scantest.Persona) bool { return p.ONVIF != nil && p.Hostile == "" })
	mdns := pick(func(p scantest.Persona) bool { return len(p.MDNS) > 0 })
	sadp := pick(func(p scantest.Persona) bool { return p.SADP != nil })
	dhip := pick(func(p scantest.Persona) bool { return p.DHIP != nil })
	hik, _ := scantest.PersonaByName("hikvision-ds-2cd2143g2-i")
	dahua, _ := scantest.PersonaByName("dahua-ipc-hdw2431t-as-s2")

	var anns []*announcer
	addr := prefix.Masked().Addr()
	for range 9 {
		addr = addr.Next()
	}
	foreign := []netip.Addr{netip.MustParseAddr("192.168.1.64"), netip.MustParseAddr("192.168.1.108"), netip.MustParseAddr("192.168.1.65")}
	n := 0
	add := func(a *announcer) {
		a.period = 10*time.Second + time.Duration(rnd.Int64N(int64(20*time.Second)))
		a.phase = time.Duration(rnd.Int64N(int64(a.period)))
		anns = append(anns, a)
	}
	for _, k := range announcerKinds {
		for i := range k.n {
			n++
			var h netlab.Host
			if k.kind == "factory-default" {
				h = netlab.Host{Addr: foreign[i], Prefix: netip.MustParsePrefix("192.168.1.0/24")}
			} else {
				addr = addr.Next()
				h = netlab.Host{Addr: addr}
			}
			a := &announcer{kind: k.kind, decodable: true}
			persona := func(ps []scantest.Persona) (scantest.Persona, string) {
				p := ps[i%len(ps)]
				mac := labMAC(p.MAC, n)
				h.MAC, h.Vendor = mac, p.Truth.Manufacturer
				v := scantest.Vars{Serial: fmt.Sprintf("%s%05d", strings.ToUpper(p.Truth.Model), n), MAC: mac.String(), IP: h.Addr}
				return v.Expand(p), mac.String()
			}
			announce := func(p scantest.Persona, mac string, proto string, helloBytes int) {
				for _, an := range scantest.Announcements(p, mac, h.Addr, scantest.AnnounceOptions{HelloBytes: helloBytes}) {
					if an.Proto == proto {
						prev := a.send
						a.send = func(lab *netlab.Lab, h netlab.Host) error {
							if prev != nil {
								if err := prev(lab, h); err != nil {
									return err
								}
							}
							return lab.SendUDP(h, an.SrcPort, an.Dst, an.Payload)
						}
					}
				}
				if a.send == nil {
					t.Fatalf("persona %s has no %s announcement", p.Name, proto)
				}
			}
			switch k.kind {
			case "wsd-hello-fragmented":
				p, mac := persona(onvif)
				announce(p, mac, "wsd", 1500+rnd.IntN(200))
			case "factory-default":
				p, mac := persona([]scantest.Persona{hik, dahua, hik})
				a.send = sendGratuitousARP
				switch i {
				case 0:
					announce(p, mac, "sadp", 0)
				case 1:
					announce(p, mac, "dhip", 0)
				default:
					announce(p, mac, "wsd", 1600)
				}
			case "gratuitous-arp":
				h.MAC, h.Vendor = netlab.VendorMAC([]string{"Dell", "HP"}[i%2], 0x100+n), "PC"
				a.send = sendGratuitousARP
			case "dhcp-request":
				h.MAC, h.Vendor = netlab.VendorMAC([]string{"Dell", "HP"}[i%2], 0x100+n), "PC"
				frame := dhcpRequest(t, h, fmt.Sprintf("WS-%04d", n), []string{"MSFT 5.0", "udhcp 1.31.1"}[i%2])
				a.send = func(lab *netlab.Lab, h netlab.Host) error { return lab.SendFrom(h, frame) }
			case "mdns":
				p, mac := persona(mdns)
				announce(p, mac, "mdns", 0)
			case "ssdp-notify":
				h.MAC, h.Vendor = netlab.VendorMAC("HP", 0x200+n), "HP"
				notify := scantest.SSDPNotify("Linux/4.9, UPnP/1.0, HP LaserJet/1.0", fmt.Sprintf("uuid:2c1c4a0e-7a2b-4c7e-9d0f-%012x", n), "http://"+h.Addr.String()+":8080/DeviceDescription.xml")
				a.send = func(lab *netlab.Lab, h netlab.Host) error {
					return lab.SendUDP(h, 1900, netip.MustParseAddrPort("239.255.255.250:1900"), notify)
				}
			case "sadp":
				p, mac := persona(sadp)
				announce(p, mac, "sadp", 0)
			case "dhip":
				p, mac := persona(dhip)
				announce(p, mac, "dhip", 0)
			case "netbios", "llmnr", "garbage-wsd", "malformed-dhcp":
				a.decodable = false
				h.MAC, h.Vendor = netlab.VendorMAC([]string{"Dell", "HP"}[i%2], 0x300+n), "PC"
				payload := undecodable(k.kind, n)
				var src uint16
				var dst netip.AddrPort
				switch k.kind {
				case "netbios":
					src, dst = 137, netip.AddrPortFrom(broadcastOf(prefix), 137)
				case "llmnr":
					src, dst = uint16(49152+n), netip.MustParseAddrPort("224.0.0.252:5355")
				case "garbage-wsd":
					src, dst = uint16(49152+n), netip.MustParseAddrPort("239.255.255.250:3702")
				case "malformed-dhcp":
					src, dst = 68, netip.MustParseAddrPort("255.255.255.255:67")
				}
				a.send = func(lab *netlab.Lab, h netlab.Host) error { return lab.SendUDP(h, src, dst, payload) }
			}
			a.host = h
			add(a)
		}
	}
	hosts := make([]netlab.Host, len(anns))
	for i, a := range anns {
		hosts[i] = a.host
	}
	lab := netlab.New(t, netlab.Config{Prefix: prefix, Hosts: hosts})
	for i := range anns {
		anns[i].host = lab.Hosts[i] // with its link name
	}
	return lab, anns
}

// runAnnouncers sends each host's announcement at its phase and then every
// period until ctx ends. A send that fails is reported through errf.
func runAnnouncers(ctx context.Context, lab *netlab.Lab, anns []*announcer, errf func(string, ...any)) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, a := range anns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wait := a.phase
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
				if err := a.send(lab, a.host); err != nil {
					if ctx.Err() == nil {
						errf("announce %s (%s): %v", a.host.Addr, a.kind, err)
					}
					return
				}
				a.mu.Lock()
				a.sent = append(a.sent, time.Now())
				a.mu.Unlock()
				wait = a.period
			}
		}()
	}
	return &wg
}

// dhcpRequest is a client's DHCPREQUEST for its address, broadcast before
// it has one (RFC 2131 section 4.3.2, INIT-REBOOT): the address is in
// option 50.
func dhcpRequest(t testing.TB, h netlab.Host, hostname, vendorClass string) []byte {
	t.Helper()
	a4 := h.Addr.As4()
	d := &layers.DHCPv4{Operation: layers.DHCPOpRequest, HardwareType: layers.LinkTypeEthernet, HardwareLen: 6, Xid: uint32(a4[3])<<8 | 0x5a,
		ClientHWAddr: h.MAC, ClientIP: net.IPv4zero, YourClientIP: net.IPv4zero, NextServerIP: net.IPv4zero, RelayAgentIP: net.IPv4zero,
		Options: layers.DHCPOptions{
			layers.NewDHCPOption(layers.DHCPOptMessageType, []byte{byte(layers.DHCPMsgTypeRequest)}),
			layers.NewDHCPOption(layers.DHCPOptRequestIP, a4[:]),
			layers.NewDHCPOption(layers.DHCPOptHostname, []byte(hostname)),
			layers.NewDHCPOption(layers.DHCPOptClassID, []byte(vendorClass)),
			layers.NewDHCPOption(layers.DHCPOptParamsRequest, []byte{1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252}),
		}}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 128, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4zero.To4(), DstIP: net.IPv4bcast.To4()}
	udp := &layers.UDP{SrcPort: 68, DstPort: 67}
	_ = udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		&layers.Ethernet{SrcMAC: h.MAC, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeIPv4}, ip, udp, d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// undecodable is what a host sends that the listener does not read: a
// NetBIOS name registration (RFC 1002 section 4.2.2), an LLMNR query (RFC
// 4795), bytes that are not SOAP to the WS-Discovery port, and a BOOTP
// message cut short.
func undecodable(kind string, n int) []byte {
	switch kind {
	case "netbios":
		name := fmt.Sprintf("WS-%04d", n)
		enc := []byte{0x20}
		padded := []byte(fmt.Sprintf("%-15s", name) + "\x00")
		for _, c := range padded {
			enc = append(enc, 'A'+c>>4, 'A'+c&0x0f)
		}
		msg := []byte{byte(n >> 8), byte(n), 0x29, 0x10, 0, 1, 0, 0, 0, 0, 0, 1}
		msg = append(msg, enc...)
		msg = append(msg, 0, 0, 0x20, 0, 1)
		msg = append(msg, 0xc0, 0x0c, 0, 0x20, 0, 1, 0, 0x04, 0x93, 0xe0, 0, 6, 0, 0, 0, 0, 0, 0)
		return msg
	case "llmnr":
		name := fmt.Sprintf("printer-%d", n)
		msg := []byte{byte(n >> 8), byte(n), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, byte(len(name))}
		return append(append(msg, name...), 0, 0, 1, 0, 1)
	case "garbage-wsd":
		return []byte(strings.Repeat("\x00\xffnot soap", 12))
	case "malformed-dhcp":
		return append([]byte{1, 1, 6, 0}, make([]byte, 36)...)
	}
	panic("undecodable: " + kind)
}

func broadcastOf(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	bits := p.Bits()
	for i := range 4 {
		for b := range 8 {
			if i*8+b >= bits {
				a[i] |= 0x80 >> b
			}
		}
	}
	return netip.AddrFrom4(a)
}

// kindsOf lists the kinds of anns, in population order.
func kindsOf(anns []*announcer) []string {
	var out []string
	for _, a := range anns {
		if !slices.Contains(out, a.kind) {
			out = append(out, a.kind)
		}
	}
	return out
}
