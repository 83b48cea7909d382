package snmp

import (
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"
)

// Table names, as reports name what was read.
const (
	TableIPNetToPhysical = "ipNetToPhysicalTable"
	TableIPNetToMedia    = "ipNetToMediaTable"
	TableDot1qTpFdb      = "dot1qTpFdbTable"
	TableDot1dTpFdb      = "dot1dTpFdbTable"
	TableDot1qVlan       = "dot1qVlanCurrentTable"
	TableBasePort        = "dot1dBasePortTable"
	TableIfName          = "ifXTable"
	TableIfDescr         = "ifTable"
	TableLLDPRem         = "lldpRemTable"
	TableLLDPLocPort     = "lldpLocPortTable"
)

// fdbRow is a forwarding-table entry's port and status.
type fdbRow struct {
	port, status uint32
}

// deviceData is what one device gave; only the harvest's own goroutine
// for that device writes it.
type deviceData struct {
	dev      Device
	report   DeviceReport
	sysName  string
	sysDescr string

	neighbours     []Neighbour
	neighbourTable string

	fdb        map[fdbKey]fdbRow
	fdbTable   string
	fdbVLAN    map[uint32][]uint32 // dot1qFdbId -> the VLANs that use it
	basePortIf map[uint32]uint32
	ifName     map[uint32]string
	ifDescr    map[uint32]string
	ifAlias    map[uint32]string

	lldp        map[lldpKey]*LLDPNeighbour
	locPortID   map[uint32]string
	locPortType map[uint32]uint32

	// access points the session at a VLAN's bridge instance; its scope
	// is nil when the session cannot (per-VLAN reads are then not made).
	access vlanAccess
	// vlanFDB holds the per-VLAN forwarding entries, keyed by VLAN (in
	// fdbKey.fdb) and MAC; vlanPorts each VLAN's bridge port -> ifIndex;
	// vlanRows the rows all VLANs gave together, against max_entries.
	vlanFDB   map[fdbKey]fdbRow
	vlanPorts map[int]map[uint32]uint32
	vlanRows  int
	// accessPorts are the ifIndexes CISCO-VLAN-MEMBERSHIP-MIB lists as
	// access ports; when it lists any, every other port is a trunk.
	accessPorts map[uint32]bool
}

// harvestDevice reads what the device's roles call for, in order of
// value: the system group, the neighbour table, the forwarding tables and
// ports, LLDP. It stops at the first error (the data read until then is
// kept) and records it in the report.
func harvestDevice(d Device, w *walker, keep func(netip.Addr) bool, access vlanAccess) *deviceData {
	dd := &deviceData{dev: d, access: access}
	dd.report = DeviceReport{
		Name: d.Label(), Address: d.Address, Roles: append([]string(nil), d.Roles...),
		Tables: map[string]int{},
	}
	err := dd.read(w, keep)
	if err != nil {
		dd.report.Error = strings.ReplaceAll(err.Error(), "\n", "; ")
		dd.report.ErrorKind = classify(err)
	}
	dd.report.OK = err == nil
	return dd
}

