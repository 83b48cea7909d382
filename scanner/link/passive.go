package link

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/netip"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/value"
	"github.com/camsweep/camsweep/scanner/internal/wire"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/rs/zerolog"
)

// passiveMaxRemembered bounds the memory of what was already reported. A
// continuous listener on a busy segment would otherwise grow without end;
// when full the memory is dropped and hosts are reported once more, which
// the consumer merges anyway.
const passiveMaxRemembered = 1 << 16

// PassiveStats counts what a listener saw.
type PassiveStats struct {
	Frames    uint64 // frames read
	Decoded   uint64 // frames that named a host
	Sightings uint64 // sightings reported (new information only)
}

// Passive reports hosts from what they announce on the segment (ARP, DHCP,
// mDNS, SSDP, WS-Discovery Hello, SADP and DHIP) without sending a packet:
// the first and safest discoverer, run continuously by the daemon.
type Passive struct {
	conn FrameConn
	log  zerolog.Logger

	mu         sync.Mutex
	ifc        *Interface
	remembered map[uint64]struct{}

	frames, decoded, sightings atomic.Uint64
}

// NewPassive listens on conn, which must never be written to: Passive
// only reads.
func NewPassive(conn FrameConn, log zerolog.Logger) *Passive {
	return &Passive{conn: conn, log: log.With().Str("probe", "passive").Logger(), remembered: map[uint64]struct{}{}}
}

// SetInterface tells the listener the segment's subnets. A frame from an
// address off those subnets came through a router and carries the
// router's MAC, so such sightings are reported without a MAC. Without it
// every source MAC is taken at its word.
func (p *Passive) SetInterface(ifc Interface) {
	p.mu.Lock()
	p.ifc = &ifc
	p.mu.Unlock()
}

// Stats returns the counters so far.
func (p *Passive) Stats() PassiveStats {
	return PassiveStats{Frames: p.frames.Load(), Decoded: p.decoded.Load(), Sightings: p.sightings.Load()}
}

// Listen reads frames until ctx ends (nil) or the source ends (nil at
// io.EOF, the end of a replay). Each new fact about a host is reported
// once; found is called from this goroutine only. A sighting may have no
// address (a DHCP DISCOVER from a host that has none yet): it is then
// identified by its MAC alone.
func (p *Passive) Listen(ctx context.Context, found func(scanner.Sighting)) error {
	for {
		frame, err := p.conn.ReadFrame(ctx)
		switch {
		case err == nil:
		case ctx.Err() != nil, errors.Is(err, io.EOF):
			return nil
		default:
			return fmt.Errorf("scanner: passive: %w", err)
		}
		p.frames.Add(1)
		ss := p.decodeSafely(frame)
		if len(ss) > 0 {
			p.decoded.Add(1)
		}
		for _, s := range ss {
			s = p.placed(s)
			if p.fresh(s) {
				p.sightings.Add(1)
				found(s)
			}
		}
	}
}

// decodeSafely decodes one frame and survives a panic in the third-party
// layer decoders: any station on the segment can send us any bytes, and
// one malformed frame must cost that frame, not the listener.
func (p *Passive) decodeSafely(frame []byte) (ss []scanner.Sighting) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Warn().Interface("panic", r).Int("frame_bytes", len(frame)).Msg("malformed frame dropped")
			ss = nil
		}
	}()
	return decodePassive(frame)
}

// placed drops the MAC of an off-subnet source (see SetInterface).
func (p *Passive) placed(s scanner.Sighting) scanner.Sighting {
	p.mu.Lock()
	ifc := p.ifc
	p.mu.Unlock()
	if ifc == nil || !s.Addr.IsValid() || ifc.OnLink(s.Addr) || s.Addr.IsLinkLocalUnicast() {
		return s
	}
	s.MAC = ""
	kept := s.Evidence[:0]
	for _, e := range s.Evidence {
		if e.Field != "mac" {
			kept = append(kept, e)
		}
	}
	s.Evidence = kept
	return s
}

// fresh reports whether s says something not reported before.
func (p *Passive) fresh(s scanner.Sighting) bool {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%s", s.Addr, s.MAC)
	for _, e := range s.Evidence {
		fmt.Fprintf(h, "|%s=%s", e.Field, e.Value)
	}
	k := h.Sum64()
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.remembered[k]; ok {
		return false
	}
	if len(p.remembered) >= passiveMaxRemembered {
		clear(p.remembered)
	}
	p.remembered[k] = struct{}{}
	return true
}

// passiveEvidence collects cleaned evidence under the probe name "passive":
// the fields keep the protocol's names (docs/evidence.md), the probe says
// it was overheard rather than asked.
type passiveEvidence struct{ out []evidence.Evidence }

