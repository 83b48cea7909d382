package snmp

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
	"golang.org/x/time/rate"
)

// FuzzParseOID: any text either parses into an OID that prints back the
// same, or is refused.
func FuzzParseOID(f *testing.F) {
	for _, s := range []string{".1.3.6.1.2.1.4.35.1.4.3.1.4.10.99.0.5", "1.3", ".", "", "..1", ".1.4294967296", ".1." + strings.Repeat("1.", 200) + "1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := parseOID(s)
		if err != nil {
			return
		}
		if len(o) == 0 || len(o) > maxOIDLen {
			t.Fatalf("parsed %d sub-identifiers", len(o))
		}
		back, err := parseOID(o.String())
		if err != nil || compareOID(o, back) != 0 {
			t.Fatalf("%q -> %s does not parse back the same", s, o)
		}
	})
}

// pduFrom builds a variable binding of any type from fuzz input: the
// decoders must refuse every wrong type, value and index without panic.
func pduFrom(typ byte, val []byte) gosnmp.SnmpPDU {
	t := gosnmp.Asn1BER(typ)
	var v any
	switch t {
	case gosnmp.OctetString:
		v = val
	case gosnmp.Integer:
		var b [8]byte
		copy(b[:], val)
		v = int(int64(binary.BigEndian.Uint64(b[:])))
	case gosnmp.Gauge32, gosnmp.Counter32:
		var b [8]byte
		copy(b[:], val)
		v = uint(binary.BigEndian.Uint64(b[:]))
	case gosnmp.Uinteger32, gosnmp.TimeTicks:
		var b [4]byte
		copy(b[:], val)
		v = binary.BigEndian.Uint32(b[:])
	case gosnmp.ObjectIdentifier, gosnmp.IPAddress:
		v = string(val)
	default:
		v = val
	}
	return gosnmp.SnmpPDU{Name: ".1", Type: t, Value: v}
}

// FuzzTableDecoders feeds every decoder the same cell: an index (as an
// OID text) and a typed value. Whatever an agent sends, a decoder returns
// a well-formed entry or an error.
func FuzzTableDecoders(f *testing.F) {
	f.Add("3.1.4.10.99.0.5", byte(gosnmp.OctetString), []byte{0x44, 0x47, 0xcc, 0, 0, 5})
	f.Add("3.10.99.0.5", byte(gosnmp.OctetString), []byte{0x3c, 0xef, 0x8c, 0, 0, 6})
	f.Add("1120.60.239.140.0.0.6", byte(gosnmp.Integer), []byte{0, 0, 0, 0, 0, 0, 0, 3})
	f.Add("9.0.3.1", byte(gosnmp.OctetString), []byte("AXIS M3086-V"))
	f.Add("4.0.3.1", byte(gosnmp.Integer), []byte{0, 0, 0, 0, 0, 0, 0, 4})
	f.Add("12.0.3.1", byte(gosnmp.OctetString), []byte{0x01, 0x00})
	f.Add("1.2.16.254.128.0.0.0.0.0.0.2.0.0.0.0.0.0.1", byte(gosnmp.OctetString), []byte{2, 0, 0, 0, 0, 1})
	f.Add("1.1.4.10.0.0.256", byte(gosnmp.Null), []byte{})
	f.Add("1.120", byte(gosnmp.Integer), []byte{0, 0, 0, 0, 0, 0, 0, 1})   // vtpVlanState
	f.Add("1.1003", byte(gosnmp.Integer), []byte{0, 0, 0, 0, 0, 0, 0, 3})  // vtpVlanType tokenRing
	f.Add("10101", byte(gosnmp.Integer), []byte{0, 0, 0, 0, 0, 0, 0, 120}) // vmVlan
	f.Fuzz(func(t *testing.T, idxText string, typ byte, val []byte) {
		idx, err := parseOID(idxText)
		if err != nil {
			idx = nil
		}
		v := pduFrom(typ, val)
		if n, err := decodePhysNeighbour(idx, v); err == nil {
			if !n.Addr.IsValid() || len(n.MAC) != 17 {
				t.Fatalf("bad neighbour %+v", n)
			}
		}
		if n, err := decodeMediaNeighbour(idx, v); err == nil {
			if !n.Addr.Is4() || len(n.MAC) != 17 {
				t.Fatalf("bad neighbour %+v", n)
			}
		}
		_, _ = decodeFdbIndex(idx, true)
		_, _ = decodeFdbIndex(idx, false)
		_, _, _ = decodeUintColumn(idx, v, 1, 0)
		_, _, _ = decodeUintColumn(idx, v, 2, 1)
		if vlan, _, err := decodeVtpVlan(idx, v); err == nil && (vlan < 1 || vlan > 4094 || (vlan >= 1002 && vlan <= 1005)) {
			t.Fatalf("VLAN %d accepted", vlan)
		}
		if _, s, err := decodeTextColumn(idx, v); err == nil && len([]rune(s)) > maxText {
			t.Fatalf("text of %d runes", len([]rune(s)))
		}
		var n LLDPNeighbour
		_, _ = decodeLLDPRem(idx, v, &n)
		_ = formatID(n.ChassisID, true, false)
		_ = formatID(n.PortID, false, true)
		_ = capList(n.CapEnabled)
	})
}

// replaySession answers every request with the same fuzzed packet, and
// counts the requests: a walk over it must end, whatever it holds.
type replaySession struct {
	pkt   *gosnmp.SnmpPacket
	calls int
}

