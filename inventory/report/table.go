package report

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/camsweep/camsweep/inventory"
)

// writeTable writes plain aligned text for a terminal: a header, then the
// findings grouped by severity, worst first.
func writeTable(w io.Writer, r *inventory.Report) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "camsweep report: site %s, %s\n", cmp.Or(r.Site, "-"), span(r.Started, r.Finished))
	fmt.Fprintf(ew, "scope %s; %d addresses, %d live, %d cameras\n",
		cmp.Or(strings.Join(r.Scope.Targets, " "), "-"), r.Stats.Addresses, r.Stats.Live, r.Stats.Cameras)
	if r.Incomplete {
		fmt.Fprintln(ew, "INCOMPLETE: the sweep did not finish; missing_camera findings may be wrong")
	}
	if line := infraLine(r.Infrastructure); line != "" {
		fmt.Fprintln(ew, line)
	}
	if o := r.Observations; o != nil {
		fmt.Fprintln(ew, observedLine(o))
	}
	writeRecorders(ew, r)
	if len(r.Findings) == 0 {
		fmt.Fprintln(ew, "\nno findings")
		return ew.err
	}
	fmt.Fprintf(ew, "%d findings\n", len(r.Findings))
	devices := deviceIndex(r.Devices)
	for _, g := range group(r.Findings) {
		fmt.Fprintf(ew, "\n%s (%d)\n", strings.ToUpper(g.Severity.String()), len(g.Findings))
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  KIND\tIP\tMAC\tWHERE\tREGISTRY\tMAKER\tDETAIL\tKEY")
		for _, f := range g.Findings {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				f.Kind, dash(f.IP), dash(f.MAC), dash(oneLine(where(f, devices))), dash(f.RegistryID), dash(maker(f, devices)), oneLine(f.Detail), f.Key)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return ew.err
}

// where is the switch port of the finding's device, as one line.
func where(f inventory.Finding, devices map[string]inventory.Device) string {
	if f.Location != nil {
		return f.Location.String()
	}
	if d, ok := devices[f.IP]; ok && d.Location != nil {
		return d.Location.String()
	}
	return ""
}

// infraLine sums up the infrastructure harvest: how many routers and
// switches were asked, and which failed and why.
func infraLine(devs []inventory.InfraDevice) string {
	if len(devs) == 0 {
		return ""
	}
	var failed []string
	for _, d := range devs {
		if !d.OK {
			failed = append(failed, fmt.Sprintf("%s: %s", d.Name, cmp.Or(d.ErrorKind, "error")))
		}
	}
	line := fmt.Sprintf("infrastructure: %d routers and switches asked over SNMP", len(devs))
	if len(failed) > 0 {
		line += fmt.Sprintf(", %d failed (%s)", len(failed), strings.Join(failed, ", "))
	}
	return line
}

// maker names who made the device: "Dahua (Amcrest)" for a rebrand.
func maker(f inventory.Finding, devices map[string]inventory.Device) string {
	m, b := f.Manufacturer, f.Brand
	if d, ok := devices[f.IP]; ok && m == "" && b == "" {
		m, b = d.Manufacturer, d.Brand
	}
	switch {
	case m == "":
		return b
	case b == "" || strings.EqualFold(b, m):
		return m
	default:
		return m + " (" + b + ")"
	}
}

func span(start, end time.Time) string {
	if start.IsZero() {
		return "time unknown"
	}
	s := start.UTC().Format("2006-01-02 15:04:05")
	if !end.IsZero() {
		s += " to " + end.UTC().Format("15:04:05")
	}
	return s + " UTC"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a device-supplied string from breaking the table's rows.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == '\t' }), " ")
}

func deviceIndex(ds []inventory.Device) map[string]inventory.Device {
	m := make(map[string]inventory.Device, len(ds))
	for _, d := range ds {
		if d.IP.IsValid() {
			m[d.IP.String()] = d
		}
	}
	return m
}

// errWriter keeps the first write error so the rendering code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// observedLine says what the flow and VMS findings were judged on.
func observedLine(o *inventory.ObservationSummary) string {
	vms := "not_on_central_vms from the registry's vms column"
	if o.VMSSource != "registry" {
		vms = fmt.Sprintf("not_on_central_vms from %s's own list (%s, %d hardware, read %s)", o.VMSSource, o.VMSURL, o.VMSHardware, o.VMSFetched.UTC().Format(time.RFC3339))
	}
	if o.VMSError != "" {
		vms += " (the VMS could not be read: " + oneLine(o.VMSError) + ")"
	}
	flows := "no flow source"
	if len(o.FlowSources) > 0 {
		flows = fmt.Sprintf("flows from %s over %s: %d flows, %d cloud lookups", strings.Join(o.FlowSources, ", "),
			time.Duration(o.FlowWindowSeconds*float64(time.Second)).Round(time.Second), o.Flows, o.DNSLookups)
	}
	return vms + "; " + flows
}

// writeRecorders lists the hosts flows show pulling video, with what they
// record: a recorder is a device of the report even when the sweep never
// reached it.
func writeRecorders(w io.Writer, r *inventory.Report) {
	var lines []string
	for _, d := range r.Devices {
		if len(d.Records) == 0 {
			continue
		}
		what := "recorder"
		if d.FlowOnly {
			what = "seen only in flows"
		}
		recs := make([]string, len(d.Records))
		for i, a := range d.Records {
			recs[i] = a.String()
		}
		lines = append(lines, fmt.Sprintf("  %s (%s) pulls video from %d: %s", d.IP, what, len(recs), strings.Join(recs, " ")))
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "video recorded by:\n%s\n", strings.Join(lines, "\n"))
	}
}
