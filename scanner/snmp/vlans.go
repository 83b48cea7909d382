package snmp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"
)

// Per-VLAN bridge tables. A Cisco Catalyst (IOS, IOS-XE) serves no
// Q-BRIDGE-MIB forwarding table: it runs one bridge per VLAN, and each
// has its own BRIDGE-MIB instance (dot1dTpFdbTable, dot1dBasePortTable),
// reached by "community string indexing" (SNMPv2c community
// "community@VLAN") or, with SNMPv3, the context "vlan-VLAN". The default
// instance is VLAN 1's. The VLANs come from CISCO-VTP-MIB's vtpVlanTable
// (or the device's configured list), narrowed to those an access port is
// in (CISCO-VLAN-MEMBERSHIP-MIB): a VLAN that only trunks carry has its
// MACs learnt on trunks, which locate nothing. This is how Netdisco and
// LibreNMS read a Catalyst's forwarding tables.

// Table names of the per-VLAN reads, as reports name them.
const (
	TableVtpVlan      = "vtpVlanTable"
	TableVmVlan       = "vmMembershipTable"
	TableVmVoiceVlan  = "vmVoiceVlanTable"
	TableVLANFdb      = "dot1dTpFdbTable per VLAN"
	TableVLANBasePort = "dot1dBasePortTable per VLAN"
)

// How per-VLAN instances are reached (DeviceReport.VLANIndexing) and where
// the VLAN list came from (DeviceReport.VLANSource).
const (
	VLANByCommunity   = "community" // SNMPv2c community@VLAN
	VLANByContext     = "context"   // SNMPv3 context vlan-VLAN
	VLANListVTP       = "vtpVlanState"
	VLANListConfigure = "configured"
)

// VLANContextName is the SNMPv3 context of a VLAN's bridge on a Catalyst
// (its configuration: "snmp-server group NAME v3 priv context vlan- match
// prefix").
func VLANContextName(vlan int) string { return fmt.Sprintf("vlan-%d", vlan) }

// vlanFailStreak: after this many VLANs in a row got no answer, or had
// their credentials refused, with none answered before, the switch does
// not serve per-VLAN instances to camsweep (community indexing off, or the
// SNMPv3 group lacks the vlan- contexts): the rest are not asked.
const vlanFailStreak = 3

// VLANReport is how one VLAN's bridge tables were read.
type VLANReport struct {
	VLAN int
	// Entries counts its forwarding entries, Ports its bridge ports.
	Entries, Ports int
	// Error and ErrorKind say why the VLAN's tables were not read whole.
	Error, ErrorKind string
	// Skipped says why the VLAN was not asked at all (max_vlans, the time
	// budget, earlier VLANs unanswered).
	Skipped  string
	Duration time.Duration
}

// errVLANs marks the per-VLAN reads going wrong: each VLAN's failure is
// in DeviceReport.VLANs, the device's other tables are unaffected.
type errVLANs struct {
	msg   string
	first error
}

func (e *errVLANs) Error() string { return e.msg }
func (e *errVLANs) Unwrap() error { return e.first }

// vlanAccess points a session at one VLAN's bridge instance (scope(0):
// the default instance again), by method (VLANByCommunity, VLANByContext).
// harvestOne builds it from the credential.
type vlanAccess struct {
	scope  func(vlan int)
	method string
}

// vlanScoper addresses VLAN instances the way the credential allows:
// community@VLAN for SNMPv2c, the context vlan-VLAN for SNMPv3.
func vlanScoper(g *gosnmp.GoSNMP, c Credential) vlanAccess {
	if c.Version == gosnmp.Version2c {
		base := c.Community.Reveal()
		return vlanAccess{method: VLANByCommunity, scope: func(vlan int) {
			g.Community = base
			if vlan > 0 {
				g.Community = fmt.Sprintf("%s@%d", base, vlan)
			}
		}}
	}
	return vlanAccess{method: VLANByContext, scope: func(vlan int) {
		g.ContextName = c.ContextName
		if vlan > 0 {
			g.ContextName = VLANContextName(vlan)
		}
	}}
}

