package inventory

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// checkRegistryResult holds what every registry parse must give, whatever
// the input: only *RowErrors with a position, and only valid rows.
func checkRegistryResult(t *testing.T, reg *Registry, errs []error) {
	t.Helper()
	for _, err := range errs {
		var re *RowError
		if !errors.As(err, &re) || re.Line < 0 || re.Column < 0 || re.File == "" {
			t.Fatalf("error without a position: %T %v", err, err)
		}
	}
	seen := map[string]bool{}
	for _, r := range reg.Rows {
		if !isIdent(r.ID) || seen[r.ID] || r.Site == "" {
			t.Fatalf("invalid row loaded: %+v", r)
		}
		seen[r.ID] = true
		if r.MAC != "" {
			if m, err := NormalizeMAC(r.MAC); err != nil || m != r.MAC {
				t.Fatalf("row %s MAC %q not canonical", r.ID, r.MAC)
			}
		}
		if !r.IP.IsValid() && r.MAC == "" && r.Serial == "" {
			t.Fatalf("row %s cannot match anything", r.ID)
		}
	}
}

func seedFile(f *testing.F, path string) {
	if data, err := os.ReadFile(path); err == nil {
		f.Add(data)
	}
}

func FuzzParseRegistryCSV(f *testing.F) {
	seedFile(f, "testdata/registry-bad.csv")
	f.Add([]byte(sameRegistry["r.csv"]))
	f.Add([]byte(sameRegistry["r-semicolon.csv"]))
	f.Add([]byte("id;site;ip;category;owner;vms\n\"a\"\"b\";NOH;1.2.3.4;facility;CEJ;milestone\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, errs := ParseRegistry("f.csv", data, ColumnMap{})
		checkRegistryResult(t, reg, errs)
		// A loaded row is never more than a data line of the file.
		if len(reg.Rows) > strings.Count(string(data), "\n")+1 {
			t.Fatalf("%d rows from %d lines", len(reg.Rows), strings.Count(string(data), "\n")+1)
		}
	})
}

func FuzzParseRegistryJSON(f *testing.F) {
	f.Add([]byte(sameRegistry["r.json"]))
	f.Add([]byte(`[{"id": "A", "site": "NOH", "ip": "10.0.0.1", "category": "facility", "owner": "CEJ", "vms": "milestone", "x": [1, {"y": 2}]}]`))
	f.Add([]byte(`{"rows": [], "more": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, errs := ParseRegistry("f.json", data, ColumnMap{})
		checkRegistryResult(t, reg, errs)
	})
}

func FuzzParseRegistryYAML(f *testing.F) {
	f.Add([]byte(sameRegistry["r.yaml"]))
	f.Add([]byte("rows:\n  - {id: A, site: NOH, ip: 10.0.0.1, category: facility, owner: CEJ, vms: milestone}\n"))
	f.Add([]byte("- &a {id: A}\n- *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, errs := ParseRegistry("f.yaml", data, ColumnMap{})
		checkRegistryResult(t, reg, errs)
	})
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(designPolicy))
	f.Add([]byte(testPolicy))
	seedFile(f, "../deploy/examples/policy.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy("f.yaml", data)
		if err != nil {
			if p != nil {
				t.Fatal("policy returned with an error")
			}
			var es *Errors
			if !errors.As(err, &es) || len(es.Errs) == 0 {
				t.Fatalf("error is not *Errors: %T %v", err, err)
			}
			return
		}
		// A policy that loads is usable: valid dispensations, masked prefixes.
		for _, d := range p.Dispensations {
			if d.ID == "" || d.MaxCameras < 1 || d.Expires.IsZero() || (d.Owner != OwnerCEJ && d.Owner != OwnerCIMT) {
				t.Fatalf("invalid dispensation loaded: %+v", d)
			}
		}
		for site, sp := range p.Sites {
			for _, pfx := range sp.CameraSegments {
				if pfx != pfx.Masked() {
					t.Fatalf("site %s: unmasked prefix %s", site, pfx)
				}
			}
		}
		for _, s := range p.Suppressions {
			if s.Key == "" || s.Expires.IsZero() {
				t.Fatalf("invalid suppression loaded: %+v", s)
			}
		}
	})
}

func FuzzParseColumnMap(f *testing.F) {
	seedFile(f, "../deploy/examples/registry-columns.yaml")
	f.Add([]byte("columns: {id: A}\nignore: [B]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseColumnMap("f.yaml", data)
		if err != nil {
			return
		}
		// A loaded map must be usable on a registry without panicking.
		reg, errs := ParseRegistry("r.csv", []byte("id;site;ip;category;owner;vms\nA;NOH;10.0.0.1;facility;CEJ;milestone\n"), m)
		checkRegistryResult(t, reg, errs)
	})
}
