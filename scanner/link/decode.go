package link

import (
	"net"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/wire"
)

// What the passive listener heard from a host: the value of the
// passive.heard evidence (docs/evidence.md).
const (
	HeardARP  = "arp"
	HeardDHCP = "dhcp"
	HeardMDNS = "mdns"
	HeardSSDP = "ssdp"
	HeardWSD  = "wsd"
	HeardSADP = "sadp"
	HeardDHIP = "dhip"
	// Frames whose payload names nothing more still place their sender.
	HeardTCP  = "tcp"
	HeardUDP  = "udp"
	HeardICMP = "icmp"
	HeardIP   = "ip" // any other IPv4 protocol
)

// Heard is what one frame (or one reassembled datagram) told about a host.
// The embedded Sighting has the host's address (invalid for a DHCP client
// that has none yet), its MAC ("" when the frame came through a router,
// whose MAC is not the host's) and the evidence, under the probe name
// "passive", including passive.heard and, for a host on this link with
// another subnet's address, passive.foreign_subnet.
type Heard struct {
	scanner.Sighting
	At    time.Time
	Proto string // one of the Heard* constants
	// Foreign: the host is on this link with an address outside the
	// interface's subnets (a camera on its factory default). Routed: the
	// host is behind a router; its MAC is not known from this frame.
	Foreign, Routed bool
}

// DecoderOptions configure a Decoder.
type DecoderOptions struct {
	// Interface names the segment's subnets, which attribution needs
	// (see attribution); nil takes every source MAC at its word.
	Interface *Interface
	// Routers are MACs known to route (the site's gateways): frames from
	// them never give an off-subnet host its MAC.
	Routers []net.HardwareAddr
	// Gateways are router addresses (the interface's default gateways):
	// their ARP names a router's MAC.
	Gateways []netip.Addr
	Defrag   DefragLimits
}

// DecoderStats counts what a Decoder did.
type DecoderStats struct {
	Frames  uint64 // frames offered
	Decoded uint64 // frames that placed a host
	Routed  uint64 // frames whose sender was behind a router
	Defrag  DefragStats
}

// Decoder turns frames into what they say about their senders. It holds
// the reassembly and attribution state of one listener, and is not safe
// for concurrent use.
type Decoder struct {
	attr   *attribution
	defrag *Defragmenter
	stats  DecoderStats
}

// NewDecoder returns a Decoder configured by opts.
func NewDecoder(opts DecoderOptions) *Decoder {
	return &Decoder{
		attr:   newAttribution(opts.Interface, opts.Routers, opts.Gateways),
		defrag: NewDefragmenter(opts.Defrag),
	}
}

// Stats returns the counters so far.
func (d *Decoder) Stats() DecoderStats {
	s := d.stats
	s.Defrag = d.defrag.Stats()
	return s
}

// Decode returns what frame, read at at, says about the hosts it names:
// its sender, and for DHCP the client. It never fails: the wire is
// untrusted, and a frame that names nobody gives nothing. The frame is
// not kept.
func (d *Decoder) Decode(frame []byte, at time.Time) []Heard {
	d.stats.Frames++
	out := d.decode(frame, at)
	if len(out) > 0 {
		d.stats.Decoded++
	}
	for i := range out {
		out[i].At = at
		if out[i].Routed {
			d.stats.Routed++
		}
	}
	return out
}

func (d *Decoder) decode(frame []byte, at time.Time) []Heard {
	var eth layers.Ethernet
	if err := eth.DecodeFromBytes(frame, gopacket.NilDecodeFeedback); err != nil {
		return nil
	}
	switch eth.EthernetType {
	case layers.EthernetTypeARP:
		return d.decodeARP(frame)
	case layers.EthernetTypeIPv4:
		return d.decodeIPv4(eth, at)
	}
	return nil
}

func (d *Decoder) decodeARP(frame []byte) []Heard {
	p, ok := decodeARP(frame)
	if !ok || !usableMAC(p.SenderMAC) || p.SenderIP.IsUnspecified() {
		return nil // an RFC 5227 probe has no sender address yet; its announcement follows
	}
	mac := macString(p.SenderMAC)
	d.attr.heardARP(p.SenderIP, mac)
	var ev passiveEvidence
	ev.add("mac", mac)
	h := Heard{Sighting: scanner.Sighting{Addr: p.SenderIP, MAC: mac}, Proto: HeardARP, Foreign: d.attr.offSubnet(p.SenderIP)}
	h.Evidence = heardEvidence(ev.out, h.Proto, h.Foreign)
	return []Heard{h}
}