func (l *passiveEvidence) add(field, s string) {
	if v := value.Clean(s, value.MaxLen); v != "" {
		for _, e := range l.out {
			if e.Field == field && e.Value == v {
				return
			}
		}
		l.out = append(l.out, evidence.Evidence{Probe: "passive", Field: field, Value: v})
	}
}

func (l *passiveEvidence) addAll(ev []evidence.Evidence) {
	for _, e := range ev {
		l.add(e.Field, e.Value)
	}
}

// decodePassive turns one frame into the sightings it carries; nothing for
// frames that name no host. It never fails: the wire is untrusted and a
// malformed frame is simply not a sighting.
func decodePassive(frame []byte) []scanner.Sighting {
	var eth layers.Ethernet
	if err := eth.DecodeFromBytes(frame, gopacket.NilDecodeFeedback); err != nil {
		return nil
	}
	src := net.HardwareAddr(eth.SrcMAC)
	switch eth.EthernetType {
	case layers.EthernetTypeARP:
		p, ok := decodeARP(frame)
		if !ok || !usableMAC(p.SenderMAC) || p.SenderIP.IsUnspecified() {
			return nil // an RFC 5227 probe has no sender address yet; its announcement follows
		}
		mac := macString(p.SenderMAC)
		return []scanner.Sighting{{Addr: p.SenderIP, MAC: mac, Evidence: []evidence.Evidence{{Probe: "passive", Field: "mac", Value: mac}}}}
	case layers.EthernetTypeIPv4:
	default:
		return nil
	}
	var ip layers.IPv4
	if err := ip.DecodeFromBytes(eth.Payload, gopacket.NilDecodeFeedback); err != nil ||
		ip.Protocol != layers.IPProtocolUDP || ip.FragOffset != 0 || ip.Flags&layers.IPv4MoreFragments != 0 {
		return nil
	}
	var udp layers.UDP
	if err := udp.DecodeFromBytes(ip.Payload, gopacket.NilDecodeFeedback); err != nil {
		return nil
	}
	srcIP, _ := netip.AddrFromSlice(ip.SrcIP.To4())
	payload := udp.Payload
	var ev passiveEvidence
	sport, dport := uint16(udp.SrcPort), uint16(udp.DstPort)
	switch {
	case dport == 67 && sport == 68 || dport == 68 && sport == 67:
		s, ok := decodeDHCP(payload)
		if !ok {
			return nil
		}
		if s.MAC != macString(src) || !srcIP.IsValid() || srcIP.IsUnspecified() {
			// The client itself, relayed or not yet addressed, or a
			// server's answer naming a client: report the client alone.
			if s.MAC != macString(src) {
				return append([]scanner.Sighting{s}, hostOnly(srcIP, src)...)
			}
			return []scanner.Sighting{s}
		}
		ev.addAll(s.Evidence)
	case sport == 5353 || dport == 5353:
		ev.addAll(decodeMDNS(payload))
	case dport == 1900 || sport == 1900:
		ev.addAll(decodeSSDP(payload))
	case dport == 3702 || sport == 3702:
		ev.addAll(wire.DecodeHello(payload))
	case dport == 37020 || sport == 37020:
		if e, err := wire.ParseSADP(payload); err == nil {
			ev.addAll(e)
		}
	case dport == 37810 || sport == 37810:
		if e, err := wire.ParseDHIP(payload); err == nil {
			ev.addAll(e)
		}
	}
	if !srcIP.IsValid() || srcIP.IsUnspecified() || !usableMAC(src) {
		return nil
	}
	mac := macString(src)
	s := scanner.Sighting{Addr: srcIP, MAC: mac, Evidence: []evidence.Evidence{{Probe: "passive", Field: "mac", Value: mac}}}
	for _, e := range ev.out {
		if e.Field == "mac" {
			continue // a MAC stated in a payload stays under its own field (sadp.mac, dhip.mac)
		}
		s.Evidence = append(s.Evidence, e)
	}
	return []scanner.Sighting{s}
}

// hostOnly is a sighting of the frame's sender with nothing but its MAC.
func hostOnly(addr netip.Addr, mac net.HardwareAddr) []scanner.Sighting {
	if !addr.IsValid() || addr.IsUnspecified() || !usableMAC(mac) {
		return nil
	}
	m := macString(mac)
	return []scanner.Sighting{{Addr: addr, MAC: m, Evidence: []evidence.Evidence{{Probe: "passive", Field: "mac", Value: m}}}}
}

