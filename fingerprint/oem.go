package fingerprint

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// OEM says who makes the products sold under a brand.
type OEM struct {
	// Brand is the canonical brand name.
	Brand string `yaml:"brand"`
	// Aliases are other spellings devices use for the brand ("HIKVISION",
	// "Zhejiang Dahua Technology Co., Ltd."); matched case-insensitively.
	Aliases []string `yaml:"aliases"`
	// MadeBy names the real manufacturer; empty when the brand makes its own
	// products, or when its range comes from several makers (Share "some").
	MadeBy string `yaml:"made_by"`
	// Share is how much of the brand's range MadeBy makes: "all", "most"
	// or "some". Only "all" and "most" let the brand alone name the maker;
	// for "some", firmware evidence must.
	Share string `yaml:"share"`
	// Note carries the source or the caveat.
	Note string `yaml:"note"`
}

// Manufacturer is who makes the brand's products when the brand alone says
// so: MadeBy, or the brand itself for a maker's own brand.
func (o OEM) Manufacturer() string {
	if o.MadeBy != "" {
		return o.MadeBy
	}
	if o.Share == "some" {
		return ""
	}
	return o.Brand
}

// shareWeight scales a brand's weight into a manufacturer claim.
func (o OEM) shareWeight() float64 {
	switch o.Share {
	case "", "all":
		return 1
	case "most":
		return 0.7
	}
	return 0
}

type oemFile struct {
	// Generic lists names white-label firmware puts where a brand belongs
	// ("General", "IPC"): they name nobody and are dropped.
	Generic []string `yaml:"generic"`
	Brands  []OEM    `yaml:"brands"`
}

type oemTable struct {
	byAlias map[string]*OEM
	generic map[string]bool
	list    []OEM
}

var loadOEM = sync.OnceValues(func() (*oemTable, error) {
	data, err := rulesFS.ReadFile("rules/oem.yaml")
	if err != nil {
		return nil, fmt.Errorf("fingerprint: oem map: %w", err)
	}
	return parseOEM(data)
})

// oemMap is the embedded OEM table, or an empty one if it failed to load
// (LoadEmbedded reports that error; the tests make sure it never happens).
func oemMap() *oemTable {
	t, err := loadOEM()
	if err != nil {
		return &oemTable{}
	}
	return t
}

func parseOEM(data []byte) (*oemTable, error) {
	var f oemFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("fingerprint: oem map: %w", err)
	}
	t := &oemTable{byAlias: map[string]*OEM{}, generic: map[string]bool{}, list: f.Brands}
	for _, g := range f.Generic {
		t.generic[foldName(g)] = true
	}
	for i := range t.list {
		o := &t.list[i]
		switch o.Share {
		case "", "all", "most", "some":
		default:
			return nil, fmt.Errorf("fingerprint: oem map: brand %s: share %q: want all, most or some", o.Brand, o.Share)
		}
		for _, a := range append([]string{o.Brand}, o.Aliases...) {
			k := foldName(a)
			if prev, dup := t.byAlias[k]; dup && prev != o {
				return nil, fmt.Errorf("fingerprint: oem map: %q names both %s and %s", a, prev.Brand, o.Brand)
			}
			t.byAlias[k] = o
		}
	}
	for _, o := range t.list {
		if o.MadeBy == "" {
			continue
		}
		if m, ok := t.byAlias[foldName(o.MadeBy)]; !ok || m.Brand != o.MadeBy {
			return nil, fmt.Errorf("fingerprint: oem map: brand %s: made_by %q is not a brand of the map", o.Brand, o.MadeBy)
		}
	}
	return t, nil
}

func foldName(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// normalize maps a brand or maker name to its canonical spelling, drops
// generic placeholders, and otherwise returns the name with its white space
// tidied, so that an unknown brand still reads as the device wrote it.
func (t *oemTable) normalize(name string) string {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || t.generic[foldName(name)] {
		return ""
	}
	if o, ok := t.byAlias[foldName(name)]; ok {
		return o.Brand
	}
	return name
}

func (t *oemTable) lookup(brand string) (OEM, bool) {
	o, ok := t.byAlias[foldName(brand)]
	if !ok {
		return OEM{}, false
	}
	return *o, true
}

// LookupOEM returns the OEM map's entry for a brand, under any alias.
func LookupOEM(brand string) (OEM, bool) { return oemMap().lookup(brand) }

// NormalizeBrand returns the canonical spelling of a brand or maker name
// ("HIKVISION" -> "Hikvision", "DH" -> "Dahua"), "" for generic
// placeholders, and the tidied input for names the map does not know.
func NormalizeBrand(name string) string { return oemMap().normalize(name) }
