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
			dev, fs := Judge(tt.dev, nil, reg, pol, scope, t0)
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

// TestJudgeClone: a device heard between sweeps that claims the serial of
// a registered camera the latest sweep found at the row's address, from
// another MAC, is a clone, as the sweep would judge it: unregistered, and
// two devices claiming one identity. Judged alone it took the row and was
// reported only as moved (address_changed, info) until the next sweep. One
// with the camera's MAC too is taken for the camera, moved (a new DHCP
// lease looks the same): the next sweep, seeing both at once, tells.
func TestJudgeClone(t *testing.T) {
	reg, errs := inventory.ParseRegistry("registry.csv", []byte(`id,site,building,location,ip,mac,serial,vendor,model,category,owner,vms,dispensation_id
NOH-CAM-0101,NOH,B1,Gang,10.20.8.101,c0:56:e3:00:01:01,DS-2CD2143G2-I20230101AAWRJ00001,Hikvision,DS-2CD2143G2-I,facility,CEJ,milestone,
`), inventory.ColumnMap{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	scope := inventory.Scope{Site: "NOH", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.20.8.0/22")}}
	genuine := inventory.Device{IP: netip.MustParseAddr("10.20.8.101"), MAC: "c0:56:e3:00:01:01", Class: evidence.Camera,
		Manufacturer: "Hikvision", Brand: "Hikvision", Model: "DS-2CD2143G2-I", Serial: "DS-2CD2143G2-I20230101AAWRJ00001"}
	other := inventory.Device{IP: netip.MustParseAddr("10.20.8.7"), MAC: "00:11:22:33:44:55", Class: evidence.Camera, Manufacturer: "Axis", Brand: "Axis"}
	tests := []struct {
		name  string
		mac   string
		kinds []string
		row   string
	}{
		// Its own NIC's MAC on the link, the registered serial in ISAPI.
		{"the serial", "c0:56:e3:99:99:99", []string{"duplicate_identity", "unregistered_camera"}, ""},
		{"the MAC and the serial", "c0:56:e3:00:01:01", []string{"address_changed"}, "NOH-CAM-0101"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clone := genuine
			clone.IP, clone.MAC = netip.MustParseAddr("10.20.8.66"), tt.mac
			dev, fs := Judge(clone, []inventory.Device{genuine, other}, reg, nil, scope, t0)
			var kinds []string
			for _, f := range fs {
				kinds = append(kinds, f.Kind)
				if f.Kind == "duplicate_identity" && !slices.Contains(f.IPs, "10.20.8.66") {
					t.Errorf("duplicate_identity does not name the clone: %+v", f)
				}
			}
			slices.Sort(kinds)
			if !slices.Equal(kinds, tt.kinds) || dev.RegistryID != tt.row {
				t.Errorf("findings %v, row %q; want %v, row %q", kinds, dev.RegistryID, tt.kinds, tt.row)
			}
		})
	}
	// The genuine camera looked at again (it came back, say) keeps its row
	// and has nothing to answer for; a device that only shares a sweep
	// with it is not judged here.
	dev, fs := Judge(genuine, []inventory.Device{genuine, other}, reg, nil, scope, t0)
	if dev.RegistryID != "NOH-CAM-0101" || len(fs) != 0 {
		t.Errorf("genuine camera: row %q, findings %+v", dev.RegistryID, fs)
	}
}
