package report

import (
	_ "embed"
	"html/template"
	"io"
	"strings"

	"github.com/camsweep/camsweep/inventory"
)

// html.tmpl is self-contained: inline CSS, no scripts, fonts or images, so
// a security officer can mail the file on and it prints as it shows.
//
//go:embed html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"upper": strings.ToUpper,
	"join":  strings.Join,
	"dash":  dash,
	"when":  func(r *inventory.Report) string { return span(r.Started, r.Finished) },
	"where": where,
	"maker": maker,
}).Parse(htmlSource))

type htmlData struct {
	R       *inventory.Report
	Groups  []severityGroup
	Counts  []severityCount
	Devices map[string]inventory.Device
}

type severityCount struct {
	Severity inventory.Severity
	N        int
}

func writeHTML(w io.Writer, r *inventory.Report) error {
	d := htmlData{R: r, Groups: group(r.Findings), Devices: deviceIndex(r.Devices)}
	for _, s := range severitiesDesc {
		n := 0
		for _, f := range r.Findings {
			if f.Severity == s {
				n++
			}
		}
		d.Counts = append(d.Counts, severityCount{s, n})
	}
	return htmlTemplate.Execute(w, d)
}
