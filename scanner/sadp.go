package scanner

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/rs/zerolog"
)

// Hikvision SADP (Search Active Devices Protocol), the discovery the SADP
// Tool uses: an XML inquiry to UDP 37020, multicast to 239.255.255.250 or
// unicast, answered by an XML ProbeMatch that names the model, serial,
// firmware and MAC without any login.
const sadpPort = 37020

var sadpGroup = netip.AddrPortFrom(netip.AddrFrom4([4]byte{239, 255, 255, 250}), sadpPort)

// newSADPInquiry is the inquiry; the Uuid is echoed in the answers.
func newSADPInquiry() []byte {
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

// parseSADP reads one SADP datagram. Inquiries (our own, or another
// tool's) and anything that is not a ProbeMatch are errors.
func parseSADP(b []byte) ([]evidence.Evidence, error) {
	var m sadpMatch
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = false
	dec.CharsetReader = passCharset
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("scanner: parse sadp: %w", err)
	}
	if m.XMLName.Local != "ProbeMatch" {
		return nil, errors.New("scanner: parse sadp: not a ProbeMatch")
	}
	var l evList
	l.probe = "sadp"
	l.add("sadp.model", m.DeviceDesc)
	l.add("sadp.serial", m.DeviceSN)
	l.add("sadp.firmware", m.SoftwareVersion)
	l.add("sadp.device_type", m.DeviceType)
	if mac := protoMAC(m.MAC); mac != "" {
		l.add("sadp.mac", mac)
		l.add("mac", mac)
	}
	return l.out, nil
}

// SADPOptions tunes SADP and DHIP: how long answers are collected and the
// multicast TTL.
type SADPOptions = WSDOptions

// SADPProber sends the inquiry to one host: answers from routed VLANs that
// multicast cannot reach.
type SADPProber struct {
	opts SADPOptions
	log  zerolog.Logger
}

// NewSADPProber returns the "sadp" prober.
func NewSADPProber(opts SADPOptions, log zerolog.Logger) *SADPProber {
	return &SADPProber{opts: opts, log: log.With().Str("probe", "sadp").Logger()}
}

func (p *SADPProber) Name() string { return "sadp" }

func (p *SADPProber) Probe(ctx context.Context, t Target, emit Emit) error {
	return unicastDatagramProbe(ctx, t, sadpPort, "sadp", [][]byte{newSADPInquiry()}, p.opts.Wait, emit, parseSADP, p.log)
}

// SADPDiscoverer multicasts the inquiry on each interface. Hikvision devices
// answer to the group on port 37020 rather than to the sender, so the round
// binds that port and joins the group.
type SADPDiscoverer struct {
	ifaces []net.Interface
	opts   SADPOptions
	log    zerolog.Logger
}

// NewSADPDiscoverer returns the "sadp" discoverer (interfaces as for
// NewWSDDiscoverer).
func NewSADPDiscoverer(ifaces []net.Interface, opts SADPOptions, log zerolog.Logger) *SADPDiscoverer {
	return &SADPDiscoverer{ifaces: ifaces, opts: opts, log: log.With().Str("probe", "sadp").Logger()}
}

func (d *SADPDiscoverer) Name() string { return "sadp" }

func (d *SADPDiscoverer) Discover(ctx context.Context, found func(Sighting)) error {
	return multicastDiscover(ctx, d.ifaces, d.log, found, func(ifi net.Interface) (mcastRound, func(netip.Addr, []byte) []evidence.Evidence) {
		r := mcastRound{Iface: ifi, Group: sadpGroup, BindPort: sadpPort, Msgs: [][]byte{newSADPInquiry()}, Wait: d.opts.Wait, TTL: d.opts.TTL}
		return r, quietParse(parseSADP)
	})
}

// unicastDatagramProbe is the shared body of the vendor UDP probers: send,
// parse every answer from the target, emit.
func unicastDatagramProbe(ctx context.Context, t Target, port uint16, probe string, msgs [][]byte, wait time.Duration,
	emit Emit, parse func([]byte) ([]evidence.Evidence, error), log zerolog.Logger) error {
	sink := newEvidenceSink(probe, emit)
	return udpExchange(ctx, t.Dialer, netip.AddrPortFrom(t.Addr, port), msgs, wait, func(b []byte) bool {
		ev, err := parse(b)
		if err != nil {
			log.Debug().Err(err).Str("host", t.Addr.String()).Msg("unusable answer")
			return false
		}
		for _, e := range ev {
			sink.addN(e.Field, e.Value, len(e.Value))
		}
		return len(ev) > 0
	})
}

// quietParse adapts a parser for a multicast round, where foreign traffic on
// the group (other tools' inquiries) is normal and simply ignored.
func quietParse(parse func([]byte) ([]evidence.Evidence, error)) func(netip.Addr, []byte) []evidence.Evidence {
	return func(_ netip.Addr, b []byte) []evidence.Evidence {
		ev, err := parse(b)
		if err != nil {
			return nil
		}
		return ev
	}
}

// evList collects cleaned evidence values of one probe.
type evList struct {
	probe string
	out   []evidence.Evidence
}

func (l *evList) add(field, value string) {
	if v := cleanValue(value, maxValueLen); v != "" {
		l.out = append(l.out, evidence.Evidence{Probe: l.probe, Field: field, Value: v})
	}
}