var errTooManyCalls = errors.New("fuzz: walk did not end")

func (r *replaySession) Get([]string) (*gosnmp.SnmpPacket, error) {
	r.calls++
	return r.pkt, nil
}

func (r *replaySession) GetBulk([]string, uint8, uint32) (*gosnmp.SnmpPacket, error) {
	r.calls++
	if r.calls > 10_000 {
		return nil, errTooManyCalls
	}
	return r.pkt, nil
}

// FuzzHarvestResponse decodes a datagram as an agent's answer (gosnmp's
// decoder is fed untrusted bytes too) and plays it back as the answer to
// every request of a whole device harvest, router and switch: decoding,
// walking and locating must neither panic nor loop.
func FuzzHarvestResponse(f *testing.F) {
	seed := func(vars ...gosnmp.SnmpPDU) {
		p := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: "c", PDUType: gosnmp.GetResponse, RequestID: 1, Variables: vars}
		b, err := p.MarshalMsg()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seed(gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.4.35.1.4.3.1.4.10.99.0.5", Type: gosnmp.OctetString, Value: []byte{0x44, 0x47, 0xcc, 0, 0, 5}},
		gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.4.35.1.4.3.1.4.10.99.0.6", Type: gosnmp.OctetString, Value: []byte{0x44, 0x47, 0xcc, 0, 0, 6}})
	seed(gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.17.7.1.2.2.1.2.1120.60.239.140.0.0.6", Type: gosnmp.Integer, Value: 3},
		gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.17.7.1.2.2.1.3.1120.60.239.140.0.0.6", Type: gosnmp.Integer, Value: 3})
	seed(gosnmp.SnmpPDU{Name: ".1.0.8802.1.1.2.1.4.1.1.5.0.3.1", Type: gosnmp.OctetString, Value: []byte{0xac, 0xcc, 0x8e, 1, 2, 3}},
		gosnmp.SnmpPDU{Name: ".1.0.8802.1.1.2.1.4.1.1.4.0.3.1", Type: gosnmp.Integer, Value: 4})
	seed(gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.1.5.0", Type: gosnmp.OctetString, Value: []byte("sw1")})
	seed(gosnmp.SnmpPDU{Name: ".1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.120", Type: gosnmp.Integer, Value: 1},
		gosnmp.SnmpPDU{Name: ".1.3.6.1.4.1.9.9.46.1.3.1.1.3.1.120", Type: gosnmp.Integer, Value: 1})
	seed(gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.17.4.3.1.2.60.239.140.0.0.6", Type: gosnmp.Integer, Value: 3},
		gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.17.4.3.1.3.60.239.140.0.0.6", Type: gosnmp.Integer, Value: 3})
	seed(gosnmp.SnmpPDU{Name: ".1.3.6.1.4.1.9.9.68.1.2.2.1.2.10101", Type: gosnmp.Integer, Value: 120})
	seed(gosnmp.SnmpPDU{Name: ".1.3.6.1.2.1.4.35.1.4", Type: gosnmp.EndOfMibView})
	f.Fuzz(func(t *testing.T, datagram []byte) {
		dec := &gosnmp.GoSNMP{Version: gosnmp.Version2c}
		pkt, err := dec.SnmpDecodePacket(datagram)
		if err != nil || pkt == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Three harvests: the default instance only; per VLAN with the
		// VLANs from vtpVlanTable; per VLAN with a configured list.
		var scoped []int
		access := vlanAccess{method: VLANByCommunity, scope: func(vlan int) { scoped = append(scoped, vlan) }}
		for _, tc := range []struct {
			mode   string
			vlans  []int
			access vlanAccess
		}{{VLANIndexingAuto, nil, vlanAccess{}}, {VLANIndexingOn, nil, access}, {VLANIndexingOn, []int{1, 120, 130}, access}} {
			s := &replaySession{pkt: pkt}
			w := &walker{ctx: ctx, s: s, limit: rate.NewLimiter(rate.Inf, 1), maxRep: 10, maxRows: 5000}
			d := Device{Name: "dut", Address: netip.MustParseAddr("10.0.0.1"), Roles: []string{RoleRouter, RoleSwitch}, VLANs: tc.vlans,
				Tuning: Tuning{UplinkMACs: 10, MaxEntries: 5000, VLANIndexing: tc.mode, MaxVLANs: 4, VLANMaxDuration: 2 * time.Second}}
			dd := harvestDevice(d, w, func(netip.Addr) bool { return true }, tc.access)
			if errors.Is(errors.New(dd.report.Error), errTooManyCalls) || strings.Contains(dd.report.Error, errTooManyCalls.Error()) {
				t.Fatalf("a walk did not end: %d requests", s.calls)
			}
			if len(dd.report.VLANs) > maxVLANsLimit || dd.vlanRows > 2*d.MaxEntries {
				t.Fatalf("%d VLANs, %d rows", len(dd.report.VLANs), dd.vlanRows)
			}
			for _, r := range dd.report.VLANs {
				if r.VLAN < 1 || r.VLAN > 4094 {
					t.Fatalf("VLAN %d read", r.VLAN)
				}
			}
			_ = locate([]*deviceData{dd}, infra{macs: map[string]string{}, names: map[string]bool{}})
		}
		if len(scoped) > 0 && scoped[len(scoped)-1] != 0 {
			t.Fatalf("the session was left in VLAN %d's instance", scoped[len(scoped)-1])
		}
	})
}
