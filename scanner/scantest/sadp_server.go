package scantest

import (
	"context"
	"encoding/xml"
	"net"
	"strings"
)

// ServeSADP answers Hikvision SADP inquiries on conn the way a camera does:
// an XML ProbeMatch with the inquiry's Uuid, model, serial, firmware and
// MAC (in Hikvision's dash form). It answers the sender.
func ServeSADP(ctx context.Context, conn net.PacketConn, p *SADPService, mac, ip string) {
	serveDatagrams(ctx, conn, func(b []byte) []byte {
		var q struct {
			XMLName xml.Name
			UUID    string `xml:"Uuid"`
			Types   string `xml:"Types"`
		}
		if xml.Unmarshal(b, &q) != nil || q.XMLName.Local != "Probe" || !strings.EqualFold(q.Types, "inquiry") {
			return nil
		}
		return []byte(sadpMatchXML(p, mac, ip, q.UUID))
	})
}

func sadpMatchXML(p *SADPService, mac, ip, uuid string) string {
	return sadpXML(p, mac, ip, uuid, "inquiry")
}

// sadpXML is a SADP ProbeMatch of types "inquiry" (an answer) or "hello"
// (what a device multicasts of its own accord).
func sadpXML(p *SADPService, mac, ip, uuid, types string) string {
	dash := strings.ReplaceAll(strings.ToLower(mac), ":", "-")
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n<ProbeMatch>\n" +
		el("Uuid", uuid) + el("Types", types) + el("DeviceType", p.DeviceType) +
		el("DeviceDescription", p.Description) + el("DeviceSN", p.Serial) +
		el("CommandPort", "8000") + el("HttpPort", "80") + el("MAC", dash) +
		el("IPv4Address", ip) + el("IPv4SubnetMask", "255.255.255.0") + el("IPv4Gateway", "0.0.0.0") +
		el("DHCP", "false") + el("AnalogChannelNum", "0") + el("DigitalChannelNum", "1") +
		el("SoftwareVersion", p.Firmware) + el("DSPVersion", p.DSPVersion) +
		el("Activated", "true") + "\n</ProbeMatch>\n"
}

// serveSADPHost is the Network seam for a host's SADP service.
func serveSADPHost(ctx context.Context, conn net.PacketConn, h *Host) {
	ServeSADP(ctx, conn, h.Persona.SADP, h.MAC(), h.Addr.String())
}
