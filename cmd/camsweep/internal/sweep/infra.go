package sweep

import (
	"fmt"
	"slices"
	"strings"

	"context"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/snmp"
)

// harvestInfrastructure asks the configured routers and switches, after
// the probes (so a router's neighbour table holds every host the sweep
// just reached), and folds what they know into the hosts the sweep found:
// the MAC a router resolved for each routed address, and what the device
// on the MAC's switch port said in LLDP. SNMP goes to the configured
// devices only; a scanned host is never asked.
func harvestInfrastructure(ctx context.Context, cfg *Config, scope *scanner.Scope, hosts map[hostKey]*scanner.HostResult, log zerolog.Logger) *snmp.Result {
	res := snmp.Harvest(ctx, cfg.Infrastructure, snmp.Options{
		InScope:     scope.Contains,
		Credentials: cfg.InfraCredentials,
		Log:         log.With().Str("probe", "snmp").Logger(),
	})
	for k, h := range hosts {
		if !k.addr.IsValid() {
			continue
		}
		mac := normaliseMAC(h.MAC)
		if s, ok := res.Neighbours[k.addr.Unmap()]; ok {
			h.Evidence = evidence.AppendNew(h.Evidence,
				evidence.Evidence{Probe: "snmp", Field: "mac", Value: s.MAC},
				evidence.Evidence{Probe: "snmp", Field: "snmp.router", Value: s.Router})
			if mac == "" {
				mac = s.MAC
			}
		}
		if mac != "" {
			h.Evidence = evidence.AppendNew(h.Evidence, res.LLDP[mac]...)
		}
	}
	return res
}

// applyHarvest places each device on its switch port and records how
// every infrastructure device went, in the report and its counters.
func applyHarvest(rep *inventory.Report, res *snmp.Result) {
	for i := range rep.Devices {
		d := &rep.Devices[i]
		if d.MAC == "" {
			continue
		}
		if l, ok := res.Locations[d.MAC]; ok {
			d.Location = &l
		}
	}
	for _, dr := range res.Devices {
		rep.Infrastructure = append(rep.Infrastructure, infraDevice(dr))
		rep.Scope.Infrastructure = append(rep.Scope.Infrastructure, fmt.Sprintf("%s %s (%s)", dr.Name, dr.Address, strings.Join(dr.Roles, ", ")))
	}
	rep.Stats.SNMPRequests = res.Requests
	rep.Stats.SNMPSeconds = res.Duration.Seconds()
	rep.Stats.PacketsSent += res.Requests
	if failed := res.Failed(); failed > 0 {
		rep.Stats.ProbeErrors["snmp"] += failed
	}
	if res.Conflicts > 0 {
		rep.Scope.Notes = append(rep.Scope.Notes, fmt.Sprintf("snmp: %d in-scope addresses resolve to different MACs on different routers (the first router configured was believed)", res.Conflicts))
	}
	if res.Ambiguous > 0 {
		rep.Scope.Notes = append(rep.Scope.Notes, fmt.Sprintf("snmp: %d MACs sit on edge ports of several switches with nothing to choose between them, and were placed nowhere (an uplink to configure?)", res.Ambiguous))
	}
}

func infraDevice(d snmp.DeviceReport) inventory.InfraDevice {
	out := inventory.InfraDevice{
		Name: d.Name, Address: d.Address.String(), Roles: slices.Clone(d.Roles), SysName: d.SysName, SysDescr: d.SysDescr,
		OK: d.OK, Error: d.Error, ErrorKind: d.ErrorKind, Requests: d.Requests,
		Tables: d.Tables, Truncated: d.Truncated, Malformed: d.Malformed,
		Neighbours: d.Neighbours, Located: d.Located, Notes: d.Notes,
		DurationSeconds: d.Duration.Seconds(),
	}
	if out.Tables == nil {
		out.Tables = map[string]int{}
	}
	for _, u := range d.Uplinks {
		out.Uplinks = append(out.Uplinks, inventory.InfraUplink{Port: u.Port, MACs: u.MACs, Reasons: u.Reasons})
	}
	out.VLANIndexing, out.VLANSource = d.VLANIndexing, d.VLANSource
	for _, v := range d.VLANs {
		out.VLANs = append(out.VLANs, inventory.InfraVLAN{VLAN: v.VLAN, Entries: v.Entries, Ports: v.Ports, Error: v.Error, ErrorKind: v.ErrorKind,
			Skipped: v.Skipped, DurationSeconds: v.Duration.Seconds()})
	}
	return out
}

// macSource names how the device's MAC was learnt: the probe of the first
// evidence that gave it, and for a router's neighbour table, the router.
func macSource(ev []evidence.Evidence, mac string) string {
	if mac == "" {
		return ""
	}
	for _, e := range ev {
		if (e.Field == "mac" || strings.HasSuffix(e.Field, ".mac")) && normaliseMAC(e.Value) == mac {
			if e.Probe == "snmp" {
				for _, r := range ev {
					if r.Field == "snmp.router" {
						return "snmp router " + r.Value
					}
				}
			}
			return e.Probe
		}
	}
	return ""
}
