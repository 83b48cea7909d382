package scantest

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// Announcement is a datagram a device sends of its own accord, to a
// multicast group or as a broadcast, so that the segment learns it is
// there: what a passive listener hears without asking.
type Announcement struct {
	Proto   string // wsd, ssdp, sadp, dhip, mdns
	SrcPort uint16
	Dst     netip.AddrPort
	Payload []byte
}

// Where devices announce (the same groups and ports their discovery
// protocols use; docs/protocols.md).
var (
	wsdGroup  = netip.MustParseAddrPort("239.255.255.250:3702")
	ssdpGroup = netip.MustParseAddrPort("239.255.255.250:1900")
	sadpGroup = netip.MustParseAddrPort("239.255.255.250:37020")
	dhipGroup = netip.MustParseAddrPort("239.255.255.251:37810")
	mdnsGroup = netip.MustParseAddrPort("224.0.0.251:5353")
)

// AnnounceOptions shape the announcements.
type AnnounceOptions struct {
	// HelloBytes pads a WS-Discovery Hello's scope list with ONVIF location
	// scopes until the Hello is at least this long. Cameras configured with
	// long scope lists send 1.5-1.7 kB Hellos, longer than an Ethernet MTU,
	// which the sender's IP stack fragments.
	HelloBytes int
}

// Announcements lists what a host playing p (with p's placeholders
// already expanded, Vars.Expand) at addr and mac sends unasked: a
// WS-Discovery Hello (ONVIF devices multicast one when they join the
// network, WS-Discovery 2005/04 section 4.1), an SSDP ssdp:alive NOTIFY
// (UPnP Device Architecture 1.0 section 1.2.2), a SADP hello (Hikvision),
// a DHIP client.notifyDevInfo (Dahua) and an mDNS announcement of its
// DNS-SD services (RFC 6762 section 8.3), each only for the services the
// persona has.
func Announcements(p Persona, mac string, addr netip.Addr, opts AnnounceOptions) []Announcement {
	var out []Announcement
	if p.ONVIF != nil {
		xaddr := "http://" + addr.String() + ONVIFPath
		out = append(out, Announcement{Proto: "wsd", SrcPort: 3702, Dst: wsdGroup, Payload: HelloXML(p.ONVIF, mac, xaddr, opts.HelloBytes)})
	}
	if p.UPnP != nil {
		out = append(out, Announcement{Proto: "ssdp", SrcPort: 1900, Dst: ssdpGroup, Payload: SSDPNotify(p.UPnP.Server, p.UPnP.UDN, "http://"+addr.String()+UPnPDescriptionPath)})
	}
	if p.SADP != nil {
		out = append(out, Announcement{Proto: "sadp", SrcPort: 37020, Dst: sadpGroup, Payload: []byte(sadpXML(p.SADP, mac, addr.String(), "", "hello"))})
	}
	if p.DHIP != nil {
		out = append(out, Announcement{Proto: "dhip", SrcPort: 37810, Dst: dhipGroup, Payload: dhipFrame(dhipAnswer(p.DHIP, mac, addr.String()))})
	}
	if len(p.MDNS) > 0 {
		if b := newMDNSZone(p.MDNS, addr, mac).announcement(p.MDNS); b != nil {
			out = append(out, Announcement{Proto: "mdns", SrcPort: 5353, Dst: mdnsGroup, Payload: b})
		}
	}
	return out
}

// HelloXML is the WS-Discovery Hello of an ONVIF device, its scopes
// padded with location scopes to at least minBytes.
func HelloXML(p *ONVIFService, mac, xaddr string, minBytes int) []byte {
	esc := xmlEsc
	build := func(scopes []string) []byte {
		var b strings.Builder
		wsdEnvelopeOpen(&b)
		b.WriteString(`<wsa:To SOAP-ENV:mustUnderstand="true">urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>`)
		b.WriteString(`<wsa:Action SOAP-ENV:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</wsa:Action>`)
		b.WriteString(`<d:AppSequence InstanceId="1" MessageNumber="1"/>`)
		b.WriteString("</SOAP-ENV:Header>\n<SOAP-ENV:Body><d:Hello>\n")
		b.WriteString(`<wsa:EndpointReference><wsa:Address>` + esc(wsdEndpoint(p, mac)) + `</wsa:Address></wsa:EndpointReference>` + "\n")
		b.WriteString(`<d:Types>` + esc(p.Types) + `</d:Types>` + "\n")
		b.WriteString(`<d:Scopes>` + esc(strings.Join(scopes, " ")) + `</d:Scopes>` + "\n")
		b.WriteString(`<d:XAddrs>` + esc(xaddr) + `</d:XAddrs>` + "\n")
		b.WriteString(`<d:MetadataVersion>1</d:MetadataVersion>` + "\n")
		b.WriteString("</d:Hello></SOAP-ENV:Body></SOAP-ENV:Envelope>\n")
		return []byte(b.String())
	}
	scopes := append([]string(nil), p.Scopes...)
	out := build(scopes)
	for i := 1; len(out) < minBytes; i++ {
		scopes = append(scopes, fmt.Sprintf("onvif://www.onvif.org/location/building/%d/floor/%d/corridor/%c", (i+1)/2, i, 'A'+rune(i%26)))
		out = build(scopes)
	}
	return out
}

// SSDPNotify is an ssdp:alive NOTIFY for a root device with the given
// SERVER header, UDN and description location.
func SSDPNotify(server, udn, location string) []byte {
	var b strings.Builder
	b.WriteString("NOTIFY * HTTP/1.1\r\n")
	b.WriteString("HOST: 239.255.255.250:1900\r\n")
	b.WriteString("CACHE-CONTROL: max-age=1800\r\n")
	b.WriteString("LOCATION: " + location + "\r\n")
	b.WriteString("NT: upnp:rootdevice\r\n")
	b.WriteString("NTS: ssdp:alive\r\n")
	b.WriteString("SERVER: " + server + "\r\n")
	b.WriteString("USN: " + udn + "::upnp:rootdevice\r\n\r\n")
	return []byte(b.String())
}

// announcement is an unsolicited mDNS response carrying every record of
// the zone's services, as a responder sends when it starts (RFC 6762
// section 8.3): no question, ID 0.
func (z mdnsZone) announcement(services []MDNSService) []byte {
	q := &dns.Msg{}
	for _, s := range services {
		q.Question = append(q.Question, dns.Question{Name: strings.Trim(s.Service, ".") + "." + mdnsDomain, Qtype: dns.TypePTR, Qclass: dns.ClassINET})
	}
	packed, err := q.Pack()
	if err != nil {
		return nil
	}
	b := z.answer(packed)
	if b == nil {
		return nil
	}
	var r dns.Msg
	if r.Unpack(b) != nil {
		return nil
	}
	r.Id, r.Question = 0, nil
	out, err := r.Pack()
	if err != nil {
		return nil
	}
	return out
}
