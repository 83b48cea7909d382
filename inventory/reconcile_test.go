package inventory

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// today is the day the NOH case is judged on.
var today = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

const testPolicy = `banned_manufacturers: [Hikvision, Dahua]
expiry_warning_days: 30
dispensations:
  - {id: DISP-HIK-70, manufacturer: Hikvision, owner: CIMT, reason: clinical, expires: 2026-08-18, max_cameras: 70}
  - {id: DISP-REO-6, manufacturer: Reolink, owner: CIMT, reason: clinical, expires: 2026-02-03, max_cameras: 6}
  - {id: DISP-HIK-NEW, manufacturer: Hikvision, owner: CIMT, reason: clinical, expires: 2027-06-30, max_cameras: 1}
  - {id: DISP-HIK-SOON, manufacturer: Hikvision, owner: CIMT, reason: clinical, expires: 2026-12-10, max_cameras: 5}
sites:
  NOH:
    camera_segments: [10.20.8.0/22]
suppressions:
  - {key: "unregistered_camera/NOH/mac=ac:cc:8e:00:00:77", reason: accepted, expires: 2026-12-31}
  - {key: "unregistered_camera/NOH/mac=ac:cc:8e:00:00:78", reason: accepted, expires: 2026-11-27}
`

var nohScope = Scope{Site: "NOH", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.20.8.0/22"), netip.MustParsePrefix("10.20.20.0/24")}}

func mustPolicy(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := ParsePolicy("policy.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func row(id, ip, mac, vendor, model string, mods ...func(*Row)) Row {
	r := Row{ID: id, Site: "NOH", Vendor: vendor, Model: model, Category: CategoryFacility, Owner: OwnerCEJ, VMS: VMSMilestone, MAC: mac}
	if ip != "" {
		r.IP = netip.MustParseAddr(ip)
	}
	for _, m := range mods {
		m(&r)
	}
	return r
}

func disp(id string) func(*Row) {
	return func(r *Row) {
		r.DispensationID, r.Category, r.Owner, r.VMS = id, CategoryMedico, OwnerCIMT, VMSClosedNet
	}
}

func cam(ip, mac, manufacturer, brand, model string, mods ...func(*Device)) Device {
	d := Device{IP: netip.MustParseAddr(ip), MAC: mac, Class: evidence.Camera, Manufacturer: manufacturer, Brand: brand, Model: model,
		Evidence: []evidence.Evidence{{Probe: "onvif", Field: "onvif.manufacturer", Value: manufacturer}}}
	for _, m := range mods {
		m(&d)
	}
	return d
}

func serial(s string) func(*Device) { return func(d *Device) { d.Serial = s } }

// summary renders findings as "severity kind key registry_id" lines.
func summary(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s %s %s", f.Severity, f.Key, f.RegistryID)
	}
	return out
}

func TestReconcileFindingKinds(t *testing.T) {
	pol := mustPolicy(t, testPolicy)
	tests := []struct {
		name    string
		devices []Device
		rows    []Row
		want    []string
		ids     []string // RegistryID per device
		detail  string   // a phrase the first finding's detail must carry
		partial bool     // the sweep did not finish
	}{
		{
			name:    "unregistered_camera",
			devices: []Device{cam("10.20.8.40", "ac:cc:8e:00:00:99", "Axis", "Axis", "P3245-LVE")},
			want:    []string{"critical unregistered_camera/NOH/mac=ac:cc:8e:00:00:99 "},
			ids:     []string{""},
		},
		{
			name:    "unregistered white-label Dahua sold as Amcrest is also banned",
			devices: []Device{cam("10.20.8.41", "9c:8e:cd:00:00:01", "Dahua", "Amcrest", "IP8M-2496E")},
			want: []string{"critical unregistered_camera/NOH/mac=9c:8e:cd:00:00:01 ",
				"high banned_manufacturer/NOH/mac=9c:8e:cd:00:00:01 "},
			ids:    []string{""},
			detail: "matches no registry row",
		},
		{
			name:    "banned_manufacturer, registered without dispensation",
			devices: []Device{cam("10.20.8.42", "44:19:b6:00:00:01", "Hikvision", "Hikvision", "DS-2CD2143G2-I")},
			rows:    []Row{row("NOH-H1", "10.20.8.42", "44:19:b6:00:00:01", "Hikvision", "DS-2CD2143G2-I")},
			want:    []string{"high banned_manufacturer/NOH/row=NOH-H1 NOH-H1"},
			ids:     []string{"NOH-H1"},
			detail:  "no dispensation covers it",
		},
		{
			name:    "valid dispensation covers a banned camera",
			devices: []Device{cam("10.20.8.43", "44:19:b6:00:00:02", "Hangzhou Hikvision Digital Technology Co.,Ltd.", "HiLook", "IPC-T240H")},
			rows:    []Row{row("NOH-H2", "10.20.8.43", "44:19:b6:00:00:02", "HiLook", "IPC-T240H", disp("DISP-HIK-NEW"))},
			want:    []string{},
			ids:     []string{"NOH-H2"},
		},
		{
			name:    "dispensation_expired replaces banned_manufacturer",
			devices: []Device{cam("10.20.8.44", "44:19:b6:00:00:03", "Hikvision", "Hikvision", "DS-2CD2143G2-I")},
			rows:    []Row{row("NOH-H3", "10.20.8.44", "44:19:b6:00:00:03", "Hikvision", "DS-2CD2143G2-I", disp("DISP-HIK-70"))},
			want:    []string{"high dispensation_expired/NOH/row=NOH-H3 NOH-H3"},
			ids:     []string{"NOH-H3"},
			detail:  "expired on 2026-08-18, 102 days ago",
		},
		{
			name:    "dispensation_expired for a non-banned maker (Reolink)",
			devices: []Device{cam("10.20.8.45", "ec:71:db:00:00:01", "Reolink", "Reolink", "RLC-810A")},
			rows:    []Row{row("NOH-R1", "10.20.8.45", "ec:71:db:00:00:01", "Reolink", "RLC-810A", disp("DISP-REO-6"))},
			want:    []string{"high dispensation_expired/NOH/row=NOH-R1 NOH-R1"},
			ids:     []string{"NOH-R1"},
		},
		{
			name:    "dispensation_expiring inside the window",
			devices: []Device{cam("10.20.8.46", "44:19:b6:00:00:04", "Hikvision", "Hikvision", "DS-2CD2143G2-I")},
			rows:    []Row{row("NOH-H4", "10.20.8.46", "44:19:b6:00:00:04", "Hikvision", "DS-2CD2143G2-I", disp("DISP-HIK-SOON"))},
			want:    []string{"warning dispensation_expiring/NOH/row=NOH-H4 NOH-H4"},
			ids:     []string{"NOH-H4"},
			detail:  "in 12 days",
		},
		{
			name:    "a dispensation for another maker covers nothing",
			devices: []Device{cam("10.20.8.47", "44:19:b6:00:00:05", "Hikvision", "Hikvision", "")},
			rows:    []Row{row("NOH-H5", "10.20.8.47", "44:19:b6:00:00:05", "Hikvision", "", disp("DISP-REO-6"))},
			want: []string{"high banned_manufacturer/NOH/row=NOH-H5 NOH-H5",
				"medium not_on_central_vms/NOH/row=NOH-H5 NOH-H5"},
			ids:    []string{"NOH-H5"},
			detail: "names DISP-REO-6, which is for Reolink",
		},
		{
			name:    "outside_camera_segment",
			devices: []Device{cam("10.20.20.5", "ac:cc:8e:00:00:06", "Axis", "Axis", "P3245-LVE")},
			rows:    []Row{row("NOH-A6", "10.20.20.5", "ac:cc:8e:00:00:06", "Axis", "P3245-LVE")},
			want:    []string{"high outside_camera_segment/NOH/row=NOH-A6 NOH-A6"},
			ids:     []string{"NOH-A6"},
			detail:  "outside NOH's camera segments 10.20.8.0/22",
		},
		{
			name:    "not_on_central_vms: local recorder",
			devices: []Device{cam("10.20.8.48", "ac:cc:8e:00:00:07", "Axis", "Axis", "P3245-LVE")},
			rows:    []Row{row("NOH-A7", "10.20.8.48", "ac:cc:8e:00:00:07", "Axis", "P3245-LVE", func(r *Row) { r.VMS = VMSLocal })},
			want:    []string{"medium not_on_central_vms/NOH/row=NOH-A7 NOH-A7"},
			ids:     []string{"NOH-A7"},
			detail:  "local server",
		},
		{
			name:    "identity_mismatch: model and serial differ",
			devices: []Device{cam("10.20.8.49", "ac:cc:8e:00:00:08", "Axis", "Axis", "M3106-L", func(d *Device) { d.Serial = "ACCC8E999999" })},
			rows:    []Row{row("NOH-A8", "10.20.8.49", "ac:cc:8e:00:00:08", "Axis", "P3245-LVE", func(r *Row) { r.Serial = "ACCC8E000008" })},
			want:    []string{"warning identity_mismatch/NOH/row=NOH-A8 NOH-A8"},
			ids:     []string{"NOH-A8"},
			detail:  `model "P3245-LVE" registered, "M3106-L" found; serial`,
		},
		{
			name:    "identity_mismatch: matched by IP, another MAC (swapped device)",
			devices: []Device{cam("10.20.8.50", "ac:cc:8e:00:00:99", "Axis", "Axis", "P3245-LVE")},
			rows:    []Row{row("NOH-A9", "10.20.8.50", "ac:cc:8e:00:00:09", "Axis", "p3245 lve")},
			want:    []string{"warning identity_mismatch/NOH/row=NOH-A9 NOH-A9"},
			ids:     []string{"NOH-A9"},
			detail:  "by ip, but MAC ac:cc:8e:00:00:09 registered, ac:cc:8e:00:00:99 found",
		},
		{
			name:    "address_changed: matched by serial at another IP",
			devices: []Device{cam("10.20.8.51", "", "Axis", "Axis", "P3245-LVE", func(d *Device) { d.Serial = "accc8e000010" })},
			rows:    []Row{row("NOH-A10", "10.20.8.10", "", "Axis", "P3245-LVE", func(r *Row) { r.Serial = "ACCC8E000010" })},
			want:    []string{"info address_changed/NOH/row=NOH-A10 NOH-A10"},
			ids:     []string{"NOH-A10"},
			detail:  "registered at 10.20.8.10, found at 10.20.8.51",
		},
		{
			name: "missing_camera only inside the scope and the site",
			rows: []Row{
				row("NOH-M1", "10.20.8.60", "ac:cc:8e:00:00:60", "Axis", ""),
				row("NOH-M2", "10.20.30.1", "ac:cc:8e:00:00:61", "Axis", ""), // outside the scanned prefixes
				row("NOH-M3", "", "ac:cc:8e:00:00:62", "Axis", ""),           // no IP: cannot be placed
				row("RH-M4", "10.20.8.61", "ac:cc:8e:00:00:63", "Axis", "", func(r *Row) { r.Site = "RH" }),
			},
			want:   []string{"warning missing_camera/NOH/row=NOH-M1 NOH-M1"},
			detail: "inside the scanned scope and was not seen",
		},
		{
			name:    "a partial sweep keeps what it found but claims nothing missing",
			devices: []Device{cam("10.20.8.40", "ac:cc:8e:00:00:99", "Axis", "Axis", "P3245-LVE")},
			rows:    []Row{row("NOH-M1", "10.20.8.60", "ac:cc:8e:00:00:60", "Axis", "")},
			partial: true,
			want:    []string{"critical unregistered_camera/NOH/mac=ac:cc:8e:00:00:99 "},
			ids:     []string{""},
		},
		{
			name:    "registry_conflict: shared MAC, unknown dispensation",
			devices: []Device{cam("10.20.8.62", "ac:cc:8e:00:00:64", "Axis", "Axis", "")},
			rows: []Row{
				row("NOH-C1", "10.20.8.62", "ac:cc:8e:00:00:64", "Axis", ""),
				row("NOH-C2", "10.20.8.63", "ac:cc:8e:00:00:64", "Axis", ""),
				row("NOH-C3", "", "", "Axis", "", func(r *Row) { r.Serial = "S1"; r.DispensationID = "DISP-NONE" }),
			},
			want: []string{"warning missing_camera/NOH/row=NOH-C2 NOH-C2",
				"warning registry_conflict/NOH/mac=ac:cc:8e:00:00:64 NOH-C1",
				"warning registry_conflict/NOH/row=NOH-C3/dispensation NOH-C3"},
			ids:    []string{"NOH-C1"},
			detail: "inside the scanned scope",
		},
		{
			name: "dispensation_overclaimed",
			rows: []Row{
				row("NOH-O1", "", "", "Hikvision", "", disp("DISP-HIK-NEW"), func(r *Row) { r.Serial = "S-O1" }),
				row("NOH-O2", "", "", "Hikvision", "", disp("DISP-HIK-NEW"), func(r *Row) { r.Serial = "S-O2" }),
			},
			want:   []string{"warning dispensation_overclaimed/NOH/dispensation=DISP-HIK-NEW NOH-O2"},
			detail: "2 registry rows claim dispensation DISP-HIK-NEW, which allows 1",
		},
		{
			name:    "non-camera devices are not held to the camera policy",
			devices: []Device{cam("10.20.8.64", "3c:2a:f4:00:00:01", "HP", "HP", "LaserJet", func(d *Device) { d.Class = evidence.Other })},
			want:    []string{},
			ids:     []string{""},
		},
		{
			name:    "IP match with a rebrand: row says Amcrest, device is a Dahua-made Amcrest",
			devices: []Device{cam("10.20.8.65", "", "Dahua", "Amcrest", "IP8M-2496E")},
			rows:    []Row{row("NOH-D1", "10.20.8.65", "", "Amcrest", "IP8M-2496E")},
			want:    []string{"high banned_manufacturer/NOH/row=NOH-D1 NOH-D1"},
			ids:     []string{"NOH-D1"},
			detail:  "made by Dahua (sold as Amcrest)",
		},
		{
			name:    "no IP match for an incompatible vendor",
			devices: []Device{cam("10.20.8.66", "", "Hikvision", "Hikvision", "DS-2CD2143G2-I")},
			rows:    []Row{row("NOH-A11", "10.20.8.66", "", "Axis", "P3245-LVE")},
			want: []string{"critical unregistered_camera/NOH/ip=10.20.8.66 ",
				"high banned_manufacturer/NOH/ip=10.20.8.66 ",
				"warning missing_camera/NOH/row=NOH-A11 NOH-A11"},
			ids: []string{""},
		},
		{
			// The clone answers ISAPI with NOH-CAM-0101's MAC and serial
			// from another address; it sorts first by address, so only a
			// preference for the registered address keeps the row with the
			// genuine camera.
			name: "duplicate_identity: a clone claiming a registered camera's MAC and serial does not take its row",
			devices: []Device{
				cam("10.20.8.30", "44:19:b6:00:01:01", "Hikvision", "Hikvision", "DS-2CD2143G2-I", serial("DS-2CD2143G2-I20230101AAWRJ00101")),
				cam("10.20.8.31", "44:19:b6:00:01:01", "Hikvision", "Hikvision", "DS-2CD2143G2-I", serial("DS-2CD2143G2-I20230101AAWRJ00101")),
			},
			rows: []Row{row("NOH-CAM-0101", "10.20.8.31", "44:19:b6:00:01:01", "Hikvision", "DS-2CD2143G2-I", disp("DISP-HIK-NEW"),
				func(r *Row) { r.Serial = "DS-2CD2143G2-I20230101AAWRJ00101" })},
			want: []string{"critical unregistered_camera/NOH/mac=44:19:b6:00:01:01 ",
				"high banned_manufacturer/NOH/mac=44:19:b6:00:01:01 ",
				"high duplicate_identity/NOH/mac=44:19:b6:00:01:01 NOH-CAM-0101"},
			ids:    []string{"", "NOH-CAM-0101"},
			detail: "at 10.20.8.30 matches no registry row",
		},
		{
			name: "duplicate_identity: the genuine camera gave no MAC, the clone copied MAC and serial",
			devices: []Device{
				cam("10.20.8.30", "ac:cc:8e:00:01:02", "Axis", "Axis", "P3245-LVE", serial("ACCC8E000102")),
				cam("10.20.8.32", "", "Axis", "Axis", "P3245-LVE", serial("ACCC8E000102")),
			},
			rows: []Row{row("NOH-CAM-0102", "10.20.8.32", "ac:cc:8e:00:01:02", "Axis", "P3245-LVE", func(r *Row) { r.Serial = "ACCC8E000102" })},
			want: []string{"critical unregistered_camera/NOH/mac=ac:cc:8e:00:01:02 ",
				"high duplicate_identity/NOH/serial=ACCC8E000102 NOH-CAM-0102"},
			ids: []string{"", "NOH-CAM-0102"},
		},
		{
			// Each unregistered claimant keeps a key of its own (metrics,
			// history and suppressions follow keys); a device alone keeps
			// the usual one.
			name: "duplicate_identity: two unregistered cameras with one MAC",
			devices: []Device{
				cam("10.20.8.33", "ac:cc:8e:00:01:03", "Axis", "Axis", "P3245-LVE"),
				cam("10.20.8.34", "ac:cc:8e:00:01:03", "Axis", "Axis", "P3245-LVE"),
				cam("10.20.8.35", "ac:cc:8e:00:01:04", "Axis", "Axis", "P3245-LVE"),
			},
			want: []string{"critical unregistered_camera/NOH/mac=ac:cc:8e:00:01:03,ip=10.20.8.33 ",
				"critical unregistered_camera/NOH/mac=ac:cc:8e:00:01:03,ip=10.20.8.34 ",
				"critical unregistered_camera/NOH/mac=ac:cc:8e:00:01:04 ",
				"high duplicate_identity/NOH/mac=ac:cc:8e:00:01:03 "},
			ids:    []string{"", "", ""},
			detail: "matches no registry row",
		},
		{
			name: "a valid suppression hides, an expired one does not",
			devices: []Device{cam("10.20.8.67", "ac:cc:8e:00:00:77", "Axis", "Axis", ""),
				cam("10.20.8.68", "ac:cc:8e:00:00:78", "Axis", "Axis", "")},
			want:   []string{"critical unregistered_camera/NOH/mac=ac:cc:8e:00:00:78 "},
			ids:    []string{"", ""},
			detail: "its suppression lapsed on 2026-11-27",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scope := nohScope
			scope.Partial = tt.partial
			res := Reconcile(tt.devices, &Registry{Rows: tt.rows}, pol, scope, today)
			got := summary(res.Findings)
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings:\n  got  %q\n  want %q", got, tt.want)
				for _, f := range res.Findings {
					t.Logf("  %s: %s", f.Key, f.Detail)
				}
			}
			if tt.detail != "" && (len(res.Findings) == 0 || !strings.Contains(res.Findings[0].Detail, tt.detail)) {
				t.Errorf("first finding's detail lacks %q: %+v", tt.detail, res.Findings)
			}
			var ids []string
			for _, d := range res.Devices {
				ids = append(ids, d.RegistryID)
			}
			if len(tt.devices) > 0 && !slices.Equal(ids, tt.ids) {
				t.Errorf("registry ids %q, want %q", ids, tt.ids)
			}
			for _, f := range res.Findings {
				if f.RegistryID == "" && len(f.Evidence) == 0 {
					t.Errorf("finding %s has neither a registry row nor evidence", f.Key)
				}
			}
		})
	}
}

