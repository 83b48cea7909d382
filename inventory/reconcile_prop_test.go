package inventory

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
	"pgregory.net/rapid"
)

// Small pools make collisions likely: rows sharing a MAC, devices at a
// registered IP with another vendor, and so on.
var (
	propMACs    = []string{"", "44:19:b6:00:00:01", "44:19:b6:00:00:02", "ac:cc:8e:00:00:03", "e0:50:8b:00:00:04", "9c:8e:cd:00:00:05"}
	propSerials = []string{"", "S1", "S2", "s2", "S3"}
	propVendors = []string{"", "Axis", "Hikvision", "Dahua", "Amcrest", "Reolink"}
	propDisps   = []string{"", "DISP-HIK", "DISP-REO", "DISP-UNKNOWN"}
	propClasses = []evidence.Class{evidence.Camera, evidence.Recorder, evidence.Other, evidence.Unknown}
	propSites   = []string{"NOH", "RH"}
)

func propAddr(t *rapid.T, label string) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 20, 8, byte(rapid.IntRange(1, 12).Draw(t, label))})
}

func genRows(t *rapid.T) []Row {
	n := rapid.IntRange(0, 12).Draw(t, "rows")
	rows := make([]Row, n)
	for i := range rows {
		r := Row{
			ID: fmt.Sprintf("R-%02d", i), Site: rapid.SampledFrom(propSites).Draw(t, "site"),
			MAC: rapid.SampledFrom(propMACs).Draw(t, "mac"), Serial: rapid.SampledFrom(propSerials).Draw(t, "serial"),
			Vendor: rapid.SampledFrom(propVendors).Draw(t, "vendor"), Model: rapid.SampledFrom([]string{"", "M1", "M2"}).Draw(t, "model"),
			Category: CategoryFacility, Owner: OwnerCEJ,
			VMS:            rapid.SampledFrom([]string{VMSMilestone, VMSClosedNet, VMSLocal}).Draw(t, "vms"),
			DispensationID: rapid.SampledFrom(propDisps).Draw(t, "disp"),
		}
		if rapid.Bool().Draw(t, "hasIP") {
			r.IP = propAddr(t, "ip")
		}
		rows[i] = r
	}
	return rows
}

func genDevices(t *rapid.T) []Device {
	// A sweep yields one device per address.
	octets := rapid.SliceOfNDistinct(rapid.IntRange(1, 12), 0, 12, rapid.ID[int]).Draw(t, "addrs")
	devices := make([]Device, len(octets))
	for i, o := range octets {
		v := rapid.SampledFrom(propVendors).Draw(t, "maker")
		d := Device{
			IP: netip.AddrFrom4([4]byte{10, 20, 8, byte(o)}), MAC: rapid.SampledFrom(propMACs).Draw(t, "mac"),
			Serial: rapid.SampledFrom(propSerials).Draw(t, "serial"), Class: rapid.SampledFrom(propClasses).Draw(t, "class"),
			Manufacturer: v, Brand: v, Model: rapid.SampledFrom([]string{"", "M1", "M2"}).Draw(t, "model"),
			Evidence: []evidence.Evidence{{Probe: "tcp", Field: "tcp.open", Value: "80"}},
		}
		if v == "Amcrest" {
			d.Manufacturer = "Dahua"
		}
		devices[i] = d
	}
	return devices
}

func genPolicy(t *rapid.T) *Policy {
	days := func(label string) Date {
		return DateOf(today.AddDate(0, 0, rapid.IntRange(-60, 60).Draw(t, label)))
	}
	return &Policy{
		BannedManufacturers: []string{"Hikvision", "Dahua"},
		ExpiryWarningDays:   rapid.IntRange(0, 40).Draw(t, "window"),
		Dispensations: []Dispensation{
			{ID: "DISP-HIK", Manufacturer: "Hikvision", Owner: OwnerCIMT, Reason: "r", Expires: days("hikExp"), MaxCameras: rapid.IntRange(1, 3).Draw(t, "hikMax")},
			{ID: "DISP-REO", Manufacturer: "Reolink", Owner: OwnerCIMT, Reason: "r", Expires: days("reoExp"), MaxCameras: 6},
		},
		Sites: map[string]SitePolicy{"NOH": {CameraSegments: []netip.Prefix{netip.MustParsePrefix("10.20.8.0/29")}}},
	}
}