// decodeDHCP reads a client's request (DISCOVER, REQUEST, INFORM) or a
// server's ACK, and returns the client it names: chaddr, its address when
// known, option 12 (host name) and option 60 (vendor class).
func decodeDHCP(payload []byte) (scanner.Sighting, bool) {
	var d layers.DHCPv4
	if err := d.DecodeFromBytes(payload, gopacket.NilDecodeFeedback); err != nil {
		return scanner.Sighting{}, false
	}
	if d.HardwareType != layers.LinkTypeEthernet || d.HardwareLen != 6 || len(d.ClientHWAddr) < 6 {
		return scanner.Sighting{}, false
	}
	hw := net.HardwareAddr(d.ClientHWAddr[:6])
	if !usableMAC(hw) {
		return scanner.Sighting{}, false
	}
	var msgType layers.DHCPMsgType
	var requested, addr netip.Addr
	var ev passiveEvidence
	mac := macString(hw)
	ev.add("mac", mac)
	for _, o := range d.Options {
		switch o.Type {
		case layers.DHCPOptMessageType:
			if len(o.Data) == 1 {
				msgType = layers.DHCPMsgType(o.Data[0])
			}
		case layers.DHCPOptHostname:
			ev.add("dhcp.hostname", string(o.Data))
			ev.add("hostname", string(o.Data))
		case layers.DHCPOptClassID:
			ev.add("dhcp.vendor_class", string(o.Data))
		case layers.DHCPOptRequestIP:
			if len(o.Data) == 4 {
				requested = netip.AddrFrom4([4]byte(o.Data))
			}
		}
	}
	switch {
	case d.Operation == layers.DHCPOpRequest:
		if c, ok := netip.AddrFromSlice(d.ClientIP.To4()); ok && !c.IsUnspecified() {
			addr = c
		} else if requested.IsValid() && !requested.IsUnspecified() {
			addr = requested
		}
	case d.Operation == layers.DHCPOpReply && msgType == layers.DHCPMsgTypeAck:
		if y, ok := netip.AddrFromSlice(d.YourClientIP.To4()); ok && !y.IsUnspecified() {
			addr = y
		}
	default:
		return scanner.Sighting{}, false
	}
	return scanner.Sighting{Addr: addr, MAC: mac, Evidence: ev.out}, true
}

// decodeMDNS reads a multicast DNS response: service types and instances
// from PTR records, hosts from SRV and A records, TXT strings.
func decodeMDNS(payload []byte) []evidence.Evidence {
	var d layers.DNS
	if err := d.DecodeFromBytes(payload, gopacket.NilDecodeFeedback); err != nil || !d.QR {
		return nil
	}
	var ev passiveEvidence
	const maxRecords = 64
	records := append(append([]layers.DNSResourceRecord{}, d.Answers...), d.Additionals...)
	if len(records) > maxRecords {
		records = records[:maxRecords]
	}
	trim := func(b []byte) string { return strings.TrimSuffix(string(b), ".") }
	for _, r := range records {
		name := trim(r.Name)
		switch r.Type {
		case layers.DNSTypePTR:
			target := trim(r.PTR)
			switch {
			case name == "_services._dns-sd._udp.local":
				ev.add("mdns.service", target)
			case strings.HasSuffix(name, ".in-addr.arpa"):
				ev.add("mdns.host", target)
			case strings.HasPrefix(name, "_"):
				ev.add("mdns.service", name)
				ev.add("mdns.instance", target)
			}
		case layers.DNSTypeSRV:
			ev.add("mdns.instance", name)
			ev.add("mdns.host", trim(r.SRV.Name))
		case layers.DNSTypeTXT:
			for _, t := range r.TXTs {
				ev.add("mdns.txt", string(t))
			}
		case layers.DNSTypeA:
			ev.add("mdns.host", name)
			ev.add("hostname", strings.TrimSuffix(name, ".local"))
		}
	}
	return ev.out
}

// decodeSSDP reads a NOTIFY (ssdp:alive) or an M-SEARCH answer, keeping
// Server and Location.
func decodeSSDP(payload []byte) []evidence.Evidence {
	line, _, _ := bytes.Cut(payload, []byte("\n"))
	start := strings.ToUpper(strings.TrimSpace(string(line)))
	if !strings.HasPrefix(start, "NOTIFY ") && !strings.HasPrefix(start, "HTTP/1.1 200") {
		return nil
	}
	tp := textproto.NewReader(bufio.NewReader(io.LimitReader(bytes.NewReader(payload), 8192)))
	if _, err := tp.ReadLine(); err != nil {
		return nil
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return nil
	}
	if strings.EqualFold(h.Get("NTS"), "ssdp:byebye") {
		return nil
	}
	var ev passiveEvidence
	ev.add("ssdp.server", h.Get("Server"))
	ev.add("ssdp.location", h.Get("Location"))
	return ev.out
}
