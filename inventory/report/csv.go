package report

import (
	"cmp"
	"encoding/csv"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/camsweep/camsweep/inventory"
)

// csvHeader is the CSV layout: one row per finding, then the columns of the
// device at the finding's IP (empty for registry-only findings). Documented
// in docs/registry.md; append columns, never reorder.
var csvHeader = []string{
	"severity", "kind", "key", "site", "ip", "mac", "registry_id", "registry_ids",
	"manufacturer", "brand", "model", "detail",
	"device_class", "device_serial", "device_firmware", "device_confidence", "device_hostnames", "device_open_ports", "evidence",
	"device_stream_clients", "device_records", "device_egress", "device_vms_hardware",
	"mac_source", "location_switch", "location_port", "location_port_description", "location_vlan",
}

func writeCSV(w io.Writer, r *inventory.Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	devices := deviceIndex(r.Devices)
	for _, f := range r.Findings {
		rec := []string{
			f.Severity.String(), f.Kind, f.Key, f.Site, f.IP, f.MAC, f.RegistryID, strings.Join(f.RegistryIDs, " "),
			f.Manufacturer, f.Brand, f.Model, f.Detail,
		}
		d, ok := devices[f.IP]
		if ok {
			ports := make([]string, len(d.OpenPorts))
			for i, p := range d.OpenPorts {
				ports[i] = strconv.Itoa(int(p))
			}
			rec = append(rec, string(d.Class), d.Serial, d.Firmware, strconv.FormatFloat(d.Confidence, 'f', 2, 64),
				strings.Join(d.Hostnames, " "), strings.Join(ports, " "))
		} else {
			rec = append(rec, "", "", "", "", "", "")
		}
		ev := make([]string, len(f.Evidence))
		for i, e := range f.Evidence {
			ev[i] = e.Field + "=" + e.Value
		}
		rec = append(rec, strings.Join(ev, "; "))
		if ok {
			rec = append(rec, flowColumns(d)...)
		} else {
			rec = append(rec, "", "", "", "")
		}
		macSource, loc := f.MACSource, f.Location
		if ok {
			macSource = cmp.Or(macSource, d.MACSource)
			if loc == nil {
				loc = d.Location
			}
		}
		if loc != nil {
			vlan := ""
			if loc.VLAN != 0 {
				vlan = strconv.Itoa(loc.VLAN)
			}
			rec = append(rec, macSource, loc.Switch, loc.Port, loc.PortDescription, vlan)
		} else {
			rec = append(rec, macSource, "", "", "", "")
		}
		for i := range rec {
			rec[i] = defuse(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// defuse stops a spreadsheet from running a cell as a formula: banners and
// hostnames come from devices, and a hostile one could send "=HYPERLINK(...)"
// to whoever opens the CSV. A leading apostrophe makes the cell text.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// flowColumns are the device's stream clients, the devices it records,
// its egress and its VMS hardware id, each space-separated.
func flowColumns(d inventory.Device) []string {
	clients := make([]string, len(d.StreamClients))
	for i, c := range d.StreamClients {
		clients[i] = c.IP.String()
	}
	records := make([]string, len(d.Records))
	for i, a := range d.Records {
		records[i] = a.String()
	}
	egress := make([]string, len(d.Egress))
	for i, e := range d.Egress {
		egress[i] = egressName(e)
	}
	vms := ""
	if d.VMS != nil {
		vms = d.VMS.HardwareID
	}
	return []string{strings.Join(clients, " "), strings.Join(records, " "), strings.Join(egress, " "), vms}
}

// egressName is "198.51.100.10:443/tcp" or a looked-up name.
func egressName(e inventory.EgressPeer) string {
	if e.Name != "" {
		return e.Name
	}
	return netip.AddrPortFrom(e.IP, e.Port).String() + "/" + e.Proto
}
