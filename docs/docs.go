// Package docs holds camsweep's user documentation, the Markdown files
// beside this one, and the JSON Schema of the scan report
// (report.schema.json, the contract camsweep.report/v1 that docs/report.md
// describes). The schema is embedded so that the tests of every package that
// writes a report validate it against the one schema.
package docs

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ReportSchema is report.schema.json: JSON Schema draft 2020-12 for
// camsweep.report/v1.
//
//go:embed report.schema.json
var ReportSchema []byte

// reportSchemaURL names the schema as a resource; errors cite it.
const reportSchemaURL = "https://github.com/camsweep/camsweep/blob/main/docs/report.schema.json"

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ReportSchema))
	if err != nil {
		return nil, fmt.Errorf("docs: report schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	// Formats (date-time, ipv4, ipv6) are part of the contract, not
	// annotations: assert them.
	c.AssertFormat()
	if err := c.AddResource(reportSchemaURL, doc); err != nil {
		return nil, fmt.Errorf("docs: report schema: %w", err)
	}
	s, err := c.Compile(reportSchemaURL)
	if err != nil {
		return nil, fmt.Errorf("docs: report schema: %w", err)
	}
	return s, nil
})

// ValidateReport checks a JSON report document against the schema. The
// error lists every violation with its JSON pointer.
func ValidateReport(data []byte) error {
	s, err := compiled()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("docs: validate report: not JSON: %w", err)
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("docs: validate report: %w", err)
	}
	return nil
}
