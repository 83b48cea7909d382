package wire

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"

	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/value"
)

// Dahua DHIP discovery, what ConfigTool uses: UDP 37810, multicast group
// 239.255.255.251. Each message is a 32-byte header followed by a JSON body:
//
//	off  size  field
//	0    4     header length, little-endian (0x20)
//	4    4     magic "DHIP"
//	8    8     session and request ids (0 for discovery)
//	16   4     body length, little-endian
//	20   4     0
//	24   4     body length again
//	28   4     0
//
// The query body is {"method":"DHDiscover.search","params":{"mac":"","uni":1}};
// devices answer with method client.notifyDevInfo and params.deviceInfo.
const (
	DHIPPort      = 37810
	dhipHeaderLen = 32
)

// DHIPGroup is where multicast searches go.
var DHIPGroup = netip.AddrPortFrom(netip.AddrFrom4([4]byte{239, 255, 255, 251}), DHIPPort)

// dhipFrame wraps body in a DHIP header.
func dhipFrame(body []byte) []byte {
	b := make([]byte, dhipHeaderLen+len(body))
	binary.LittleEndian.PutUint32(b[0:], dhipHeaderLen)
	copy(b[4:8], "DHIP")
	binary.LittleEndian.PutUint32(b[16:], uint32(len(body)))
	binary.LittleEndian.PutUint32(b[24:], uint32(len(body)))
	copy(b[dhipHeaderLen:], body)
	return b
}

// NewDHIPSearch is the discovery query. "uni":1 asks for a unicast answer.
func NewDHIPSearch() []byte {
	return dhipFrame([]byte(`{"method":"DHDiscover.search","params":{"mac":"","uni":1}}` + "\n"))
}

// dhipBody checks a frame's header and returns its body.
func dhipBody(b []byte) ([]byte, error) {
	if len(b) < dhipHeaderLen {
		return nil, errors.New("scanner: parse dhip: short frame")
	}
	if string(b[4:8]) != "DHIP" {
		return nil, errors.New("scanner: parse dhip: no DHIP magic")
	}
	if binary.LittleEndian.Uint32(b[0:]) != dhipHeaderLen {
		return nil, errors.New("scanner: parse dhip: unexpected header length")
	}
	n := binary.LittleEndian.Uint32(b[16:])
	if uint64(n) > uint64(len(b)-dhipHeaderLen) {
		return nil, fmt.Errorf("scanner: parse dhip: body length %d exceeds frame", n)
	}
	return b[dhipHeaderLen : dhipHeaderLen+int(n)], nil
}

// dhipInfo is the part of an answer that identifies the device.
type dhipInfo struct {
	Method string `json:"method"`
	MAC    string `json:"mac"`
	Params struct {
		DeviceInfo *struct {
			DeviceClass string `json:"DeviceClass"`
			DeviceType  string `json:"DeviceType"`
			SerialNo    string `json:"SerialNo"`
			Vendor      string `json:"Vendor"`
			Version     string `json:"Version"`
			MAC         string `json:"Mac"`
		} `json:"deviceInfo"`
	} `json:"params"`
}

// ParseDHIP reads one DHIP datagram: a search (ours, or another tool's) or
// anything without deviceInfo is an error.
func ParseDHIP(b []byte) ([]evidence.Evidence, error) {
	body, err := dhipBody(b)
	if err != nil {
		return nil, err
	}
	var m dhipInfo
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("scanner: parse dhip: %w", err)
	}
	di := m.Params.DeviceInfo
	if di == nil {
		return nil, errors.New("scanner: parse dhip: no deviceInfo")
	}
	l := value.List{Probe: "dhip"}
	// DeviceType names the model (IPC-HDW2431T-AS-S2, NVR4108HS-4KS2) and
	// DeviceClass the kind of device (IPC, SD, NVR, XVR, VTO...).
	l.Add("dhip.model", di.DeviceType)
	l.Add("dhip.serial", di.SerialNo)
	l.Add("dhip.vendor", di.Vendor)
	l.Add("dhip.firmware", di.Version)
	l.Add("dhip.device_class", di.DeviceClass)
	mac := value.MAC(di.MAC)
	if mac == "" {
		mac = value.MAC(m.MAC)
	}
	if mac != "" {
		l.Add("dhip.mac", mac)
		l.Add("mac", mac)
	}
	return l.Out, nil
}