var propScope = Scope{Site: "NOH", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.20.8.0/28")}}

// Every camera-like device is matched to exactly one registry row or
// reported unregistered, never both; no row serves two devices.
func TestPropMatchedOrUnregistered(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rows, devices, pol := genRows(t), genDevices(t), genPolicy(t)
		res := Reconcile(devices, &Registry{Rows: rows}, pol, propScope, today)
		rowIDs := map[string]bool{}
		for _, r := range rows {
			rowIDs[r.ID] = true
		}
		used := map[string]bool{}
		for i, d := range res.Devices {
			if d.RegistryID != "" {
				if !rowIDs[d.RegistryID] {
					t.Fatalf("device %s matched to unknown row %q", d.IP, d.RegistryID)
				}
				if used[d.RegistryID] {
					t.Fatalf("row %s matched twice", d.RegistryID)
				}
				used[d.RegistryID] = true
			}
			if !d.IsCameraLike() {
				continue
			}
			unreg := slices.ContainsFunc(res.Findings, func(f Finding) bool {
				return f.Kind == KindUnregisteredCamera && f.IP == d.IP.String()
			})
			if (d.RegistryID != "") == unreg {
				t.Fatalf("device %d %+v: registry id %q, unregistered finding %v", i, d, d.RegistryID, unreg)
			}
		}
	})
}

// No finding without evidence or a registry row behind it, and findings
// come sorted by severity (worst first), then key.
func TestPropFindingsBackedAndSorted(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		res := Reconcile(genDevices(t), &Registry{Rows: genRows(t)}, genPolicy(t), propScope, today)
		for i, f := range res.Findings {
			if f.RegistryID == "" && len(f.Evidence) == 0 {
				t.Fatalf("finding %s has neither registry row nor evidence", f.Key)
			}
			if f.Key == "" || !strings.HasPrefix(f.Key, f.Kind+"/") {
				t.Fatalf("finding key %q does not start with its kind %q", f.Key, f.Kind)
			}
			if i > 0 {
				p := res.Findings[i-1]
				if p.Severity < f.Severity || p.Severity == f.Severity && p.Key > f.Key {
					t.Fatalf("out of order: %s %s before %s %s", p.Severity, p.Key, f.Severity, f.Key)
				}
			}
		}
	})
}

// The result does not depend on the order devices and rows come in.
func TestPropOrderIndependent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rows, devices, pol := genRows(t), genDevices(t), genPolicy(t)
		a := Reconcile(devices, &Registry{Rows: rows}, pol, propScope, today)
		rows2 := rapid.Permutation(rows).Draw(t, "rowPerm")
		devices2 := rapid.Permutation(devices).Draw(t, "devPerm")
		b := Reconcile(devices2, &Registry{Rows: rows2}, pol, propScope, today)
		if !reflect.DeepEqual(a.Findings, b.Findings) {
			t.Fatalf("findings differ:\n%q\n%q", summary(a.Findings), summary(b.Findings))
		}
		ids := func(ds []Device) map[netip.Addr]string {
			m := map[netip.Addr]string{}
			for _, d := range ds {
				m[d.IP] = d.RegistryID
			}
			return m
		}
		if !reflect.DeepEqual(ids(a.Devices), ids(b.Devices)) {
			t.Fatalf("matches differ: %v vs %v", ids(a.Devices), ids(b.Devices))
		}
	})
}