// vlanList names the VLANs whose bridges to read: the device's list, or
// the operational Ethernet VLANs of vtpVlanTable, narrowed to those an
// access port is in when the switch says which. Nil without error: the
// switch lists none (not a Catalyst).
func (dd *deviceData) vlanList(w *walker) ([]int, error) {
	if len(dd.dev.VLANs) > 0 {
		dd.report.VLANSource = VLANListConfigure
		out := slices.Clone(dd.dev.VLANs)
		slices.Sort(out)
		// The operator's list is read as given; the access ports still
		// tell the trunks apart.
		_, err := dd.readAccessPorts(w)
		return out, err
	}
	type vtp struct{ state, typ uint32 }
	known := map[int]*vtp{}
	rows, err := w.walkColumns([]oid{mustOID(oidVtpVlanState), mustOID(oidVtpVlanType)}, func(col int, idx oid, v gosnmp.SnmpPDU) {
		vlan, n, derr := decodeVtpVlan(idx, v)
		if derr != nil {
			dd.malformed(derr)
			return
		}
		e := known[vlan]
		if e == nil {
			if len(known) >= maxVLANsLimit {
				return
			}
			e = &vtp{}
			known[vlan] = e
		}
		if col == 0 {
			e.state = n
		} else {
			e.typ = n
		}
	})
	dd.count(TableVtpVlan, rows, err)
	var candidates []int
	for vlan, e := range known {
		if e.state == vtpVlanOperational && (e.typ == 0 || e.typ == vtpVlanEthernet) {
			candidates = append(candidates, vlan)
		}
	}
	if len(candidates) == 0 {
		return nil, err
	}
	dd.report.VLANSource = VLANListVTP
	slices.Sort(candidates)
	inUse, merr := dd.readAccessPorts(w)
	err = errors.Join(err, merr)
	if len(inUse) == 0 {
		// The switch does not say which VLANs its access ports are in:
		// every operational VLAN is read.
		return candidates, err
	}
	used := slices.DeleteFunc(slices.Clone(candidates), func(v int) bool { return !inUse[v] })
	if dropped := len(candidates) - len(used); dropped > 0 {
		dd.report.Notes = append(dd.report.Notes, fmt.Sprintf("%d of %d operational VLANs have no access port on the switch (only trunks carry them) and were not read", dropped, len(candidates)))
	}
	return used, err
}

// readAccessPorts walks CISCO-VLAN-MEMBERSHIP-MIB: the access ports
// (dd.accessPorts, by ifIndex) and the VLANs they are in, their voice
// VLANs included. A port a Catalyst lists there is an access port; one
// it does not is a trunk (or routed), which locates nothing.
func (dd *deviceData) readAccessPorts(w *walker) (map[int]bool, error) {
	inUse := map[int]bool{}
	dd.accessPorts = map[uint32]bool{}
	var err error
	for _, c := range []struct {
		table string
		col   string
	}{{TableVmVlan, oidVmVlan}, {TableVmVoiceVlan, oidVmVoiceVlanID}} {
		n, merr := w.walkColumns([]oid{mustOID(c.col)}, func(_ int, idx oid, v gosnmp.SnmpPDU) {
			ifIndex, vlan, derr := decodeUintColumn(idx, v, 1, 0)
			if derr != nil {
				dd.malformed(derr)
				return
			}
			if vlan >= 1 && vlan <= vlanMax {
				inUse[int(vlan)] = true
				dd.accessPorts[ifIndex] = true
			}
		})
		dd.count(c.table, n, merr)
		err = errors.Join(err, merr)
		if merr != nil && fatal(merr) {
			break
		}
	}
	return inUse, err
}

// decodeVtpVlan reads a vtpVlanTable cell: index managementDomainIndex.
// vtpVlanIndex, an integer value (state or type). VLANs outside 1-4094 and
// the FDDI and Token Ring defaults are refused as unused.
func decodeVtpVlan(idx oid, v gosnmp.SnmpPDU) (int, uint32, error) {
	if len(idx) != 2 {
		return 0, 0, errBadIndex
	}
	n, ok := asUint32(v)
	if !ok {
		return 0, 0, errBadType
	}
	vlan := idx[1]
	if vlan < 1 || vlan > vlanMax {
		return 0, 0, errBadIndex
	}
	if vlan >= vlanReservedFirst && vlan <= vlanReservedLast {
		return 0, 0, errUnused
	}
	return int(vlan), n, nil
}

