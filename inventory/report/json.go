package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/camsweep/camsweep/inventory"
)

// writeJSON writes the report v1 document, indented. Empty lists are written
// as [] rather than null, so readers need no special case.
func writeJSON(w io.Writer, r *inventory.Report) error {
	c := *r
	if c.Schema == "" {
		c.Schema = inventory.ReportSchema
	}
	if c.Devices == nil {
		c.Devices = []inventory.Device{}
	}
	if c.Findings == nil {
		c.Findings = []inventory.Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&c)
}

// maxReportBytes bounds what ParseReport reads: a report of 100,000 devices
// with their evidence is a few hundred MB at most.
const maxReportBytes = 1 << 30

// ParseReport reads a JSON report (as Write "json" gives it) and checks its
// schema: only camsweep.report/v1 is accepted. Unknown fields are allowed,
// since v1 may gain fields; a finding without key, kind or a known severity
// is not.
func ParseReport(r io.Reader) (*inventory.Report, error) {
	dec := json.NewDecoder(io.LimitReader(r, maxReportBytes))
	var rep inventory.Report
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("report: parse: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("report: parse: data after the report document")
	}
	switch rep.Schema {
	case inventory.ReportSchema:
	case "":
		return nil, fmt.Errorf("report: parse: no schema field; not a camsweep report (want %q)", inventory.ReportSchema)
	default:
		return nil, fmt.Errorf("report: parse: schema %q is not supported (want %q)", rep.Schema, inventory.ReportSchema)
	}
	for i, f := range rep.Findings {
		if f.Key == "" || f.Kind == "" {
			return nil, fmt.Errorf("report: parse: finding %d has no key or kind", i)
		}
	}
	return &rep, nil
}
