package inventory

import (
	"net/netip"
	"testing"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// A camera behind a router: its MAC came from the router's neighbour
// table and its place from a switch. Every finding about it carries both,
// so whoever gets the alert knows how the MAC was learnt and which port to
// visit; a swapped camera at a registered address shows as a mismatch of
// that MAC.
func TestFindingsCarryLocationAndMACSource(t *testing.T) {
	pol := mustPolicy(t, testPolicy)
	where := &evidence.Location{Switch: "noh-b1-asw03", Port: "Gi1/0/17", PortDescription: "Gang ved akutmodtagelse", VLAN: 120, Source: "snmp dot1qTpFdbTable"}
	via := func(d *Device) { d.MACSource, d.Location = "snmp noh-core1 ipNetToPhysicalTable", where }
	devices := []Device{
		cam("10.20.8.60", "08:ed:ed:00:00:60", "Dahua", "Dahua", "IPC-HDW2431T", via),
		cam("10.20.8.61", "44:47:cc:00:00:99", "Hikvision", "Hikvision", "DS-2CD2143G2-I", via),
	}
	rows := []Row{row("NOH-H61", "10.20.8.61", "44:47:cc:00:00:61", "Hikvision", "DS-2CD2143G2-I", disp("DISP-HIK-NEW"))}
	res := Reconcile(devices, &Registry{Rows: rows}, pol, nohScope, today)
	kinds := map[string]Finding{}
	for _, f := range res.Findings {
		kinds[f.Kind+" "+f.IP] = f
	}
	for _, k := range []string{"unregistered_camera 10.20.8.60", "banned_manufacturer 10.20.8.60", "identity_mismatch 10.20.8.61"} {
		f, ok := kinds[k]
		if !ok {
			t.Errorf("no %s finding; got %v", k, res.Findings)
			continue
		}
		if f.Location == nil || *f.Location != *where || f.MACSource != "snmp noh-core1 ipNetToPhysicalTable" {
			t.Errorf("%s: location %v, mac_source %q", k, f.Location, f.MACSource)
		}
	}
}

// The findings judged from flows and the duplicate-identity finding are
// about a device too: they carry its place and how its MAC was learnt,
// like every other device finding, so the report, API and CSV need not
// look the device up again (and a registry-only finding at the same
// address never borrows it).
func TestObservedAndDuplicateFindingsCarryLocation(t *testing.T) {
	where := &evidence.Location{Switch: "noh-b1-asw03", Port: "Gi1/0/17", VLAN: 120, Source: "snmp dot1qTpFdbTable"}
	via := func(d *Device) { d.MACSource, d.Location = "snmp noh-core1 ipNetToPhysicalTable", where }
	cloud := netip.MustParseAddr("198.51.100.10")
	camera := cam("10.20.8.11", "e0:50:8b:3d:72:19", "Dahua", "Dahua", "IPC-HDW2431T", via)
	nvr := cam("10.20.8.40", "38:af:29:c4:55:0b", "Dahua", "Dahua", "NVR4108HS", via, func(d *Device) { d.Class = evidence.Recorder })
	clone := cam("10.20.8.12", "e0:50:8b:3d:72:19", "Dahua", "Dahua", "IPC-HDW2431T", via)
	obs := Observations{FlowSources: []string{evidence.SourceMirror}, Flows: []evidence.Flow{
		stream(camera.IP, nvr.IP, 50<<20, evidence.VideoRTSPPlay, evidence.SourceMirror),
		{Server: cloud, Client: camera.IP, Port: 9999, Proto: 17, ServerBytes: 2_000, ClientBytes: 70_000, Sources: []string{evidence.SourceMirror}},
	}}
	res := ReconcileObserved([]Device{camera, nvr, clone}, nil, approving("10.20.1.10/32"), Scope{Site: "NOH"}, obs, flowNow)
	for _, kind := range []string{KindRecordedOutsideVMS, KindUnapprovedRecorder, KindCameraEgress, KindDuplicateIdentity} {
		fs := kinds(res.Findings, kind)
		if len(fs) == 0 {
			t.Errorf("no %s finding; got %v", kind, res.Findings)
		}
		for _, f := range fs {
			if f.Location == nil || *f.Location != *where || f.MACSource != "snmp noh-core1 ipNetToPhysicalTable" {
				t.Errorf("%s: location %v, mac_source %q", f.Key, f.Location, f.MACSource)
			}
		}
	}
}
