package snmp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"

	"github.com/camsweep/camsweep/scanner/internal/value"
)

// The decoders below read one variable binding of a walked column: its
// index (the OID below the column) and its typed value. An agent is a
// device on the network, so nothing is trusted: a wrong type, a short or
// overlong index, a sub-identifier out of range or a value of the wrong
// length is an error the walk counts and skips, never a panic.

// errUnused marks an entry that is well formed but says nothing useful
// (an incomplete neighbour entry, the switch's own MAC); it is skipped
// without being counted as malformed.
var errUnused = errors.New("snmp: entry not used")

// errBadIndex and errBadType are the malformed cases.
var (
	errBadIndex = errors.New("snmp: malformed index")
	errBadType  = errors.New("snmp: unexpected value type")
)

// maxText bounds a display string from an agent (SnmpAdminString and
// DisplayString are at most 255 octets; sysDescr and LLDP descriptions may
// claim more).
const maxText = 255

// Neighbour is one entry of a router's neighbour (ARP) table.
type Neighbour struct {
	Addr    netip.Addr
	MAC     string // lower-case, colon-separated
	IfIndex uint32
}

// decodePhysNeighbour reads ipNetToPhysicalPhysAddress: the index is
// ifIndex.addressType.addressLength.address (InetAddress is not IMPLIED,
// so its length comes first).
func decodePhysNeighbour(idx oid, v gosnmp.SnmpPDU) (Neighbour, error) {
	if len(idx) < 3 {
		return Neighbour{}, errBadIndex
	}
	ifIndex, addrType, n := idx[0], idx[1], int(idx[2])
	if len(idx) != 3+n {
		return Neighbour{}, errBadIndex
	}
	raw, err := indexOctets(idx[3:])
	if err != nil {
		return Neighbour{}, err
	}
	var addr netip.Addr
	switch {
	case addrType == 1 && n == 4: // ipv4
		addr = netip.AddrFrom4([4]byte(raw))
	case addrType == 2 && n == 16: // ipv6
		addr = netip.AddrFrom16([16]byte(raw))
	case addrType == 3 && n == 8: // ipv4z: address then a 4-octet zone index
		addr = netip.AddrFrom4([4]byte(raw[:4]))
	case addrType == 4 && n == 20: // ipv6z
		addr = netip.AddrFrom16([16]byte(raw[:16]))
	default:
		return Neighbour{}, errBadIndex
	}
	mac, err := macValue(v)
	if err != nil {
		return Neighbour{}, err
	}
	return Neighbour{Addr: addr, MAC: mac, IfIndex: ifIndex}, nil
}

// decodeMediaNeighbour reads RFC 1213 ipNetToMediaPhysAddress, index
// ifIndex.a.b.c.d.
func decodeMediaNeighbour(idx oid, v gosnmp.SnmpPDU) (Neighbour, error) {
	if len(idx) != 5 {
		return Neighbour{}, errBadIndex
	}
	raw, err := indexOctets(idx[1:])
	if err != nil {
		return Neighbour{}, err
	}
	mac, err := macValue(v)
	if err != nil {
		return Neighbour{}, err
	}
	return Neighbour{Addr: netip.AddrFrom4([4]byte(raw)), MAC: mac, IfIndex: idx[0]}, nil
}

// macValue reads a PhysAddress holding an Ethernet MAC. Empty (an
// incomplete entry), all-zero, broadcast and multicast values name no
// host.
func macValue(v gosnmp.SnmpPDU) (string, error) {
	b, ok := v.Value.([]byte)
	if v.Type != gosnmp.OctetString || !ok {
		return "", errBadType
	}
	return macFromBytes(b)
}

func macFromBytes(b []byte) (string, error) {
	if len(b) == 0 {
		return "", errUnused
	}
	if len(b) != 6 {
		return "", fmt.Errorf("%w: physical address of %d octets", errUnused, len(b))
	}
	if b[0]&1 != 0 || (b[0]|b[1]|b[2]|b[3]|b[4]|b[5]) == 0 {
		return "", errUnused
	}
	return net.HardwareAddr(b).String(), nil
}

