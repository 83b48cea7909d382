package report

import (
	"cmp"
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

// CSVSeparators are the cell separators WriteWith accepts: comma (RFC 4180,
// the default), semicolon (what Excel expects where the decimal separator is
// a comma, as in Danish), and tab.
var CSVSeparators = []rune{',', ';', '\t'}

// utf8BOM makes Excel read the file as UTF-8; without it, Excel takes a CSV
// for the Windows code page and "Børneafdeling" turns into mojibake.
const utf8BOM = "\uFEFF"

func writeCSV(w io.Writer, r *inventory.Report, opts Options) error {
	cw := &csvWriter{w: &errWriter{w: w}, sep: opts.csvSeparator()}
	if cw.sep == ';' {
		// Semicolons are for Excel; Excel needs the mark too.
		_, _ = io.WriteString(cw.w, utf8BOM)
	}
	cw.write(csvHeader)
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
		cw.write(rec)
	}
	return cw.w.err
}

// csvWriter quotes every cell. encoding/csv quotes only cells holding its
// own separator, so "V5.7.3;=2+3" written with commas reaches a spreadsheet
// that splits on semicolons (Danish Excel) as two cells, the second a
// formula. A quoted cell is one cell whatever separator the reader uses.
type csvWriter struct {
	w   *errWriter
	sep rune
}

func (c *csvWriter) write(rec []string) {
	var b strings.Builder
	for i, v := range rec {
		if i > 0 {
			b.WriteRune(c.sep)
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(v, `"`, `""`))
		b.WriteByte('"')
	}
	b.WriteByte('\n')
	_, _ = io.WriteString(c.w, b.String())
}

// defuse stops a spreadsheet from running a cell as a formula: banners and
// hostnames come from devices, and a hostile one could send "=HYPERLINK(...)"
// to whoever opens the CSV. A formula may start a cell, or start anywhere a
// spreadsheet reading with another separator (comma, semicolon, tab, pipe)
// or ignoring the quotes (a line break) would start one; an apostrophe
// before it, spaces allowed in between, makes it text.
func defuse(s string) string {
	if !needsDefuse(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	start := true
	for _, r := range s {
		if start && isFormulaStart(r) {
			b.WriteByte('\'')
		}
		start = isCellBreak(r) || start && r == ' '
		b.WriteRune(r)
	}
	return b.String()
}

func needsDefuse(s string) bool {
	start := true
	for _, r := range s {
		if start && isFormulaStart(r) {
			return true
		}
		start = isCellBreak(r) || start && r == ' '
	}
	return false
}

// isFormulaStart: the characters Excel, LibreOffice and Google Sheets take
// as the start of a formula (OWASP's CSV injection list), and their
// full-width forms, which East Asian Excel input accepts too.
func isFormulaStart(r rune) bool {
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20':
		return true
	}
	return false
}

func isCellBreak(r rune) bool {
	switch r {
	case ',', ';', '\t', '|', '\r', '\n':
		return true
	}
	return false
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
