package sweep

import (
	"fmt"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/camsweep/camsweep/scanner/snmp"
)

// walksFor lists, per role, the walks the harvest makes and how many
// columns each reads side by side (a GETBULK carries one request per
// column, so rows per request fall as columns rise). A fallback walk
// (ipNetToMediaTable, dot1dTpFdbTable, ifDescr) runs only when the first
// gives nothing; it is in the upper bound.
var walksFor = map[string][]struct {
	table    string
	columns  int
	fallback bool
}{
	snmp.RoleRouter: {
		{snmp.TableIPNetToPhysical, 1, false}, {snmp.TableIPNetToMedia, 1, true},
	},
	snmp.RoleSwitch: {
		{snmp.TableDot1qTpFdb, 2, false}, {snmp.TableDot1qVlan, 1, false}, {snmp.TableDot1dTpFdb, 2, true},
		{snmp.TableBasePort, 1, false}, {snmp.TableIfName, 2, false}, {snmp.TableIfDescr, 1, true},
		{snmp.TableLLDPRem, 1, false}, {snmp.TableLLDPLocPort, 2, false},
	},
}

// infraPlan prices the SNMP harvest: to whom, which tables, how many
// requests at least (each walk answered in one request) and at most (every
// table as long as max_entries allows, every request retried), and how
// long at most (each device's own time bound).
func (p *Plan) infraPlan(cfg Config) {
	ic := cfg.Infrastructure
	if ic == nil {
		return
	}
	var longest time.Duration
	var perDevice []time.Duration
	for i := range ic.Devices {
		d := ic.Resolved(i)
		var tables []string
		minReq, maxReq := uint64(1), uint64(*d.Retries+1) // the system group
		for _, role := range d.Roles {
			for _, w := range walksFor[role] {
				name := w.table
				if w.fallback {
					name += " (if the first is empty)"
				} else {
					minReq++
				}
				tables = append(tables, name)
				rows := max(1, d.MaxRepetitions/uint32(w.columns))
				maxReq += (uint64(d.MaxEntries)/uint64(rows) + 1) * uint64(*d.Retries+1)
			}
		}
		if d.Has(snmp.RoleSwitch) && d.VLANIndexing != snmp.VLANIndexingOff {
			tables = append(tables, perVLANPlan(d, &minReq, &maxReq)...)
		}
		version := "credentials not resolved"
		if c, ok := cfg.InfraCredentials[d.Credentials]; ok {
			version = "SNMPv2c"
			if c.Version == gosnmp.Version3 {
				minReq++ // USM engine discovery
				version = "SNMPv3 " + map[gosnmp.SnmpV3MsgFlags]string{gosnmp.AuthPriv: "authPriv", gosnmp.AuthNoPriv: "authNoPriv", gosnmp.NoAuthNoPriv: "noAuthNoPriv"}[c.Flags]
			}
		}
		// The rate and the device's time bound cap the requests too.
		if byTime := uint64(d.Rate*d.MaxDuration.Seconds()) + 1; byTime < maxReq {
			maxReq = byTime
		}
		p.add(PlanSend{
			What: fmt.Sprintf("SNMP GET/GETBULK, read-only, %s, at most %.0f requests/s, %d rows each, timeout %s, %d retries: %s",
				version, d.Rate, d.MaxRepetitions, d.Timeout, *d.Retries, strings.Join(tables, ", ")),
			To:  fmt.Sprintf("%s %s:%d (%s); no scanned host is ever asked", d.Label(), d.Address, d.Port, strings.Join(d.Roles, ", ")),
			Min: minReq, Max: maxReq,
		})
		dur := min(d.MaxDuration, time.Duration(float64(maxReq)/d.Rate*float64(time.Second)))
		perDevice = append(perDevice, dur)
		longest = max(longest, time.Duration(float64(minReq)/d.Rate*float64(time.Second)))
	}
	parallel := ic.Parallel
	if parallel <= 0 {
		parallel = snmp.DefaultParallel
	}
	// At most parallel devices at once: the bound is the sum over rounds.
	var bound time.Duration
	for i := 0; i < len(perDevice); i += parallel {
		var round time.Duration
		for _, d := range perDevice[i:min(i+parallel, len(perDevice))] {
			round = max(round, d)
		}
		bound += round
	}
	maxDur := ic.MaxDuration
	if maxDur <= 0 {
		maxDur = snmp.DefaultMaxDuration
	}
	p.InfraDurationMin, p.InfraDurationMax = longest, min(bound, maxDur)
	p.Notes = append(p.Notes, fmt.Sprintf("snmp: %d infrastructure devices are asked after the probes, %d at a time, each at its own rate (not the sweep's): %s to %s more",
		len(ic.Devices), parallel, p.InfraDurationMin.Round(time.Millisecond), p.InfraDurationMax.Round(time.Second)))
}

// perVLANPlan prices a Catalyst's per-VLAN bridge tables (docs/
// infrastructure.md): the VLAN list and access ports (unless the device
// names its VLANs), then each VLAN's forwarding table and bridge ports, at
// most max_vlans of them, all VLANs' rows together within max_entries. In
// auto mode they are read only when the switch serves no Q-BRIDGE
// forwarding table, so they count in the upper bound alone.
func perVLANPlan(d snmp.Device, minReq, maxReq *uint64) []string {
	tries := uint64(*d.Retries + 1)
	rows := func(columns int) uint64 { return uint64(max(1, d.MaxRepetitions/uint32(columns))) }
	sure := d.VLANIndexing == snmp.VLANIndexingOn
	walks := []struct {
		table   string
		columns int
	}{{snmp.TableVmVlan, 1}, {snmp.TableVmVoiceVlan, 1}}
	vlans := len(d.VLANs)
	if vlans == 0 {
		walks = append(walks, struct {
			table   string
			columns int
		}{snmp.TableVtpVlan, 2})
		vlans = d.MaxVLANs
	}
	vlans = min(vlans, d.MaxVLANs)
	var tables []string
	for _, w := range walks {
		tables = append(tables, w.table)
		*maxReq += (uint64(d.MaxEntries)/rows(w.columns) + 1) * tries
		if sure {
			*minReq++
		}
	}
	// Each VLAN costs at least one request per walk; their rows share
	// max_entries.
	*maxReq += (uint64(d.MaxEntries)/rows(2) + 2*uint64(vlans)) * tries
	if sure {
		*minReq += 2
	}
	when := "when the switch serves no Q-BRIDGE forwarding table"
	if sure {
		when = "vlan_indexing on"
	}
	return []string{fmt.Sprintf("per VLAN (%s): %s, then %s and %s in up to %d VLANs' instances (community@VLAN, or SNMPv3 context vlan-N)",
		when, strings.Join(tables, ", "), snmp.TableVLANFdb, snmp.TableVLANBasePort, vlans)}
}
