package scantest

import (
	"fmt"
	"net"
	"slices"
	"strconv"
)

// A Cisco Catalyst (IOS, IOS-XE) as its SNMP agent serves it, for a
// switch with PerVLAN set. It runs one bridge per VLAN and serves no
// Q-BRIDGE-MIB forwarding table. Its default instance holds the system
// group, IF-MIB, LLDP-MIB, CISCO-VTP-MIB's vtpVlanTable (every VLAN it
// knows, with the FDDI and Token Ring defaults 1002-1005 every Catalyst
// lists), CISCO-VLAN-MEMBERSHIP-MIB (each access port's VLAN and voice
// VLAN), and VLAN 1's BRIDGE-MIB tables. Every other VLAN's
// dot1dTpFdbTable and dot1dBasePortTable are in the context "vlan-N",
// reached with the community "community@N" (SNMPv2c) or the SNMPv3
// context of that name (Cisco's "community string indexing",
// documented in Cisco's "Using SNMP to Find a Port Number from a MAC
// Address on a Catalyst Switch").
//
// A bridge's ports are that bridge's: in each VLAN's instance they are
// numbered 1, 2, ... among the ports in the VLAN, so a harvest that took
// one VLAN's bridge port numbers for another's would misplace devices.

// ciscoObjectID is a sysObjectID under ciscoProducts.
const ciscoObjectID = ".1.3.6.1.4.1.9.1.1208"

// vtpTypes are the vtpVlanType values of the reserved VLANs.
var vtpReserved = map[int]int{1002: 2, 1003: 3, 1004: 4, 1005: 5} // fddi, tokenRing, fddiNet, trNet

// accessVLAN is the VLAN an access port is in.
func (p SwitchPort) accessVLAN() int {
	switch {
	case p.VLAN > 0:
		return p.VLAN
	case len(p.MACs) > 0 && p.MACs[0].VLAN > 0:
		return p.MACs[0].VLAN
	}
	return 1
}

// inVLAN reports whether the port is a member of the VLAN's bridge.
func (p SwitchPort) inVLAN(vlan int) bool {
	return p.Trunk || p.accessVLAN() == vlan || (p.VoiceVLAN > 0 && p.VoiceVLAN == vlan)
}

// VLANs lists the VLANs the switch knows, ascending: its ports', the
// extra ones, and VLAN 1.
func (s EmulatedSwitch) VLANs() []int {
	set := map[int]bool{1: true}
	for _, p := range s.Ports {
		if !p.Trunk {
			set[p.accessVLAN()] = true
		}
		if p.VoiceVLAN > 0 {
			set[p.VoiceVLAN] = true
		}
		for _, l := range p.MACs {
			if l.VLAN > 0 {
				set[l.VLAN] = true
			}
		}
	}
	for _, v := range s.ExtraVLANs {
		set[v] = true
	}
	out := make([]int, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// catalystDefault renders the default instance.
func (s EmulatedSwitch) catalystDefault() *MIB {
	m := &MIB{}
	s.system(m, ciscoObjectID)
	for i, p := range s.Ports {
		p.ifRows(m)
		p.lldpRows(m, i+1)
		if !p.Trunk {
			m.Int(fmt.Sprintf(".1.3.6.1.4.1.9.9.68.1.2.2.1.2.%d", p.IfIndex), p.accessVLAN())
		}
		if p.VoiceVLAN > 0 {
			m.Int(fmt.Sprintf(".1.3.6.1.4.1.9.9.68.1.5.1.1.1.%d", p.IfIndex), p.VoiceVLAN)
		}
	}
	vtp := func(vlan, typ int) {
		m.Int(fmt.Sprintf(".1.3.6.1.4.1.9.9.46.1.3.1.1.2.1.%d", vlan), 1) // operational
		m.Int(fmt.Sprintf(".1.3.6.1.4.1.9.9.46.1.3.1.1.3.1.%d", vlan), typ)
		m.Text(fmt.Sprintf(".1.3.6.1.4.1.9.9.46.1.3.1.1.4.1.%d", vlan), fmt.Sprintf("VLAN%04d", vlan))
	}
	for _, v := range s.VLANs() {
		if _, reserved := vtpReserved[v]; !reserved {
			vtp(v, 1) // ethernet
		}
	}
	for v := 1002; v <= 1005; v++ {
		vtp(v, vtpReserved[v])
	}
	s.bridge(m, 1)
	return m
}

// Contexts renders each VLAN's bridge but VLAN 1's (which is the default
// instance's, and is in "vlan-1" too), by context name, for
// SNMPAgentOptions.Contexts.
func (s EmulatedSwitch) Contexts() map[string]*MIB {
	if !s.PerVLAN {
		return nil
	}
	out := map[string]*MIB{}
	for _, v := range s.VLANs() {
		m := &MIB{}
		s.system(m, ciscoObjectID)
		s.bridge(m, v)
		out["vlan-"+strconv.Itoa(v)] = m
	}
	return out
}

// bridge renders one VLAN's BRIDGE-MIB instance: its ports and the MACs
// learnt in it, and the switch's own MACs (status self).
func (s EmulatedSwitch) bridge(m *MIB, vlan int) {
	bport := 0
	for _, p := range s.Ports {
		if !p.inVLAN(vlan) {
			continue
		}
		bport++
		m.Int(fmt.Sprintf(".1.3.6.1.2.1.17.1.4.1.2.%d", bport), p.IfIndex)
		for _, l := range p.MACs {
			if l.VLAN == vlan || (l.VLAN == 0 && p.accessVLAN() == vlan) {
				fdbRow(m, l.MAC, bport, 3)
			}
		}
	}
	for _, own := range s.Own {
		fdbRow(m, own, 0, 4)
	}
}

func fdbRow(m *MIB, mac net.HardwareAddr, port, status int) {
	m.Octets(".1.3.6.1.2.1.17.4.3.1.1."+macIndex(mac), mac)
	m.Int(".1.3.6.1.2.1.17.4.3.1.2."+macIndex(mac), port)
	m.Int(".1.3.6.1.2.1.17.4.3.1.3."+macIndex(mac), status)
}
