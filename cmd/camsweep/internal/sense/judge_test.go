package sense

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

func TestJudge(t *testing.T) {
	// Two rows claim one MAC (a registry conflict) and a registered
	// camera is not looked at (it would be missing after a sweep).
	reg, errs := inventory.ParseRegistry("registry.csv", []byte(`id,site,building,location,ip,mac,serial,vendor,model,category,owner,vms,dispensation_id
NOH-1,NOH,B1,Gang,10.20.8.20,ac:cc:8e:00:00:20,,Axis,P3245,facility,CEJ,milestone,
NOH-2,NOH,B1,Gang,10.20.8.21,ac:cc:8e:00:00:20,,Axis,P3245,facility,CEJ,milestone,
NOH-3,NOH,B2,Gang,10.20.8.30,ac:cc:8e:00:00:30,,Axis,P3245,facility,CEJ,milestone,
`), inventory.ColumnMap{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	pol, err := inventory.ParsePolicy("policy.yaml", []byte("banned_manufacturers: [Dahua]\n"))
	if err != nil {
		t.Fatal(err)
	}
	scope := inventory.Scope{Site: "NOH", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.20.8.0/22")}}
	dahua := inventory.Device{IP: netip.MustParseAddr("10.20.8.40"), MAC: "38:af:29:00:00:01", Class: evidence.Camera, Manufacturer: "Dahua", Brand: "Dahua"}
	axis := inventory.Device{IP: netip.MustParseAddr("10.20.8.30"), MAC: "ac:cc:8e:00:00:30", Class: evidence.Camera, Manufacturer: "Axis", Brand: "Axis"}
	tests := []struct {
		name  string
		dev   inventory.Device
		kinds []string
		row   string
	}{
		{"an unregistered Dahua", dahua, []string{"banned_manufacturer", "unregistered_camera"}, ""},
		{"a registered Axis", axis, nil, "NOH-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev, fs := Judge(tt.dev, reg, pol, scope, t0)
			var kinds []string
			for _, f := range fs {
				kinds = append(kinds, f.Kind)
			}
			slices.Sort(kinds)
			if !slices.Equal(kinds, tt.kinds) || dev.RegistryID != tt.row {
				t.Errorf("findings %v, row %q; want %v, %q (no registry_conflict, no missing_camera)", kinds, dev.RegistryID, tt.kinds, tt.row)
			}
		})
	}
}
