package fingerprint

import (
	_ "embed"
	"strings"
)

//go:embed oui.source
var ouiSource string

// DataSource names a body of shipped data and the release it was taken
// from, for `camsweep version`.
type DataSource struct {
	Name   string // "recog", "oui"
	Date   string // YYYY-MM-DD of the release
	Detail string // commit or package version
}

// DataSources lists the shipped third-party data with its dates: recog's
// databases (the commit they were copied from) and the IEEE registry (the
// oui-data release).
func DataSources() []DataSource {
	recog, _ := recogFS.ReadFile("recog/SOURCE")
	r := sourceFields(string(recog))
	o := sourceFields(ouiSource)
	return []DataSource{
		{Name: "recog", Date: r["date"], Detail: r["repository"] + " " + r["commit"]},
		{Name: "oui", Date: o["date"], Detail: o["source"]},
	}
}

// sourceFields reads the "key: value" lines of a SOURCE file.
func sourceFields(s string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}
