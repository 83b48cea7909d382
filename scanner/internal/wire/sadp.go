package wire

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/value"
)

// Hikvision SADP (Search Active Devices Protocol), the discovery the SADP
// Tool uses: an XML inquiry to UDP 37020, multicast to 239.255.255.250 or
// unicast, answered by an XML ProbeMatch that names the model, serial,
// firmware and MAC without any login.
const SADPPort = 37020

// SADPGroup is where multicast inquiries go.
var SADPGroup = netip.AddrPortFrom(netip.AddrFrom4([4]byte{239, 255, 255, 250}), SADPPort)

// NewSADPInquiry is the inquiry; the Uuid is echoed in the answers.
func NewSADPInquiry() []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?><Probe><Uuid>` +
		strings.ToUpper(newUUID()) + `</Uuid><Types>inquiry</Types></Probe>`)
}

// sadpMatch is the part of a SADP ProbeMatch that identifies the device.
type sadpMatch struct {
	XMLName         xml.Name
	Types           string `xml:"Types"`
	DeviceType      string `xml:"DeviceType"`
	DeviceDesc      string `xml:"DeviceDescription"`
	DeviceSN        string `xml:"DeviceSN"`
	MAC             string `xml:"MAC"`
	IPv4Address     string `xml:"IPv4Address"`
	SoftwareVersion string `xml:"SoftwareVersion"`
	DSPVersion      string `xml:"DSPVersion"`
}

// ParseSADP reads one SADP datagram. Inquiries (our own, or another
// tool's) and anything that is not a ProbeMatch are errors.
func ParseSADP(b []byte) ([]evidence.Evidence, error) {
	var m sadpMatch
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = false
	dec.CharsetReader = value.PassCharset
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("scanner: parse sadp: %w", err)
	}
	if m.XMLName.Local != "ProbeMatch" {
		return nil, errors.New("scanner: parse sadp: not a ProbeMatch")
	}
	l := value.List{Probe: "sadp"}
	l.Add("sadp.model", m.DeviceDesc)
	l.Add("sadp.serial", m.DeviceSN)
	l.Add("sadp.firmware", m.SoftwareVersion)
	l.Add("sadp.device_type", m.DeviceType)
	if mac := value.MAC(m.MAC); mac != "" {
		l.Add("sadp.mac", mac)
		l.Add("mac", mac)
	}
	return l.Out, nil
}
