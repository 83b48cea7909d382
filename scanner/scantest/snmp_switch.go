package scantest

import (
	"fmt"
	"net"
)

// EmulatedSwitch describes an access switch as an SNMP agent serves it:
// its ports, the MACs its forwarding table learnt behind each, and the
// LLDP neighbours it heard. MIB renders it in the tables a real switch
// serves (BRIDGE-MIB or Q-BRIDGE-MIB, IF-MIB, LLDP-MIB), so the harvest
// reads it the way it reads a Catalyst or a ProCurve.
type EmulatedSwitch struct {
	SysName, SysDescr string
	Ports             []SwitchPort
	// Own are the switch's own MACs (forwarding entries with status self).
	Own []net.HardwareAddr
	// BridgeOnly serves dot1dTpFdbTable (no VLANs) instead of
	// dot1qTpFdbTable.
	BridgeOnly bool
	// NoVLANMap leaves out dot1qVlanFdbId, as agents that do not map
	// filtering databases to VLANs do.
	NoVLANMap bool
	// PerVLAN renders the switch as a Cisco Catalyst serves it: one
	// bridge per VLAN (snmp_catalyst.go). MIB is then the default
	// instance and Contexts the VLANs'.
	PerVLAN bool
	// ExtraVLANs are VLANs the switch lists (its VTP domain knows them)
	// that none of its ports is in.
	ExtraVLANs []int
}

// SwitchPort is one port: bridge port i+1 of the switch is Ports[i].
type SwitchPort struct {
	IfIndex int
	Name    string // ifName, e.g. Gi1/0/17
	Alias   string // ifAlias, the operator's description
	MACs    []LearntMAC
	LLDP    []LLDPRemote
	// Trunk carries every VLAN; an access port is in VLAN (default: its
	// first MAC's VLAN, else 1) and VoiceVLAN. Only PerVLAN uses them.
	Trunk     bool
	VLAN      int
	VoiceVLAN int
}

// LearntMAC is a forwarding-table entry.
type LearntMAC struct {
	MAC  net.HardwareAddr
	VLAN int
}

// LLDPRemote is what a neighbour on the port advertised.
type LLDPRemote struct {
	// ChassisMAC is the chassis ID when it is a MAC (subtype 4); else
	// ChassisID is sent as a locally assigned ID (subtype 7).
	ChassisMAC        net.HardwareAddr
	ChassisID         string
	PortID            string // subtype interfaceName (5)
	PortDescription   string
	SystemName        string
	SystemDescription string
	// Capabilities are the LldpSystemCapabilitiesMap bits, bit 0 the most
	// significant (bridge 0x2000, router 0x0800, station-only 0x0100).
	Capabilities uint16
}

// LLDP capability bits, for LLDPRemote.Capabilities.
const (
	CapOther       uint16 = 0x8000
	CapBridge      uint16 = 0x2000
	CapWLANAP      uint16 = 0x1000
	CapRouter      uint16 = 0x0800
	CapTelephone   uint16 = 0x0400
	CapStationOnly uint16 = 0x0100
)

// fdbID is the filtering database a VLAN uses on the emulated switch: not
// the VLAN number, so a harvest that took one for the other would show it.
func fdbID(vlan int) int { return 1000 + vlan }

func macIndex(m net.HardwareAddr) string {
	return fmt.Sprintf("%d.%d.%d.%d.%d.%d", m[0], m[1], m[2], m[3], m[4], m[5])
}

// MIB renders the switch.
func (s EmulatedSwitch) MIB() *MIB {
	if s.PerVLAN {
		return s.catalystDefault()
	}
	m := &MIB{}
	s.system(m, ".1.3.6.1.4.1.8072.3.2.10")
	vlans := map[int]bool{}
	for i, p := range s.Ports {
		bport := i + 1
		m.Int(fmt.Sprintf(".1.3.6.1.2.1.17.1.4.1.2.%d", bport), p.IfIndex)
		p.ifRows(m)
		p.lldpRows(m, bport)
		for _, l := range p.MACs {
			vlans[l.VLAN] = true
			if s.BridgeOnly {
				m.Octets(".1.3.6.1.2.1.17.4.3.1.1."+macIndex(l.MAC), l.MAC)
				m.Int(".1.3.6.1.2.1.17.4.3.1.2."+macIndex(l.MAC), bport)
				m.Int(".1.3.6.1.2.1.17.4.3.1.3."+macIndex(l.MAC), 3)
			} else {
				idx := fmt.Sprintf("%d.%s", fdbID(l.VLAN), macIndex(l.MAC))
				m.Int(".1.3.6.1.2.1.17.7.1.2.2.1.2."+idx, bport)
				m.Int(".1.3.6.1.2.1.17.7.1.2.2.1.3."+idx, 3)
			}
		}
	}
	for _, own := range s.Own {
		if s.BridgeOnly {
			m.Octets(".1.3.6.1.2.1.17.4.3.1.1."+macIndex(own), own)
			m.Int(".1.3.6.1.2.1.17.4.3.1.2."+macIndex(own), 0)
			m.Int(".1.3.6.1.2.1.17.4.3.1.3."+macIndex(own), 4)
		} else {
			idx := fmt.Sprintf("%d.%s", fdbID(1), macIndex(own))
			m.Int(".1.3.6.1.2.1.17.7.1.2.2.1.2."+idx, 0)
			m.Int(".1.3.6.1.2.1.17.7.1.2.2.1.3."+idx, 4)
		}
	}
	if !s.BridgeOnly && !s.NoVLANMap {
		for v := range vlans {
			m.Gauge(fmt.Sprintf(".1.3.6.1.2.1.17.7.1.4.2.1.3.0.%d", v), uint32(fdbID(v)))
		}
	}
	return m
}

