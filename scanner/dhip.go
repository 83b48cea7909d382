package scanner

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/rs/zerolog"
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
	dhipPort      = 37810
	dhipHeaderLen = 32
)

var dhipGroup = netip.AddrPortFrom(netip.AddrFrom4([4]byte{239, 255, 255, 251}), dhipPort)

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

// newDHIPSearch is the discovery query. "uni":1 asks for a unicast answer.
func newDHIPSearch() []byte {
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

// parseDHIP reads one DHIP datagram: a search (ours, or another tool's) or
// anything without deviceInfo is an error.
func parseDHIP(b []byte) ([]evidence.Evidence, error) {
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
	l := evList{probe: "dhip"}
	l.add("dhip.model", di.DeviceType)
	l.add("dhip.serial", di.SerialNo)
	l.add("dhip.vendor", di.Vendor)
	l.add("dhip.firmware", di.Version)
	l.add("dhip.device_type", di.DeviceClass)
	mac := protoMAC(di.MAC)
	if mac == "" {
		mac = protoMAC(m.MAC)
	}
	if mac != "" {
		l.add("dhip.mac", mac)
		l.add("mac", mac)
	}
	return l.out, nil
}

// DHIPProber sends the search to one host's UDP 37810.
type DHIPProber struct {
	opts SADPOptions
	log  zerolog.Logger
}

// NewDHIPProber returns the "dhip" prober.
func NewDHIPProber(opts SADPOptions, log zerolog.Logger) *DHIPProber {
	return &DHIPProber{opts: opts, log: log.With().Str("probe", "dhip").Logger()}
}

func (p *DHIPProber) Name() string { return "dhip" }

func (p *DHIPProber) Probe(ctx context.Context, t Target, emit Emit) error {
	return unicastDatagramProbe(ctx, t, dhipPort, "dhip", [][]byte{newDHIPSearch()}, p.opts.Wait, emit, parseDHIP, p.log)
}

// DHIPDiscoverer multicasts the search on each interface. The round binds
// 37810 and joins the group because firmwares differ on whether they answer
// to the sender or to the group.
type DHIPDiscoverer struct {
	ifaces []net.Interface
	opts   SADPOptions
	log    zerolog.Logger
}

// NewDHIPDiscoverer returns the "dhip" discoverer.
func NewDHIPDiscoverer(ifaces []net.Interface, opts SADPOptions, log zerolog.Logger) *DHIPDiscoverer {
	return &DHIPDiscoverer{ifaces: ifaces, opts: opts, log: log.With().Str("probe", "dhip").Logger()}
}

func (d *DHIPDiscoverer) Name() string { return "dhip" }

func (d *DHIPDiscoverer) Discover(ctx context.Context, found func(Sighting)) error {
	return multicastDiscover(ctx, d.ifaces, d.log, found, func(ifi net.Interface) (mcastRound, func(netip.Addr, []byte) []evidence.Evidence) {
		r := mcastRound{Iface: ifi, Group: dhipGroup, BindPort: dhipPort, Msgs: [][]byte{newDHIPSearch()}, Wait: d.opts.Wait, TTL: d.opts.TTL}
		return r, quietParse(parseDHIP)
	})
}