func (dd *deviceData) read(w *walker, keep func(netip.Addr) bool) error {
	sys, err := w.get(oidSysDescr, oidSysObjectID, oidSysName)
	if err != nil {
		return err
	}
	if v, ok := sys[oidSysName]; ok {
		if b, ok := v.Value.([]byte); ok {
			dd.sysName = cleanText(b)
		}
	}
	if v, ok := sys[oidSysDescr]; ok {
		if b, ok := v.Value.([]byte); ok {
			dd.sysDescr = cleanText(b)
		}
	}
	dd.report.SysName, dd.report.SysDescr = dd.sysName, dd.sysDescr
	if dd.dev.Name == "" && dd.sysName != "" {
		dd.report.Name = dd.sysName
	}
	var errs []error
	if dd.dev.Has(RoleRouter) {
		if err := dd.readNeighbours(w, keep); err != nil {
			if fatal(err) {
				return err
			}
			errs = append(errs, err)
		}
	}
	if dd.dev.Has(RoleSwitch) {
		for _, step := range []func(*walker) error{dd.readFDB, dd.readPorts, dd.readLLDP} {
			if err := step(w); err != nil {
				if fatal(err) {
					return err
				}
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// fatal reports whether an error ends the device's harvest: the agent no
// longer answers, refuses us, or time is up. A table cut short or a broken
// table does not: the next table may be fine.
func fatal(err error) bool {
	var perVLAN *errVLANs
	if errors.As(err, &perVLAN) {
		return false
	}
	return !errors.Is(err, errTruncated) && !errors.Is(err, errOutOfOrder) && !errors.Is(err, errNoProgress) && !errors.Is(err, errAgent)
}

// count records a table's rows and whether it was cut short.
func (dd *deviceData) count(table string, rows int, err error) {
	dd.report.Tables[table] += rows
	if errors.Is(err, errTruncated) {
		dd.report.Truncated = append(dd.report.Truncated, table)
	}
}

func (dd *deviceData) malformed(err error) {
	if err != nil && !errors.Is(err, errUnused) {
		dd.report.Malformed++
	}
}

// readNeighbours walks ipNetToPhysicalTable and falls back to
// ipNetToMediaTable when the first gives nothing. Only the entries keep
// accepts (the sweep's scope and the infrastructure's own addresses) are
// held, so a core router's 100,000 entries cost one walk, not memory.
func (dd *deviceData) readNeighbours(w *walker, keep func(netip.Addr) bool) error {
	walkOne := func(table string, root oid, dec func(oid, gosnmp.SnmpPDU) (Neighbour, error)) (int, error) {
		rows, err := w.walkColumns([]oid{root}, func(_ int, idx oid, v gosnmp.SnmpPDU) {
			n, derr := dec(idx, v)
			if derr != nil {
				dd.malformed(derr)
				return
			}
			if keep(n.Addr) {
				dd.neighbours = append(dd.neighbours, n)
			}
		})
		dd.count(table, rows, err)
		return rows, err
	}
	rows, err := walkOne(TableIPNetToPhysical, mustOID(oidIPNetToPhysicalPhysAddress), decodePhysNeighbour)
	dd.neighbourTable = TableIPNetToPhysical
	if rows > 0 || (err != nil && fatal(err)) {
		return err
	}
	dd.neighbourTable = TableIPNetToMedia
	_, err2 := walkOne(TableIPNetToMedia, mustOID(oidIPNetToMediaPhysAddress), decodeMediaNeighbour)
	return errors.Join(err, err2)
}

// readFDB walks the Q-BRIDGE forwarding table (with VLANs), or the
// BRIDGE-MIB one when the switch serves no Q-BRIDGE entries; port and
// status columns side by side.
func (dd *deviceData) readFDB(w *walker) error {
	dd.fdb = map[fdbKey]fdbRow{}
	walkFdb := func(table string, portCol, statusCol string, q bool) (int, error) {
		rows, err := w.walkColumns([]oid{mustOID(portCol), mustOID(statusCol)}, func(col int, idx oid, v gosnmp.SnmpPDU) {
			k, n, ok := dd.fdbCell(idx, v, q)
			if !ok {
				return
			}
			r := dd.fdb[k]
			if col == 0 {
				r.port = n
			} else {
				r.status = n
			}
			dd.fdb[k] = r
		})
		dd.count(table, rows, err)
		return rows, err
	}
	rows, err := walkFdb(TableDot1qTpFdb, oidDot1qTpFdbPort, oidDot1qTpFdbStatus, true)
	if rows > 0 {
		dd.fdbTable = TableDot1qTpFdb
		dd.fdbVLAN = map[uint32][]uint32{}
		vrows, verr := w.walkColumns([]oid{mustOID(oidDot1qVlanFdbID)}, func(_ int, idx oid, v gosnmp.SnmpPDU) {
			vlan, fdbID, derr := decodeUintColumn(idx, v, 2, 1)
			if derr != nil {
				dd.malformed(derr)
				return
			}
			if len(dd.fdbVLAN[fdbID]) < 8 {
				dd.fdbVLAN[fdbID] = append(dd.fdbVLAN[fdbID], vlan)
			}
		})
		dd.count(TableDot1qVlan, vrows, verr)
		err = errors.Join(err, verr)
		if dd.dev.VLANIndexing != VLANIndexingOn || (err != nil && fatal(err)) {
			return err
		}
	}
	if err != nil && fatal(err) {
		return err
	}
	// A Catalyst serves no Q-BRIDGE entries, and its default BRIDGE-MIB
	// instance is VLAN 1's alone: its other VLANs are read one by one.
	if dd.access.scope != nil && dd.dev.VLANIndexing != VLANIndexingOff && dd.dev.Has(RoleSwitch) {
		vlans, lerr := dd.vlanList(w)
		err = errors.Join(err, lerr)
		if lerr != nil && fatal(lerr) {
			return err
		}
		if len(vlans) == 0 && dd.dev.VLANIndexing == VLANIndexingOn {
			err = errors.Join(err, &errVLANs{msg: "snmp: vlan_indexing is on, but the switch lists no operational VLAN in vtpVlanTable: name them under vlans", first: errAgent})
		}
		if len(vlans) > 0 {
			dd.report.VLANIndexing = dd.access.method
			if perr := dd.readPerVLAN(w, vlans); perr != nil {
				if fatal(perr) {
					return errors.Join(err, perr)
				}
				err = errors.Join(err, perr)
			}
			if len(dd.vlanFDB) > 0 || rows > 0 {
				return err
			}
			// No VLAN gave an entry: the default instance may still.
		}
	}
	if rows > 0 {
		return err
	}
	dd.fdbTable = TableDot1dTpFdb
	_, err2 := walkFdb(TableDot1dTpFdb, oidDot1dTpFdbPort, oidDot1dTpFdbStatus, false)
	return errors.Join(err, err2)
}

// fdbCell decodes a forwarding table cell (port or status column): the
// entry's key and the integer; a malformed cell is counted and skipped.
func (dd *deviceData) fdbCell(idx oid, v gosnmp.SnmpPDU, q bool) (fdbKey, uint32, bool) {
	k, err := decodeFdbIndex(idx, q)
	if err != nil {
		dd.malformed(err)
		return k, 0, false
	}
	n, ok := asUint32(v)
	if !ok {
		dd.malformed(errBadType)
		return k, 0, false
	}
	return k, n, true
}

// readPorts maps bridge ports to interfaces and names them.
func (dd *deviceData) readPorts(w *walker) error {
	dd.basePortIf, dd.ifName, dd.ifAlias, dd.ifDescr = map[uint32]uint32{}, map[uint32]string{}, map[uint32]string{}, map[uint32]string{}
	rows, err := w.walkColumns([]oid{mustOID(oidDot1dBasePortIfIndex)}, func(_ int, idx oid, v gosnmp.SnmpPDU) {
		port, ifIndex, derr := decodeUintColumn(idx, v, 1, 0)
		if derr != nil {
			dd.malformed(derr)
			return
		}
		dd.basePortIf[port] = ifIndex
	})
	dd.count(TableBasePort, rows, err)
	if err != nil && fatal(err) {
		return err
	}
	maps := []map[uint32]string{dd.ifName, dd.ifAlias}
	rows2, err2 := w.walkColumns([]oid{mustOID(oidIfName), mustOID(oidIfAlias)}, func(col int, idx oid, v gosnmp.SnmpPDU) {
		ifIndex, s, derr := decodeTextColumn(idx, v)
		if derr != nil {
			dd.malformed(derr)
			return
		}
		if s != "" {
			maps[col][ifIndex] = s
		}
	})
	dd.count(TableIfName, rows2, err2)
	if err2 != nil && fatal(err2) {
		return errors.Join(err, err2)
	}
	// ifDescr names the ports of agents without IF-MIB's ifXTable.
	var err3 error
	if len(dd.ifName) == 0 {
		var rows3 int
		rows3, err3 = w.walkColumns([]oid{mustOID(oidIfDescr)}, func(_ int, idx oid, v gosnmp.SnmpPDU) {
			ifIndex, s, derr := decodeTextColumn(idx, v)
			if derr != nil {
				dd.malformed(derr)
				return
			}
			if s != "" {
				dd.ifDescr[ifIndex] = s
			}
		})
		dd.count(TableIfDescr, rows3, err3)
	}
	return errors.Join(err, err2, err3)
}

// readLLDP walks the remote table (every column of each neighbour) and the
// local port IDs that tie a remote entry's port number to an interface.
func (dd *deviceData) readLLDP(w *walker) error {
	dd.lldp, dd.locPortID, dd.locPortType = map[lldpKey]*LLDPNeighbour{}, map[uint32]string{}, map[uint32]uint32{}
	rows, err := w.walkColumns([]oid{mustOID(oidLLDPRemEntry)}, func(_ int, idx oid, v gosnmp.SnmpPDU) {
		if len(idx) != 4 {
			dd.malformed(errBadIndex)
			return
		}
		k := lldpKey{localPort: idx[2], remIndex: idx[3]}
		n := dd.lldp[k]
		if n == nil {
			n = &LLDPNeighbour{}
		}
		if _, derr := decodeLLDPRem(idx, v, n); derr != nil {
			dd.malformed(derr)
			if dd.lldp[k] == nil {
				return
			}
		}
		dd.lldp[k] = n
	})
	dd.count(TableLLDPRem, rows, err)
	if err != nil && fatal(err) {
		return err
	}
	if len(dd.lldp) == 0 {
		return err
	}
	rows2, err2 := w.walkColumns([]oid{mustOID(oidLLDPLocPortIDSubtype), mustOID(oidLLDPLocPortID)}, func(col int, idx oid, v gosnmp.SnmpPDU) {
		if col == 0 {
			port, st, derr := decodeUintColumn(idx, v, 1, 0)
			if derr != nil {
				dd.malformed(derr)
				return
			}
			dd.locPortType[port] = st
			return
		}
		port, s, derr := decodeTextColumn(idx, v)
		if derr != nil {
			dd.malformed(derr)
			return
		}
		dd.locPortID[port] = s
	})
	dd.count(TableLLDPLocPort, rows2, err2)
	return errors.Join(err, err2)
}

// DeviceReport is how the harvest of one device went, for the report and
// the metrics. It never holds a credential.
type DeviceReport struct {
	// Name is the configured name, else the sysName, else the address.
	Name     string
	Address  netip.Addr
	Roles    []string
	SysName  string
	SysDescr string
	// OK is true when every table the roles call for was read whole.
	OK bool
	// Error says what went wrong, ErrorKind sorts it (ErrorKind...).
	Error     string
	ErrorKind string
	// Requests counts the datagrams sent to it, retries included.
	Requests uint64
	// Tables counts the rows read per table; Truncated names those cut at
	// max_entries; Malformed counts entries skipped as malformed.
	Tables    map[string]int
	Truncated []string
	Malformed int
	// Neighbours is how many neighbour entries were kept (in scope);
	// Located how many MACs were placed on one of its edge ports.
	Neighbours int
	Located    int
	// Notes are remarks on the configuration (an uplink that names no
	// port).
	Notes []string
	// Uplinks are the ports recognised as uplinks or trunks, and why.
	Uplinks []Uplink
	// VLANIndexing says how per-VLAN bridge instances were reached
	// (VLANByCommunity, VLANByContext), "" when none was read; VLANSource
	// where their list came from (VLANListVTP, VLANListConfigure); VLANs
	// how each went.
	VLANIndexing string
	VLANSource   string
	VLANs        []VLANReport
	Duration     time.Duration
}

// Uplink is a port no device is located on.
type Uplink struct {
	Port    string
	MACs    int
	Reasons []string
}