func TestReconcileSuppressedAreKept(t *testing.T) {
	pol := mustPolicy(t, testPolicy)
	res := Reconcile([]Device{cam("10.20.8.67", "ac:cc:8e:00:00:77", "Axis", "Axis", "")}, nil, pol, nohScope, today)
	if len(res.Findings) != 0 || len(res.Suppressed) != 1 || res.Suppressed[0].Key != "unregistered_camera/NOH/mac=ac:cc:8e:00:00:77" {
		t.Errorf("findings %v suppressed %v", summary(res.Findings), summary(res.Suppressed))
	}
	// The day after the suppression's last day it stops suppressing.
	res = Reconcile([]Device{cam("10.20.8.67", "ac:cc:8e:00:00:77", "Axis", "Axis", "")}, nil, pol, nohScope, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if len(res.Findings) != 1 || len(res.Suppressed) != 0 {
		t.Errorf("after expiry: findings %v suppressed %v", summary(res.Findings), summary(res.Suppressed))
	}
}

func TestCheckRegistryAndClaims(t *testing.T) {
	pol := mustPolicy(t, testPolicy)
	reg := &Registry{Rows: []Row{
		row("NOH-1", "10.20.8.1", "", "Hikvision", "", disp("DISP-HIK-70"), func(r *Row) { r.Serial = "A" }),
		row("NOH-2", "10.20.8.1", "", "Hikvision", "", disp("DISP-HIK-70"), func(r *Row) { r.Serial = "A" }),
		row("RH-1", "10.20.8.1", "", "Reolink", "", disp("DISP-REO-6"), func(r *Row) { r.Site = "RH" }),
	}}
	got := summary(CheckRegistry(reg, pol, ""))
	want := []string{
		"warning registry_conflict/NOH/ip=10.20.8.1 NOH-1",
		"warning registry_conflict/NOH/serial=A NOH-1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("CheckRegistry = %q, want %q", got, want)
	}
	if got := CheckRegistry(reg, pol, "RH"); len(got) != 0 {
		t.Errorf("RH has no conflicts of its own, got %q", summary(got))
	}
	claims := DispensationClaims(reg, pol, today)
	var lines []string
	for _, c := range claims {
		lines = append(lines, fmt.Sprintf("%s %d/%d %s %d %v", c.ID, c.Claimed, c.MaxCameras, c.State, c.DaysLeft, c.ClaimedBySite))
	}
	wantClaims := []string{
		"DISP-HIK-70 2/70 expired -102 map[NOH:2]",
		"DISP-HIK-NEW 0/1 valid 214 map[]",
		"DISP-HIK-SOON 0/5 expiring 12 map[]",
		"DISP-REO-6 1/6 expired -298 map[RH:1]",
	}
	if !slices.Equal(lines, wantClaims) {
		t.Errorf("claims:\n  got  %q\n  want %q", lines, wantClaims)
	}
}

func TestScopeContains(t *testing.T) {
	s := Scope{Prefixes: []netip.Prefix{netip.MustParsePrefix("10.20.8.0/22")}, Exclude: []netip.Prefix{netip.MustParsePrefix("10.20.9.0/24")}}
	tests := []struct {
		addr string
		want bool
	}{
		{"10.20.8.1", true}, {"10.20.9.1", false}, {"10.20.12.1", false}, {"::ffff:10.20.8.1", true},
	}
	for _, tt := range tests {
		if got := s.Contains(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Contains(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
	if s.Contains(netip.Addr{}) {
		t.Error("the zero address is in scope")
	}
}

// TestDuplicateIdentityNamesBoth pins what the security team reads: both
// addresses, the row, and which of the two is at the registered address.
func TestDuplicateIdentityNamesBoth(t *testing.T) {
	devices := []Device{
		cam("10.20.8.30", "44:19:b6:00:01:01", "Hikvision", "Hikvision", "DS-2CD2143G2-I"),
		cam("10.20.8.31", "44:19:b6:00:01:01", "Hikvision", "Hikvision", "DS-2CD2143G2-I"),
	}
	rows := []Row{row("NOH-CAM-0101", "10.20.8.31", "44:19:b6:00:01:01", "Hikvision", "DS-2CD2143G2-I")}
	res := Reconcile(devices, &Registry{Rows: rows}, nil, nohScope, today)
	var dup *Finding
	for i := range res.Findings {
		if res.Findings[i].Kind == KindDuplicateIdentity {
			dup = &res.Findings[i]
		}
	}
	if dup == nil {
		t.Fatalf("no duplicate_identity finding: %q", summary(res.Findings))
	}
	wantDetail := "2 devices claim MAC 44:19:b6:00:01:01: 10.20.8.30 (Hikvision DS-2CD2143G2-I camera), " +
		"10.20.8.31 (Hikvision DS-2CD2143G2-I camera, registry row NOH-CAM-0101, at its registered address); " +
		"a camera has one, so one of them copies the other's identity (a cloned or spoofed device)"
	if dup.Detail != wantDetail {
		t.Errorf("detail\n  got  %s\n  want %s", dup.Detail, wantDetail)
	}
	if dup.IP != "10.20.8.30" || !slices.Equal(dup.IPs, []string{"10.20.8.30", "10.20.8.31"}) || dup.Severity != SeverityHigh {
		t.Errorf("ip %s ips %v severity %s, want the clone 10.20.8.30, both addresses, high", dup.IP, dup.IPs, dup.Severity)
	}
	for _, f := range res.Findings {
		if f.Kind == KindAddressChanged {
			t.Errorf("the genuine camera at its registered address got %s: %s", f.Key, f.Detail)
		}
	}
}