// readPerVLAN reads each VLAN's forwarding table and bridge ports in that
// VLAN's instance, within the device's rate, max_vlans, the per-VLAN time
// budget and, for all VLANs together, max_entries rows. A VLAN that fails
// is reported and the next is asked; none stops the device's harvest.
func (dd *deviceData) readPerVLAN(w *walker, vlans []int) error {
	dd.vlanFDB, dd.vlanPorts = map[fdbKey]fdbRow{}, map[int]map[uint32]uint32{}
	ctx, cancel := context.WithTimeout(w.ctx, dd.dev.VLANMaxDuration)
	defer cancel()
	vw := *w
	vw.ctx = ctx
	defer dd.access.scope(0)

	var failed []string
	var first error
	fail := func(r *VLANReport, err error) {
		r.Error, r.ErrorKind = strings.ReplaceAll(err.Error(), "\n", "; "), classify(err)
		failed = append(failed, fmt.Sprintf("VLAN %d: %s", r.VLAN, r.Error))
		if first == nil {
			first = err
		}
	}
	streak, answered := 0, false
	skipRest := ""
	for i, vlan := range vlans {
		r := VLANReport{VLAN: vlan}
		remaining := dd.dev.MaxEntries - dd.vlanRows
		switch {
		case skipRest != "":
			r.Skipped = skipRest
		case i >= dd.dev.MaxVLANs:
			r.Skipped = fmt.Sprintf("more than max_vlans (%d)", dd.dev.MaxVLANs)
		case remaining <= 0:
			r.Skipped = fmt.Sprintf("max_entries (%d) rows already read from earlier VLANs", dd.dev.MaxEntries)
		case ctx.Err() != nil:
			r.Skipped = fmt.Sprintf("vlan_max_duration (%s) spent", dd.dev.VLANMaxDuration)
			skipRest = r.Skipped
		}
		if r.Skipped != "" {
			dd.report.VLANs = append(dd.report.VLANs, r)
			continue
		}
		start := time.Now()
		dd.access.scope(vlan)
		vw.maxRows = remaining
		err := dd.readVLAN(&vw, vlan, &r)
		r.Duration = time.Since(start)
		if errors.Is(err, gosnmp.ErrUnknownReportPDU) && dd.access.method == VLANByContext {
			err = fmt.Errorf("the agent refused the context %s with a report (snmpUnknownContexts: is camsweep's SNMPv3 group given the vlan- contexts?): %w", VLANContextName(vlan), err)
		}
		if w.ctx.Err() != nil {
			// The device's own time is up: that ends its harvest.
			dd.report.VLANs = append(dd.report.VLANs, r)
			return w.ctx.Err()
		}
		if err != nil {
			fail(&r, err)
		}
		switch kind := classify(err); {
		case kind == ErrorDeadline:
			skipRest = fmt.Sprintf("vlan_max_duration (%s) spent", dd.dev.VLANMaxDuration)
		case err == nil || kind == ErrorTruncated || kind == ErrorProtocol:
			streak, answered = 0, true
		case kind == ErrorTimeout || kind == ErrorAuth || kind == ErrorRefused:
			streak++
			if streak >= vlanFailStreak && !answered {
				skipRest = fmt.Sprintf("the first %d VLANs got no answer (%s): is per-VLAN indexing allowed for camsweep on the switch?", vlanFailStreak, kind)
			}
		}
		dd.report.VLANs = append(dd.report.VLANs, r)
	}
	skipped := 0
	for _, r := range dd.report.VLANs {
		if r.Skipped != "" {
			skipped++
		}
	}
	if len(failed) == 0 && skipped == 0 {
		return nil
	}
	msg := fmt.Sprintf("per-VLAN bridge tables: %d of %d VLANs failed", len(failed), len(vlans))
	if len(failed) > 0 {
		msg += " (" + strings.Join(failed[:min(len(failed), 3)], "; ")
		if len(failed) > 3 {
			msg += fmt.Sprintf("; and %d more", len(failed)-3)
		}
		msg += ")"
	}
	if skipped > 0 {
		msg += fmt.Sprintf(", %d not asked", skipped)
		if first == nil {
			first = errTruncated
			if ctx.Err() != nil {
				first = context.DeadlineExceeded
			}
		}
	}
	return &errVLANs{msg: "snmp: " + msg, first: first}
}

// readVLAN reads one VLAN's instance: the forwarding table's port and
// status columns, then its bridge ports' interfaces (a VLAN's bridge may
// number its ports its own way).
func (dd *deviceData) readVLAN(w *walker, vlan int, r *VLANReport) error {
	before := len(dd.vlanFDB)
	rows, err := w.walkColumns([]oid{mustOID(oidDot1dTpFdbPort), mustOID(oidDot1dTpFdbStatus)}, func(col int, idx oid, v gosnmp.SnmpPDU) {
		k, n, ok := dd.fdbCell(idx, v, false)
		if !ok {
			return
		}
		k.fdb = uint32(vlan)
		row := dd.vlanFDB[k]
		if col == 0 {
			row.port = n
		} else {
			row.status = n
		}
		dd.vlanFDB[k] = row
	})
	dd.count(TableVLANFdb, rows, err)
	r.Entries = len(dd.vlanFDB) - before
	dd.vlanRows += r.Entries
	if err != nil && (fatal(err) || errors.Is(err, errTruncated)) {
		return err
	}
	w.maxRows = max(1, dd.dev.MaxEntries-dd.vlanRows)
	ports := map[uint32]uint32{}
	prow, perr := w.walkColumns([]oid{mustOID(oidDot1dBasePortIfIndex)}, func(_ int, idx oid, v gosnmp.SnmpPDU) {
		port, ifIndex, derr := decodeUintColumn(idx, v, 1, 0)
		if derr != nil {
			dd.malformed(derr)
			return
		}
		ports[port] = ifIndex
	})
	dd.count(TableVLANBasePort, prow, perr)
	dd.vlanRows += len(ports)
	r.Ports = len(ports)
	if len(ports) > 0 {
		dd.vlanPorts[vlan] = ports
	}
	return errors.Join(err, perr)
}