func (d *Decoder) decodeIPv4(eth layers.Ethernet, at time.Time) []Heard {
	var ip layers.IPv4
	if err := ip.DecodeFromBytes(eth.Payload, gopacket.NilDecodeFeedback); err != nil {
		return nil
	}
	src, _ := netip.AddrFromSlice(ip.SrcIP.To4())
	dst, _ := netip.AddrFromSlice(ip.DstIP.To4())
	if !src.IsValid() || !dst.IsValid() {
		return nil
	}
	proto := HeardIP
	payload := ip.Payload
	whole := true
	if isFragment(&ip) {
		// Every fragment places its sender; the datagram's content is read
		// once the last one arrives.
		n := min(int(ip.Length), len(eth.Payload))
		datagram, done := d.defrag.Add(append([]byte(nil), eth.Payload[:n]...), at)
		if done {
			payload = datagram.Payload
		} else {
			whole = false
		}
	}
	switch ip.Protocol {
	case layers.IPProtocolTCP:
		proto = HeardTCP
	case layers.IPProtocolICMPv4:
		proto = HeardICMP
	case layers.IPProtocolUDP:
		proto = HeardUDP
	}
	srcMAC := eth.SrcMAC
	var (
		ev      passiveEvidence
		clients []Heard
	)
	if ip.Protocol == layers.IPProtocolUDP && whole {
		var udp layers.UDP
		if err := udp.DecodeFromBytes(payload, gopacket.NilDecodeFeedback); err == nil {
			proto, clients = d.decodeUDP(udp, src, srcMAC, &ev)
		}
	}
	sender, ok := d.sender(src, srcMAC, dst, eth.DstMAC, ip.TTL, proto, ev.out)
	if !ok {
		return clients
	}
	return append(clients, sender)
}

// decodeUDP reads the discovery protocols by port. It returns what was
// heard and, for DHCP, the client the message names (which is not always
// the frame's sender: a server's ACK, a relayed request).
func (d *Decoder) decodeUDP(udp layers.UDP, src netip.Addr, srcMAC net.HardwareAddr, ev *passiveEvidence) (string, []Heard) {
	sport, dport := uint16(udp.SrcPort), uint16(udp.DstPort)
	payload := udp.Payload
	switch {
	case dport == 67 && sport == 68 || dport == 68 && sport == 67:
		c, ok := decodeDHCP(payload)
		if !ok {
			return HeardDHCP, nil
		}
		if c.MAC == macString(srcMAC) && src.IsValid() && !src.IsUnspecified() {
			// The client speaking for itself, with its address: one host.
			ev.addAll(c.Evidence)
			return HeardDHCP, nil
		}
		client := Heard{Sighting: c.Sighting, Proto: HeardDHCP, Foreign: !c.Relayed && d.attr.offSubnet(c.Addr)}
		client.Evidence = heardEvidence(c.Evidence, HeardDHCP, client.Foreign)
		return HeardDHCP, []Heard{client}
	case sport == 5353 || dport == 5353:
		ev.addAll(decodeMDNS(payload))
		return HeardMDNS, nil
	case dport == 1900 || sport == 1900:
		ev.addAll(decodeSSDP(payload))
		return HeardSSDP, nil
	case dport == 3702 || sport == 3702:
		ev.addAll(wire.DecodeHello(payload))
		return HeardWSD, nil
	case dport == 37020 || sport == 37020:
		if e, err := wire.ParseSADP(payload); err == nil {
			ev.addAll(e)
		}
		return HeardSADP, nil
	case dport == 37810 || sport == 37810:
		if e, err := wire.ParseDHIP(payload); err == nil {
			ev.addAll(e)
		}
		return HeardDHIP, nil
	}
	return HeardUDP, nil
}

// sender is the Heard of an IPv4 frame's sender, attributed (see
// attribution); false when the frame names no usable sender.
func (d *Decoder) sender(src netip.Addr, srcMAC net.HardwareAddr, dst netip.Addr, dstMAC net.HardwareAddr, ttl uint8, proto string, said []evidence.Evidence) (Heard, bool) {
	if src.IsUnspecified() || !usableMAC(srcMAC) || src.IsMulticast() || src == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return Heard{}, false
	}
	mac := macString(srcMAC)
	keep, foreign := d.attr.ipSender(src, mac, dst, isBroadcastMAC(dstMAC), ttl)
	h := Heard{Sighting: scanner.Sighting{Addr: src}, Proto: proto, Foreign: foreign, Routed: !keep}
	var ev []evidence.Evidence
	if keep {
		h.MAC = mac
		ev = append(ev, evidence.Evidence{Probe: "passive", Field: "mac", Value: mac})
	}
	for _, e := range said {
		if e.Field == "mac" {
			continue // a MAC stated in a payload stays under its own field (sadp.mac, dhip.mac)
		}
		ev = append(ev, e)
	}
	h.Evidence = heardEvidence(ev, proto, foreign)
	return h, true
}

func isBroadcastMAC(m net.HardwareAddr) bool {
	return len(m) == 6 && string(m) == "\xff\xff\xff\xff\xff\xff"
}

// heardEvidence appends what was heard, and that the host keeps another
// subnet's address on this link, to a host's evidence.
func heardEvidence(ev []evidence.Evidence, proto string, foreign bool) []evidence.Evidence {
	ev = append(ev, evidence.Evidence{Probe: "passive", Field: "passive.heard", Value: proto})
	if foreign {
		ev = append(ev, evidence.Evidence{Probe: "passive", Field: "passive.foreign_subnet", Value: "true"})
	}
	return ev
}