// indexOctets turns index sub-identifiers that encode octets (an address,
// a MAC) into bytes; each must fit in one.
func indexOctets(sub oid) ([]byte, error) {
	out := make([]byte, len(sub))
	for i, s := range sub {
		if s > 255 {
			return nil, errBadIndex
		}
		out[i] = byte(s)
	}
	return out, nil
}

// fdbKey identifies a forwarding-table entry: the filtering database (0
// for the BRIDGE-MIB table, dot1qFdbId for Q-BRIDGE) and the MAC.
type fdbKey struct {
	fdb uint32
	mac [6]byte
}

// decodeFdbIndex reads the index of dot1dTpFdbTable (MAC) or, with q, of
// dot1qTpFdbTable (dot1qFdbId.MAC).
func decodeFdbIndex(idx oid, q bool) (fdbKey, error) {
	var k fdbKey
	if q {
		if len(idx) != 7 {
			return k, errBadIndex
		}
		k.fdb, idx = idx[0], idx[1:]
	} else if len(idx) != 6 {
		return k, errBadIndex
	}
	raw, err := indexOctets(idx)
	if err != nil {
		return k, err
	}
	copy(k.mac[:], raw)
	return k, nil
}

// decodeUintColumn reads an integer column whose index is one
// sub-identifier (dot1dBasePortIfIndex, lldpLocPortIdSubtype), or, with
// keyAt, the sub-identifier at that position of a longer fixed index
// (dot1qVlanFdbId is indexed TimeMark.VlanIndex).
func decodeUintColumn(idx oid, v gosnmp.SnmpPDU, idxLen, keyAt int) (uint32, uint32, error) {
	if len(idx) != idxLen {
		return 0, 0, errBadIndex
	}
	n, ok := asUint32(v)
	if !ok {
		return 0, 0, errBadType
	}
	return idx[keyAt], n, nil
}

// decodeTextColumn reads a display-string column indexed by one
// sub-identifier (ifName, ifAlias, ifDescr, lldpLocPortId).
func decodeTextColumn(idx oid, v gosnmp.SnmpPDU) (uint32, string, error) {
	if len(idx) != 1 {
		return 0, "", errBadIndex
	}
	b, ok := v.Value.([]byte)
	if v.Type != gosnmp.OctetString || !ok {
		return 0, "", errBadType
	}
	return idx[0], cleanText(b), nil
}

// asUint32 accepts the integer types an agent may use for a count or an
// index (INTEGER, Unsigned32/Gauge32, Counter32), non-negative and within
// 32 bits.
func asUint32(v gosnmp.SnmpPDU) (uint32, bool) {
	switch v.Type {
	case gosnmp.Integer, gosnmp.Gauge32, gosnmp.Counter32, gosnmp.Uinteger32, gosnmp.TimeTicks:
	default:
		return 0, false
	}
	switch n := v.Value.(type) {
	case int:
		if n >= 0 && uint64(n) <= 0xffffffff {
			return uint32(n), true
		}
	case uint:
		if uint64(n) <= 0xffffffff {
			return uint32(n), true
		}
	case uint32:
		return n, true
	case uint64:
		if n <= 0xffffffff {
			return uint32(n), true
		}
	}
	return 0, false
}

// cleanText makes an agent's octets safe to print and to hold, as every
// device's text is (value.Clean): valid UTF-8, no control characters,
// bounded. Switches often keep port descriptions in Latin-1, so a byte that
// is not UTF-8 is read as its Latin-1 letter ("Børn" stays "Børn").
func cleanText(b []byte) string {
	if len(b) > maxText*4 {
		b = b[:maxText*4]
	}
	if utf8.Valid(b) {
		return value.Clean(string(b), maxText)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			r, size = rune(b[0]), 1
		}
		sb.WriteRune(r)
		b = b[size:]
	}
	return value.Clean(sb.String(), maxText)
}

// lldpKey identifies a remote-table entry: the local port and the
// agent's index of the neighbour on it.
type lldpKey struct{ localPort, remIndex uint32 }

// LLDPNeighbour is what a device on a switch port said about itself in
// LLDP, as the switch recorded it.
type LLDPNeighbour struct {
	LocalPort         uint32
	ChassisIDSubtype  uint32
	ChassisID         string // a MAC in colon form when its subtype is macAddress
	PortIDSubtype     uint32
	PortID            string
	PortDescription   string
	SystemName        string
	SystemDescription string
	// CapSupported and CapEnabled are the system capability bits
	// (LldpSystemCapabilitiesMap).
	CapSupported, CapEnabled uint16
}

