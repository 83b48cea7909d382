package snmp

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// infra is how the harvest recognises another infrastructure device behind
// a switch port: its MACs (the switches' own forwarding entries, the
// routers' neighbour entries for the configured addresses) and its names.
type infra struct {
	macs  map[string]string // MAC -> device name
	names map[string]bool   // lower-case configured names and sysNames
}

// switchView is one switch's forwarding data, organised by interface.
type switchView struct {
	dd *deviceData
	// macs holds, per ifIndex, the MACs learnt there and the VLAN and
	// table of each.
	macs    map[uint32]map[string]learnt
	uplinks map[uint32][]string // ifIndex -> why it is an uplink
	byName  map[string]uint32   // lower-case ifName, ifDescr -> ifIndex
	byAlias map[string]uint32
}

// location results.
type located struct {
	locations map[string]evidence.Location
	lldp      map[string][]evidence.Evidence
	ambiguous int
}

// maxLLDPPerMAC bounds the LLDP evidence attached to one MAC.
const maxLLDPPerMAC = 2

// locate places every MAC the switches learnt on the one edge port it sits
// behind. Ports that lead to other switches or routers are uplinks and
// place nothing: a port named in the device's uplinks, one whose LLDP
// neighbour is a bridge or router (phones and access points bridge too and
// do not count) or is configured infrastructure, one where a MAC of
// configured infrastructure was learnt, and one with more MACs than the
// threshold. A MAC seen on edge ports of several switches (an uplink none
// of these recognised) goes to the port with the fewest MACs; a tie places
// it nowhere. A MAC no forwarding table holds but that an LLDP neighbour
// on an edge port names as its chassis is placed there.
func locate(switches []*deviceData, id infra) located {
	out := located{locations: map[string]evidence.Location{}, lldp: map[string][]evidence.Evidence{}}
	type sighting struct {
		sv      *switchView
		ifIndex uint32
		at      learnt
		onPort  int
	}
	sightings := map[string][]sighting{}
	views := make([]*switchView, 0, len(switches))
	for _, dd := range switches {
		sv := newSwitchView(dd)
		sv.classify(id)
		views = append(views, sv)
		ports := make([]uint32, 0, len(sv.macs))
		for p := range sv.macs {
			ports = append(ports, p)
		}
		slices.Sort(ports)
		for _, p := range ports {
			if _, up := sv.uplinks[p]; up {
				continue
			}
			for mac, at := range sv.macs[p] {
				sightings[mac] = append(sightings[mac], sighting{sv: sv, ifIndex: p, at: at, onPort: len(sv.macs[p])})
			}
		}
		dd.report.Uplinks = sv.uplinkReport()
	}
	macs := make([]string, 0, len(sightings))
	for m := range sightings {
		macs = append(macs, m)
	}
	slices.Sort(macs)
	for _, mac := range macs {
		ss := sightings[mac]
		slices.SortStableFunc(ss, func(a, b sighting) int { return cmp.Compare(a.onPort, b.onPort) })
		if len(ss) > 1 && ss[0].onPort == ss[1].onPort && (ss[0].sv != ss[1].sv || ss[0].ifIndex != ss[1].ifIndex) {
			out.ambiguous++
			continue
		}
		s := ss[0]
		out.locations[mac] = s.sv.location(s.ifIndex, s.at.vlan, "snmp "+s.at.table)
		s.sv.dd.report.Located++
	}
	for _, sv := range views {
		sv.lldpEvidence(&out)
	}
	return out
}

// learnt is where a forwarding entry came from: its VLAN (0 when the
// table does not say) and its table.
type learnt struct {
	vlan  int
	table string
}

func newSwitchView(dd *deviceData) *switchView {
	sv := &switchView{dd: dd, macs: map[uint32]map[string]learnt{}, uplinks: map[uint32][]string{}, byName: map[string]uint32{}, byAlias: map[string]uint32{}}
	for _, m := range []map[uint32]string{dd.ifDescr, dd.ifName} { // ifName wins
		for i, n := range m {
			sv.byName[strings.ToLower(n)] = i
		}
	}
	for i, a := range dd.ifAlias {
		sv.byAlias[strings.ToLower(a)] = i
	}
	add := func(k fdbKey, r fdbRow, ports map[uint32]uint32, at learnt) {
		if !r.locates() {
			return
		}
		ifIndex, ok := sv.ifOfBridgePort(ports, r.port)
		if !ok {
			return
		}
		if sv.macs[ifIndex] == nil {
			sv.macs[ifIndex] = map[string]learnt{}
		}
		sv.macs[ifIndex][net.HardwareAddr(k.mac[:]).String()] = at
	}
	for k, r := range dd.fdb {
		add(k, r, dd.basePortIf, learnt{vlan: dd.vlanOf(k.fdb), table: dd.fdbTable})
	}
	// Per-VLAN entries come last: the VLAN they name is certain, where the
	// default instance's entry (the same MAC, VLAN 1) may say none.
	for k, r := range dd.vlanFDB {
		ports, ok := dd.vlanPorts[int(k.fdb)]
		if !ok {
			ports = dd.basePortIf
		}
		add(k, r, ports, learnt{vlan: int(k.fdb), table: TableVLANFdb})
	}
	return sv
}

