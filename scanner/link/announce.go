package link

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/netip"
	"net/textproto"
	"strings"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/value"
)

// passiveEvidence collects cleaned evidence under the probe name "passive":
// the fields keep the protocol's names (docs/evidence.md), the probe says
// it was overheard rather than asked.
type passiveEvidence struct{ out []evidence.Evidence }

// maxFrameEvidence bounds what one frame (or reassembled datagram) says
// about a host: an mDNS answer of 64 KiB can hold sixteen thousand TXT
// strings, and each kept value is compared with those before it. The
// sensor (cmd/camsweep/internal/sense) keeps no more than this of a host
// anyway.
const maxFrameEvidence = 64

func (l *passiveEvidence) add(field, s string) {
	if len(l.out) >= maxFrameEvidence {
		return
	}
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

// dhcpClient is the client a DHCP message names.
type dhcpClient struct {
	scanner.Sighting
	// Relayed: the message came through a relay agent (giaddr set), so
	// the client is not on this link, though chaddr is its own MAC.
	Relayed bool
}

// decodeDHCP reads a client's request (DISCOVER, REQUEST, INFORM) or a
// server's ACK, and returns the client it names: chaddr, its address when
// known, option 12 (host name) and option 60 (vendor class).
func decodeDHCP(payload []byte) (dhcpClient, bool) {
	var d layers.DHCPv4
	if err := d.DecodeFromBytes(payload, gopacket.NilDecodeFeedback); err != nil {
		return dhcpClient{}, false
	}
	if d.HardwareType != layers.LinkTypeEthernet || d.HardwareLen != 6 || len(d.ClientHWAddr) < 6 {
		return dhcpClient{}, false
	}
	hw := net.HardwareAddr(d.ClientHWAddr[:6])
	if !usableMAC(hw) {
		return dhcpClient{}, false
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
		return dhcpClient{}, false
	}
	relay, _ := netip.AddrFromSlice(d.RelayAgentIP.To4())
	return dhcpClient{Sighting: scanner.Sighting{Addr: addr, MAC: mac, Evidence: ev.out}, Relayed: relay.IsValid() && !relay.IsUnspecified()}, true
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
