package scantest

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/xml"
	"fmt"
	"net"
	"regexp"
	"strings"
)

// ONVIF type namespaces a persona's Types string may use by prefix.
var onvifTypeNS = map[string]string{
	"dn":  "http://www.onvif.org/ver10/network/wsdl",
	"tds": "http://www.onvif.org/ver10/device/wsdl",
}

// wsdProbe is the part of a WS-Discovery Probe the responder reads.
type wsdProbe struct {
	MessageID string `xml:"Header>MessageID"`
	Types     *struct {
		Text string `xml:",chardata"`
	} `xml:"Body>Probe>Types"`
}

var xmlnsRE = regexp.MustCompile(`xmlns:([A-Za-z_][\w.-]*)\s*=\s*"([^"]*)"`)

// ServeWSD answers WS-Discovery Probes for an ONVIF persona on conn, as a
// camera's discovery service does: only typed probes whose every type the
// device has, unicast back to the sender. A NoLineBreaks persona ignores a
// probe that has any line break, as some firmwares do. xaddr is the device
// service URL it advertises.
func ServeWSD(ctx context.Context, conn net.PacketConn, p *ONVIFService, mac, xaddr string) {
	serveDatagrams(ctx, conn, func(msg []byte) []byte {
		if p.NoLineBreaks && bytes.ContainsAny(msg, "\r\n") {
			return nil
		}
		var probe wsdProbe
		if xml.Unmarshal(msg, &probe) != nil || probe.Types == nil || probe.MessageID == "" {
			return nil // not a probe, or untyped: real cameras differ, ours stays quiet
		}
		if !wsdTypesMatch(msg, probe.Types.Text, p.Types) {
			return nil
		}
		return probeMatchesXML(p, mac, xaddr, probe.MessageID)
	})
}

// wsdTypesMatch applies the WS-Discovery rule: the device matches when it has
// every type the probe asks for, compared by namespace and local name.
func wsdTypesMatch(msg []byte, want, have string) bool {
	decl := map[string]string{}
	for _, m := range xmlnsRE.FindAllSubmatch(msg, -1) {
		decl[string(m[1])] = string(m[2])
	}
	haveSet := map[string]bool{}
	for _, q := range strings.Fields(have) {
		pfx, local, _ := strings.Cut(q, ":")
		haveSet[onvifTypeNS[pfx]+" "+local] = true
	}
	asked := strings.Fields(want)
	if len(asked) == 0 {
		return false
	}
	for _, q := range asked {
		pfx, local, ok := strings.Cut(q, ":")
		if !ok {
			return false
		}
		if !haveSet[decl[pfx]+" "+local] {
			return false
		}
	}
	return true
}

// wsdEndpoint derives a stable endpoint UUID from the device's identity.
func wsdEndpoint(p *ONVIFService, mac string) string {
	h := sha1.Sum([]byte(p.Serial + "|" + mac))
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// xmlEsc escapes text for an XML element.
func xmlEsc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// wsdEnvelopeOpen starts a WS-Discovery SOAP message: the declaration,
// the envelope with the namespaces cameras declare, and the header's
// MessageID.
func wsdEnvelopeOpen(b *strings.Builder) {
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"` +
		` xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"` +
		` xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"` +
		` xmlns:dn="http://www.onvif.org/ver10/network/wsdl"` +
		` xmlns:tds="http://www.onvif.org/ver10/device/wsdl">` + "\n")
	b.WriteString(`<SOAP-ENV:Header><wsa:MessageID>urn:uuid:` + newNonce() + `</wsa:MessageID>`)
}

func probeMatchesXML(p *ONVIFService, mac, xaddr, relatesTo string) []byte {
	esc := xmlEsc
	var b strings.Builder
	wsdEnvelopeOpen(&b)
	b.WriteString(`<wsa:RelatesTo>` + esc(relatesTo) + `</wsa:RelatesTo>`)
	b.WriteString(`<wsa:To SOAP-ENV:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>`)
	b.WriteString(`<wsa:Action SOAP-ENV:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>`)
	b.WriteString("</SOAP-ENV:Header>\n<SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch>\n")
	b.WriteString(`<wsa:EndpointReference><wsa:Address>` + esc(wsdEndpoint(p, mac)) + `</wsa:Address></wsa:EndpointReference>` + "\n")
	b.WriteString(`<d:Types>` + esc(p.Types) + `</d:Types>` + "\n")
	b.WriteString(`<d:Scopes>` + esc(strings.Join(p.Scopes, " ")) + `</d:Scopes>` + "\n")
	b.WriteString(`<d:XAddrs>` + esc(xaddr) + `</d:XAddrs>` + "\n")
	b.WriteString(`<d:MetadataVersion>1</d:MetadataVersion>` + "\n")
	b.WriteString("</d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>\n")
	return []byte(b.String())
}

// serveWSDHost is the Network seam for a host's ONVIF discovery service.
func serveWSDHost(ctx context.Context, conn net.PacketConn, h *Host) {
	ServeWSD(ctx, conn, h.Persona.ONVIF, h.MAC(), onvifXAddr(h))
}

// onvifXAddr is the device service URL a host advertises.
func onvifXAddr(h *Host) string {
	if ap, ok := h.AddrPort("http"); ok {
		return "http://" + ap.String() + ONVIFPath
	}
	return "http://" + h.Addr.String() + ONVIFPath
}
