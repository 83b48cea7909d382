package scantest

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
)

// UPnPDescriptionPath is where a persona serves its UPnP device description.
const UPnPDescriptionPath = "/upnp/device.xml"

// ServeSSDP answers M-SEARCH requests for ssdp:all, upnp:rootdevice or the
// persona's device type, unicast to the sender, pointing at location.
func ServeSSDP(ctx context.Context, conn net.PacketConn, p *UPnPService, location string) {
	serveDatagrams(ctx, conn, func(q []byte) []byte {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(q)))
		if err != nil || req.Method != "M-SEARCH" || req.Header.Get("Man") != `"ssdp:discover"` {
			return nil
		}
		st := req.Header.Get("St")
		if st != "ssdp:all" && st != "upnp:rootdevice" && st != p.DeviceType && st != p.UDN {
			return nil
		}
		if st == "ssdp:all" {
			st = "upnp:rootdevice"
		}
		var b strings.Builder
		b.WriteString("HTTP/1.1 200 OK\r\n")
		b.WriteString("CACHE-CONTROL: max-age=1800\r\n")
		b.WriteString("EXT:\r\n")
		b.WriteString("LOCATION: " + location + "\r\n")
		b.WriteString("SERVER: " + p.Server + "\r\n")
		b.WriteString("ST: " + st + "\r\n")
		b.WriteString("USN: " + p.UDN + "::" + st + "\r\n\r\n")
		return []byte(b.String())
	})
}

// UPnPDescriptionHandler serves the persona's device description document.
func UPnPDescriptionHandler(p *UPnPService) http.Handler {
	doc := `<?xml version="1.0"?>` + "\n" +
		`<root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion><device>` +
		el("deviceType", p.DeviceType) + el("friendlyName", p.FriendlyName) + el("manufacturer", p.Manufacturer) +
		el("modelName", p.ModelName) + el("modelNumber", p.ModelNumber) + el("serialNumber", p.Serial) +
		el("UDN", p.UDN) + `</device></root>` + "\n"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", `text/xml; charset="utf-8"`)
		_, _ = w.Write([]byte(doc))
	})
}

// serveSSDPHost is the Network seam for a host's SSDP service; LOCATION
// points at its own HTTP port.
func serveSSDPHost(ctx context.Context, conn net.PacketConn, h *Host) {
	loc := "http://" + h.Addr.String() + UPnPDescriptionPath
	if ap, ok := h.AddrPort("http"); ok {
		loc = "http://" + ap.String() + UPnPDescriptionPath
	}
	ServeSSDP(ctx, conn, h.Persona.UPnP, loc)
}

// mountUPnP is the Network seam: the description on the host's HTTP mux.
func mountUPnP(mux *http.ServeMux, h *Host) {
	mux.Handle(UPnPDescriptionPath, UPnPDescriptionHandler(h.Persona.UPnP))
}