// decodeLLDPRem reads one cell of lldpRemTable: idx is column.TimeMark.
// LocalPortNum.Index below lldpRemEntry. It returns the entry's key, the
// column, and applies the value to n.
func decodeLLDPRem(idx oid, v gosnmp.SnmpPDU, n *LLDPNeighbour) (lldpKey, error) {
	if len(idx) != 4 {
		return lldpKey{}, errBadIndex
	}
	col, k := idx[0], lldpKey{localPort: idx[2], remIndex: idx[3]}
	n.LocalPort = k.localPort
	switch col {
	case lldpRemChassisIDSubtype, lldpRemPortIDSubtype:
		s, ok := asUint32(v)
		if !ok {
			return k, errBadType
		}
		if col == lldpRemChassisIDSubtype {
			n.ChassisIDSubtype = s
		} else {
			n.PortIDSubtype = s
		}
		return k, nil
	case lldpRemSysCapSupported, lldpRemSysCapEnabled:
		b, ok := v.Value.([]byte)
		if v.Type != gosnmp.OctetString || !ok {
			return k, errBadType
		}
		var bits uint16
		if len(b) > 0 {
			bits = uint16(b[0]) << 8
		}
		if len(b) > 1 {
			bits |= uint16(b[1])
		}
		if col == lldpRemSysCapSupported {
			n.CapSupported = bits
		} else {
			n.CapEnabled = bits
		}
		return k, nil
	case lldpRemChassisID, lldpRemPortID, lldpRemPortDesc, lldpRemSysName, lldpRemSysDesc:
		b, ok := v.Value.([]byte)
		if v.Type != gosnmp.OctetString || !ok {
			return k, errBadType
		}
		switch col {
		case lldpRemChassisID:
			n.ChassisID = idBytes(b)
		case lldpRemPortID:
			n.PortID = idBytes(b)
		case lldpRemPortDesc:
			n.PortDescription = cleanText(b)
		case lldpRemSysName:
			n.SystemName = cleanText(b)
		case lldpRemSysDesc:
			n.SystemDescription = cleanText(b)
		}
		return k, nil
	}
	return k, errUnused // a column the harvest does not read
}

// idBytes keeps an LLDP chassis or port ID as it came; formatID renders
// it once the subtype (another column) is known.
func idBytes(b []byte) string {
	if len(b) > maxText {
		b = b[:maxText]
	}
	return string(b)
}

// Chassis and port ID subtypes whose value is a MAC or a network address
// rather than text (LldpChassisIdSubtype, LldpPortIdSubtype).
const (
	chassisSubtypeMAC     = 4
	chassisSubtypeNetwork = 5
	portSubtypeMAC        = 3
	portSubtypeNetwork    = 4
)

// formatID renders a chassis or port ID by its subtype: a MAC in colon
// form, a network address (IANA family octet, then the address) as an
// address, anything else as cleaned text, or hex when it is not text.
func formatID(raw string, isMAC, isNetwork bool) string {
	b := []byte(raw)
	switch {
	case isMAC && len(b) == 6:
		return net.HardwareAddr(b).String()
	case isNetwork && len(b) == 5 && b[0] == 1:
		return netip.AddrFrom4([4]byte(b[1:])).String()
	case isNetwork && len(b) == 17 && b[0] == 2:
		return netip.AddrFrom16([16]byte(b[1:])).String()
	}
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return fmt.Sprintf("%x", b)
		}
	}
	return cleanText(b)
}

// The LLDP system capability bits (IEEE 802.1AB LldpSystemCapabilitiesMap,
// bit 0 the most significant of the first octet).
var capNames = [...]string{"other", "repeater", "bridge", "wlan-access-point", "router", "telephone", "docsis-cable-device", "station-only"}

const (
	capBridge = 1 << (15 - 2)
	capRouter = 1 << (15 - 4)
)

// capList names the set bits, in bit order.
func capList(bits uint16) string {
	var names []string
	for i, name := range capNames {
		if bits&(1<<(15-i)) != 0 {
			names = append(names, name)
		}
	}
	return strings.Join(names, ",")
}