// A suppressed finding never reaches the output while its suppression is
// valid, and comes back once it has lapsed.
func TestPropSuppression(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rows, devices, pol := genRows(t), genDevices(t), genPolicy(t)
		base := Reconcile(devices, &Registry{Rows: rows}, pol, propScope, today)
		if len(base.Findings) == 0 {
			return
		}
		valid := map[string]bool{}
		for _, f := range base.Findings {
			if !rapid.Bool().Draw(t, "suppress") {
				continue
			}
			off := rapid.IntRange(-3, 3).Draw(t, "expiryOffset")
			if slices.ContainsFunc(pol.Suppressions, func(s Suppression) bool { return s.Key == f.Key }) {
				continue
			}
			pol.Suppressions = append(pol.Suppressions, Suppression{Key: f.Key, Reason: "r", Expires: DateOf(today.AddDate(0, 0, off))})
			valid[f.Key] = off >= 0
		}
		res := Reconcile(devices, &Registry{Rows: rows}, pol, propScope, today)
		for _, f := range res.Findings {
			if valid[f.Key] {
				t.Fatalf("finding %s reached the output under a valid suppression", f.Key)
			}
		}
		for _, f := range res.Suppressed {
			if !valid[f.Key] {
				t.Fatalf("finding %s suppressed without a valid suppression", f.Key)
			}
		}
		if len(res.Findings)+len(res.Suppressed) != len(base.Findings) {
			t.Fatalf("%d + %d findings, want %d: suppression lost or made findings", len(res.Findings), len(res.Suppressed), len(base.Findings))
		}
	})
}

// BenchmarkReconcile100k reconciles 100,000 devices against 100,000 rows:
// most match by MAC, some by serial or IP, some are unregistered, and some
// rows are missing.
func BenchmarkReconcile100k(b *testing.B) {
	const n = 100_000
	rows := make([]Row, n)
	devices := make([]Device, n)
	vendors := []string{"Axis", "Hikvision", "Dahua", "Reolink"}
	disps := []string{"", "", "DISP-HIK-70", "DISP-REO-6"}
	ev := []evidence.Evidence{{Probe: "onvif", Field: "onvif.manufacturer", Value: "x"}}
	for i := range n {
		ip := netip.AddrFrom4([4]byte{10, byte(20 + i>>16), byte(i >> 8), byte(i)})
		mac := fmt.Sprintf("02:00:00:%02x:%02x:%02x", i>>16, (i>>8)&0xff, i&0xff)
		v := vendors[i%4]
		rows[i] = Row{ID: fmt.Sprintf("NOH-%06d", i), Site: "NOH", IP: ip, MAC: mac, Serial: fmt.Sprintf("SN%06d", i),
			Vendor: v, Model: "M", Category: CategoryFacility, Owner: OwnerCEJ, VMS: VMSMilestone, DispensationID: disps[i%4]}
		d := Device{IP: ip, MAC: mac, Serial: fmt.Sprintf("SN%06d", i), Class: evidence.Camera, Manufacturer: v, Brand: v, Model: "M", Evidence: ev}
		switch i % 10 {
		case 7: // matched by serial
			d.MAC = ""
		case 8: // matched by IP
			d.MAC, d.Serial = "", ""
		case 9: // unregistered, and its row missing
			d.MAC, d.Serial = fmt.Sprintf("06:00:00:%02x:%02x:%02x", i>>16, (i>>8)&0xff, i&0xff), "X"
			d.IP = netip.AddrFrom4([4]byte{10, byte(40 + i>>16), byte(i >> 8), byte(i)})
		}
		devices[i] = d
	}
	pol, err := ParsePolicy("bench.yaml", []byte(testPolicy))
	if err != nil {
		b.Fatal(err)
	}
	reg := &Registry{Rows: rows}
	scope := Scope{Site: "NOH", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	b.ReportAllocs()
	// The build machine is shared, so wall time per op says as much about
	// the neighbours as about Reconcile; process CPU time per op is
	// reported beside it.
	var before, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	var res Result
	for b.Loop() {
		res = Reconcile(devices, reg, pol, scope, today)
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / time.Duration(b.N)
	b.ReportMetric(float64(cpu.Nanoseconds()), "cpu-ns/op")
	b.ReportMetric(float64(len(res.Findings)), "findings/op")
}