// locates reports whether a forwarding entry can place a MAC: learnt (or
// "other"), on a real port; not invalid, not the switch's own, not
// management.
func (r fdbRow) locates() bool {
	return r.port != 0 && (r.status == 0 || r.status == fdbStatusLearned || r.status == fdbStatusOther)
}

// vlanOf names the VLAN of a Q-BRIDGE filtering database: the one VLAN
// dot1qVlanFdbId maps to it, or 0 when the switch does not say or several
// VLANs share it.
func (dd *deviceData) vlanOf(fdbID uint32) int {
	if v := dd.fdbVLAN[fdbID]; len(v) == 1 && v[0] > 0 && v[0] < 4095 {
		return int(v[0])
	}
	return 0
}

// ifOfBridgePort maps a bridge port of an instance (ports: its
// dot1dBasePortTable) to its interface. An agent without a
// dot1dBasePortTable numbers bridge ports as interfaces.
func (sv *switchView) ifOfBridgePort(ports map[uint32]uint32, port uint32) (uint32, bool) {
	if len(ports) == 0 {
		return port, true
	}
	i, ok := ports[port]
	return i, ok
}

// lldpPort ties an LLDP local port number to an interface: through the
// port's own LLDP port ID (an interface name or alias), else as a bridge
// port (what LLDP-MIB prescribes), else as an ifIndex.
func (sv *switchView) lldpPort(localPort uint32) (uint32, bool) {
	dd := sv.dd
	if id := strings.ToLower(dd.locPortID[localPort]); id != "" {
		if dd.locPortType[localPort] == 1 { // interfaceAlias
			if i, ok := sv.byAlias[id]; ok {
				return i, true
			}
		}
		if i, ok := sv.byName[id]; ok {
			return i, true
		}
	}
	if i, ok := dd.basePortIf[localPort]; ok {
		return i, true
	}
	if _, ok := dd.ifName[localPort]; ok {
		return localPort, true
	}
	if _, ok := dd.ifDescr[localPort]; ok {
		return localPort, true
	}
	return 0, false
}

func (sv *switchView) portName(ifIndex uint32) string {
	if n := sv.dd.ifName[ifIndex]; n != "" {
		return n
	}
	if n := sv.dd.ifDescr[ifIndex]; n != "" {
		return n
	}
	return "ifIndex " + strconv.FormatUint(uint64(ifIndex), 10)
}

func (sv *switchView) mark(ifIndex uint32, why string) {
	if len(sv.uplinks[ifIndex]) < 4 && !slices.Contains(sv.uplinks[ifIndex], why) {
		sv.uplinks[ifIndex] = append(sv.uplinks[ifIndex], why)
	}
}

