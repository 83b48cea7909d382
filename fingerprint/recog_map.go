package fingerprint

import (
	"strings"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// recogFields says which evidence field each recog database describes,
// keyed by the database's "matches" attribute. A database camsweep has no
// evidence for (SSH, SMTP, SIP ... banners, JARM hashes, full cookies where
// camsweep keeps names only) is refused when loaded, so that a user sees
// why it changes nothing.
var recogFields = map[string][]string{
	// The SERVER header of an SSDP answer has the Server header's grammar
	// (UPnP Device Architecture 1.x, "OS/version UPnP/1.x product/version"),
	// and recog's http_servers.xml carries such strings.
	"http_header.server":       {"http.server", "ssdp.server"},
	"html_title":               {"http.title"},
	"http_header.wwwauth":      {"http.www_authenticate"},
	"http_header.x-powered-by": {"http.header.x-powered-by"},
	"favicon.md5":              {"http.favicon_md5"},
	"x509.subject":             {"tls.subject"},
	"x509.issuer":              {"tls.issuer"},
	"rtsp_header.server":       {"rtsp.server"},
	"dhcp_vendor_class":        {"dhcp.vendor_class"},
	"mdns.device-info.txt":     {"mdns.txt"},
	// sysDescr (SNMPv2-MIB) is what an LLDP agent sends as its system
	// description (IEEE 802.1AB TLV 6 is filled from sysDescr by lldpd,
	// Cisco, Axis and Hikvision alike).
	"snmp.sys_description": {"snmp.sys_descr", "lldp.system_description"},
}

// recogDeviceClass turns recog's device identifiers (its
// identifiers/device.txt vocabulary, in hw.device and os.device) into
// verdict classes. Devices not listed claim "other"; vague ones claim
// nothing.
var recogDeviceClass = map[string]string{
	"IP Camera": string(evidence.Camera),
	"Web Cam":   string(evidence.Camera),
	// An encoder puts analogue cameras on the network: it is the cameras'
	// network face, camera-like without being a camera or a recorder.
	"Video Encoder":                ClassVideo,
	"DVR":                          string(evidence.Recorder),
	"NVR":                          string(evidence.Recorder),
	"Network Video Recorder":       string(evidence.Recorder),
	"Cloud Network Video Recorder": string(evidence.Recorder),
}

// recogVagueDevices say nothing about what the device is.
var recogVagueDevices = map[string]bool{
	"Device": true, "Appliance": true, "Network": true, "Network Appliance": true,
	"General": true, "Server": true, "Unknown": true, "Embedded": true,
}

// recogTelevisionDVRs are vendors whose recog "DVR" is a television
// set-top recorder, not a surveillance recorder.
var recogTelevisionDVRs = map[string]bool{"tivo": true, "nagra": true}

func recogClass(device, vendor string) string {
	device = strings.TrimSpace(device)
	if device == "" || recogVagueDevices[device] {
		return ""
	}
	if device == "DVR" && recogTelevisionDVRs[strings.ToLower(strings.TrimSpace(vendor))] {
		return string(evidence.Other)
	}
	if c, ok := recogDeviceClass[device]; ok {
		return c
	}
	return string(evidence.Other)
}

// recogOutputParams names, for each verdict output, the recog params that
// fill it, best first. Only params that describe the device itself are
// used: service.vendor/product/version describe the server software
// (nginx, GoAhead), not the box, and feed the brand only for a fingerprint
// that names a device and no hardware or OS vendor.
var recogOutputParams = map[string][]string{
	"brand":    {"hw.vendor", "os.vendor", "service.vendor"},
	"model":    {"hw.model", "hw.product"},
	"firmware": {"hw.version", "os.version"},
	"serial":   {"hw.serial_number"},
}