// system renders the SNMPv2-MIB system group.
func (s EmulatedSwitch) system(m *MIB, objectID string) {
	m.Text(".1.3.6.1.2.1.1.1.0", s.SysDescr).
		Add(".1.3.6.1.2.1.1.2.0", 0x06, objectID).
		Text(".1.3.6.1.2.1.1.5.0", s.SysName)
}

// ifRows renders the port's IF-MIB rows: ifDescr, ifName, ifAlias.
func (p SwitchPort) ifRows(m *MIB) {
	m.Text(fmt.Sprintf(".1.3.6.1.2.1.2.2.1.2.%d", p.IfIndex), p.Name)
	m.Text(fmt.Sprintf(".1.3.6.1.2.1.31.1.1.1.1.%d", p.IfIndex), p.Name)
	m.Text(fmt.Sprintf(".1.3.6.1.2.1.31.1.1.1.18.%d", p.IfIndex), p.Alias)
}

// lldpRows renders the port's LLDP-MIB rows: its own port ID (an
// interface name) and each neighbour heard on it.
func (p SwitchPort) lldpRows(m *MIB, localPort int) {
	if len(p.LLDP) > 0 {
		m.Int(fmt.Sprintf(".1.0.8802.1.1.2.1.3.7.1.2.%d", localPort), 5)
		m.Text(fmt.Sprintf(".1.0.8802.1.1.2.1.3.7.1.3.%d", localPort), p.Name)
	}
	for j, r := range p.LLDP {
		idx := fmt.Sprintf("0.%d.%d", localPort, j+1)
		col := func(c int) string { return fmt.Sprintf(".1.0.8802.1.1.2.1.4.1.1.%d.%s", c, idx) }
		if r.ChassisMAC != nil {
			m.Int(col(4), 4).Octets(col(5), r.ChassisMAC)
		} else {
			m.Int(col(4), 7).Text(col(5), r.ChassisID)
		}
		m.Int(col(6), 5).Text(col(7), r.PortID).Text(col(8), r.PortDescription).
			Text(col(9), r.SystemName).Text(col(10), r.SystemDescription).
			Octets(col(11), []byte{byte(r.Capabilities >> 8), byte(r.Capabilities)}).
			Octets(col(12), []byte{byte(r.Capabilities >> 8), byte(r.Capabilities)})
	}
}

// EmulatedRouter describes a router's neighbour table as an SNMP agent
// serves it: IP-MIB ipNetToPhysicalTable, or only RFC 1213's
// ipNetToMediaTable for an old one.
type EmulatedRouter struct {
	SysName, SysDescr string
	Neighbours        []RouterNeighbour
	// MediaOnly serves ipNetToMediaTable and no ipNetToPhysicalTable.
	MediaOnly bool
}

// RouterNeighbour is one neighbour-table entry; a nil MAC is an
// incomplete entry (the router asked and nobody answered).
type RouterNeighbour struct {
	IfIndex int
	Addr    [4]byte
	MAC     net.HardwareAddr
}

// MIB renders the router.
func (r EmulatedRouter) MIB() *MIB {
	m := &MIB{}
	m.Text(".1.3.6.1.2.1.1.1.0", r.SysDescr).Text(".1.3.6.1.2.1.1.5.0", r.SysName)
	for _, n := range r.Neighbours {
		a := fmt.Sprintf("%d.%d.%d.%d", n.Addr[0], n.Addr[1], n.Addr[2], n.Addr[3])
		mac := []byte(n.MAC)
		if mac == nil {
			mac = []byte{}
		}
		if r.MediaOnly {
			m.Octets(fmt.Sprintf(".1.3.6.1.2.1.4.22.1.2.%d.%s", n.IfIndex, a), mac)
		} else {
			m.Octets(fmt.Sprintf(".1.3.6.1.2.1.4.35.1.4.%d.1.4.%s", n.IfIndex, a), mac)
		}
	}
	return m
}