// classify finds the switch's uplinks.
func (sv *switchView) classify(id infra) {
	dd := sv.dd
	for _, u := range dd.dev.Uplinks {
		key := strings.ToLower(strings.TrimSpace(u))
		if i, ok := sv.byName[key]; ok {
			sv.mark(i, "configured uplink")
		} else if n, err := strconv.ParseUint(key, 10, 32); err == nil {
			sv.mark(uint32(n), "configured uplink")
		} else {
			dd.report.Notes = append(dd.report.Notes, fmt.Sprintf("configured uplink %q names no port of the switch", u))
		}
	}
	for _, k := range dd.lldpKeys() {
		n := dd.lldp[k]
		i, ok := sv.lldpPort(n.LocalPort)
		if !ok {
			continue
		}
		name := cmp.Or(n.SystemName, formatID(n.ChassisID, n.ChassisIDSubtype == chassisSubtypeMAC, n.ChassisIDSubtype == chassisSubtypeNetwork))
		caps := n.CapEnabled
		if caps == 0 {
			caps = n.CapSupported
		}
		const endpoint = 1<<(15-5) | 1<<(15-3) // telephone, wlan-access-point: they bridge, but are where a device is
		switch {
		case id.names[strings.ToLower(n.SystemName)] && n.SystemName != "":
			sv.mark(i, fmt.Sprintf("LLDP neighbour %s is configured infrastructure", name))
		case n.ChassisIDSubtype == chassisSubtypeMAC && id.macs[formatID(n.ChassisID, true, false)] != "":
			sv.mark(i, fmt.Sprintf("LLDP neighbour %s is configured infrastructure", name))
		case caps&capRouter != 0:
			sv.mark(i, fmt.Sprintf("LLDP neighbour %s is a router", name))
		case caps&capBridge != 0 && caps&endpoint == 0:
			sv.mark(i, fmt.Sprintf("LLDP neighbour %s is a bridge", name))
		}
	}
	for i, macs := range sv.macs {
		if len(dd.accessPorts) > 0 && !dd.accessPorts[i] {
			sv.mark(i, "a trunk: not an access port in CISCO-VLAN-MEMBERSHIP-MIB")
		}
		if len(macs) > dd.dev.UplinkMACs {
			sv.mark(i, fmt.Sprintf("%d MACs learnt (more than %d)", len(macs), dd.dev.UplinkMACs))
		}
		for mac := range macs {
			if dev := id.macs[mac]; dev != "" && !strings.EqualFold(dev, dd.report.Name) {
				sv.mark(i, fmt.Sprintf("MAC %s of %s learnt here", mac, dev))
				break
			}
		}
	}
}

func (sv *switchView) uplinkReport() []Uplink {
	var out []Uplink
	for i, why := range sv.uplinks {
		out = append(out, Uplink{Port: sv.portName(i), MACs: len(sv.macs[i]), Reasons: why})
	}
	slices.SortFunc(out, func(a, b Uplink) int { return strings.Compare(a.Port, b.Port) })
	return out
}

func (sv *switchView) location(ifIndex uint32, vlan int, source string) evidence.Location {
	return evidence.Location{
		Switch:          sv.dd.report.Name,
		SwitchAddress:   sv.dd.dev.Address.String(),
		Port:            sv.portName(ifIndex),
		PortDescription: sv.dd.ifAlias[ifIndex],
		VLAN:            vlan,
		Source:          source,
	}
}

// lldpEvidence turns what the devices on edge ports said in LLDP into
// evidence for the MAC they belong to: the chassis MAC when the chassis ID
// is one, else the one MAC learnt on the port.
func (sv *switchView) lldpEvidence(out *located) {
	dd := sv.dd
	for _, k := range dd.lldpKeys() {
		n := dd.lldp[k]
		i, ok := sv.lldpPort(n.LocalPort)
		if !ok {
			continue
		}
		if _, up := sv.uplinks[i]; up {
			continue
		}
		mac := ""
		if n.ChassisIDSubtype == chassisSubtypeMAC && len(n.ChassisID) == 6 {
			if m, err := macFromBytes([]byte(n.ChassisID)); err == nil {
				mac = m
			}
		}
		if mac == "" && len(sv.macs[i]) == 1 {
			for m := range sv.macs[i] {
				mac = m
			}
		}
		if mac == "" || len(out.lldp[mac]) >= maxLLDPPerMAC*6 {
			continue
		}
		if _, placed := out.locations[mac]; !placed {
			out.locations[mac] = sv.location(i, 0, "snmp "+TableLLDPRem)
			dd.report.Located++
		}
		ev := func(field, value string) {
			if value != "" {
				out.lldp[mac] = evidence.AppendNew(out.lldp[mac], evidence.Evidence{Probe: "snmp", Field: field, Value: value})
			}
		}
		ev("lldp.system_name", n.SystemName)
		ev("lldp.system_description", n.SystemDescription)
		ev("lldp.chassis_id", formatID(n.ChassisID, n.ChassisIDSubtype == chassisSubtypeMAC, n.ChassisIDSubtype == chassisSubtypeNetwork))
		ev("lldp.port_id", formatID(n.PortID, n.PortIDSubtype == portSubtypeMAC, n.PortIDSubtype == portSubtypeNetwork))
		ev("lldp.port_description", n.PortDescription)
		caps := n.CapEnabled
		if caps == 0 {
			caps = n.CapSupported
		}
		ev("lldp.capabilities", capList(caps))
	}
}

// lldpKeys lists the remote table's entries in table order, so that what
// is derived from them does not depend on map order.
func (dd *deviceData) lldpKeys() []lldpKey {
	keys := make([]lldpKey, 0, len(dd.lldp))
	for k := range dd.lldp {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b lldpKey) int {
		return cmp.Or(cmp.Compare(a.localPort, b.localPort), cmp.Compare(a.remIndex, b.remIndex))
	})
	return keys
}
