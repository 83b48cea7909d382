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
	c := withEmptyLists(r)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&c)
}

// withEmptyLists returns a copy of r whose lists and maps the contract
// always writes (docs/report.schema.json's required arrays) are empty rather
// than nil, whoever built r: a sweep, a saved report read back, or a test's
// fake. r itself is not changed, as the daemon shares it between requests.
func withEmptyLists(r *inventory.Report) inventory.Report {
	c := *r
	if c.Schema == "" {
		c.Schema = inventory.ReportSchema
	}
	c.Scope.Targets = orEmpty(c.Scope.Targets)
	c.Scope.Exclude = orEmpty(c.Scope.Exclude)
	c.Scope.Ports = orEmpty(c.Scope.Ports)
	c.Scope.Probes = orEmpty(c.Scope.Probes)
	c.Scope.Discovery = orEmpty(c.Scope.Discovery)
	if c.Stats.ProbeErrors == nil {
		c.Stats.ProbeErrors = map[string]int{}
	}
	c.Devices = make([]inventory.Device, len(r.Devices))
	for i, d := range r.Devices {
		d.Hostnames = orEmpty(d.Hostnames)
		d.OpenPorts = orEmpty(d.OpenPorts)
		d.Evidence = orEmpty(d.Evidence)
		c.Devices[i] = d
	}
	c.Findings = orEmpty(c.Findings)
	return c
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
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
