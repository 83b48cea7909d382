package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/camsweep/camsweep/inventory"
)

// Formats lists the formats Write knows, in the order help texts show them.
var Formats = []string{"table", "json", "csv", "html"}

// writers dispatches on the format name; an explicit map, no registration.
var writers = map[string]func(io.Writer, *inventory.Report, Options) error{
	"table": func(w io.Writer, r *inventory.Report, _ Options) error { return writeTable(w, r) },
	"json":  func(w io.Writer, r *inventory.Report, _ Options) error { return writeJSON(w, r) },
	"csv":   writeCSV,
	"html":  func(w io.Writer, r *inventory.Report, _ Options) error { return writeHTML(w, r) },
}

// Options adjust a format; the zero Options are the defaults.
type Options struct {
	// CSVSeparator separates CSV cells: ',' (the default when 0), ';' for
	// Excel in locales whose decimal separator is a comma (Danish), with a
	// UTF-8 byte-order mark so Excel reads the letters right, or '\t'.
	CSVSeparator rune
}

func (o Options) csvSeparator() rune {
	if o.CSVSeparator == 0 {
		return ','
	}
	return o.CSVSeparator
}

// Validate reports options no writer accepts.
func (o Options) Validate() error {
	if !slices.Contains(CSVSeparators, o.csvSeparator()) {
		return fmt.Errorf("report: CSV separator %q: want comma, semicolon or tab", o.CSVSeparator)
	}
	return nil
}

// Write renders r in format (table, json, csv or html) with the default
// options.
func Write(w io.Writer, format string, r *inventory.Report) error {
	return WriteWith(w, format, r, Options{})
}

// WriteWith renders r in format with opts.
func WriteWith(w io.Writer, format string, r *inventory.Report, opts Options) error {
	fn, ok := writers[strings.ToLower(format)]
	if !ok {
		return fmt.Errorf("report: write: unknown format %q (want %s)", format, strings.Join(Formats, ", "))
	}
	if r == nil {
		return fmt.Errorf("report: write %s: no report", format)
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	if err := fn(w, r, opts); err != nil {
		return fmt.Errorf("report: write %s: %w", format, err)
	}
	return nil
}

// MaxSeverity returns the worst severity among findings, and false when
// there are none, for `--fail-on`.
func MaxSeverity(findings []inventory.Finding) (inventory.Severity, bool) {
	if len(findings) == 0 {
		return 0, false
	}
	worst := findings[0].Severity
	for _, f := range findings[1:] {
		worst = max(worst, f.Severity)
	}
	return worst, true
}

// severitiesDesc lists severities worst first, the order reports group by.
var severitiesDesc = []inventory.Severity{
	inventory.SeverityCritical, inventory.SeverityHigh, inventory.SeverityMedium,
	inventory.SeverityWarning, inventory.SeverityInfo,
}

// group splits findings by severity, worst first, keeping their order
// within a group; empty groups are left out.
func group(fs []inventory.Finding) []severityGroup {
	var out []severityGroup
	for _, s := range severitiesDesc {
		var g []inventory.Finding
		for _, f := range fs {
			if f.Severity == s {
				g = append(g, f)
			}
		}
		if len(g) > 0 {
			out = append(out, severityGroup{Severity: s, Findings: g})
		}
	}
	return out
}

type severityGroup struct {
	Severity inventory.Severity
	Findings []inventory.Finding
}
