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

var (
	flowNow = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	vmsAddr = netip.MustParseAddr("10.20.1.10")
	nvrAddr = netip.MustParseAddr("10.20.8.40")
)

func camDev(ip, mac, maker string) Device {
	return Device{IP: netip.MustParseAddr(ip), MAC: mac, Class: evidence.Camera, Brand: maker, Manufacturer: maker}
}

// stream is a client pulling video from a camera's RTSP port, as the
// flow table reports it.
func stream(camera, client netip.Addr, bytes uint64, video string, sources ...string) evidence.Flow {
	return evidence.Flow{Server: camera, Client: client, Port: 554, Proto: 6, ServerBytes: bytes, ClientBytes: bytes / 500,
		First: flowNow.Add(-time.Hour), Last: flowNow, Video: video, Sources: sources}
}

// nohFlows is the NOH case: a local recorder pulling the seven Dahua
// cameras, the central VMS pulling the Axis, a scanner's DESCRIBE.
func nohFlows() ([]Device, []evidence.Flow) {
	var devs []Device
	var flows []evidence.Flow
	for i := range 7 {
		d := camDev(fmt.Sprintf("10.20.8.%d", 11+i), fmt.Sprintf("e0:50:8b:3d:72:%02x", 0x10+i), "Dahua")
		devs = append(devs, d)
		video := ""
		if i%2 == 0 {
			video = evidence.VideoRTSPPlay
		}
		flows = append(flows, stream(d.IP, nvrAddr, 50<<20, video, evidence.SourceMirror))
	}
	nvr := Device{IP: nvrAddr, MAC: "38:af:29:c4:55:0b", Class: evidence.Recorder, Brand: "Dahua", Manufacturer: "Dahua", Model: "NVR4108HS-4KS2"}
	axis := camDev("10.20.8.20", "ac:cc:8e:a2:72:31", "Axis")
	devs = append(devs, nvr, axis)
	flows = append(flows,
		stream(axis.IP, vmsAddr, 80<<20, evidence.VideoRTSPPlay, evidence.SourceNetFlow),
		// The sensor's own DESCRIBE: a few kilobytes, no PLAY.
		stream(axis.IP, netip.MustParseAddr("10.20.99.5"), 6<<10, "", evidence.SourceMirror))
	return devs, flows
}

func approving(recorders ...string) *Policy {
	p := &Policy{Sites: map[string]SitePolicy{}}
	for _, r := range recorders {
		p.Recording.ApprovedRecorders = append(p.Recording.ApprovedRecorders, netip.MustParsePrefix(r))
	}
	return p
}

func kinds(fs []Finding, kind string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func TestRecordedOutsideVMS(t *testing.T) {
	devs, flows := nohFlows()
	obs := Observations{Flows: flows, FlowSources: []string{evidence.SourceMirror, evidence.SourceNetFlow}}
	res := ReconcileObserved(devs, nil, approving("10.20.1.10/32"), Scope{Site: "NOH"}, obs, flowNow)

	outside := kinds(res.Findings, KindRecordedOutsideVMS)
	if len(outside) != 7 {
		t.Fatalf("%d recorded_outside_vms, want 7: %v", len(outside), outside)
	}
	for i, f := range outside {
		wantIP := fmt.Sprintf("10.20.8.%d", 11+i)
		if f.IP != wantIP || f.Severity != SeverityHigh || !strings.HasSuffix(f.Key, "/recorder=10.20.8.40") || !strings.HasPrefix(f.Key, "recorded_outside_vms/NOH/mac=") {
			t.Errorf("finding %d: %s %s key %s", i, f.IP, f.Severity, f.Key)
		}
		if !strings.Contains(f.Detail, "10.20.8.40") {
			t.Errorf("detail does not name the recorder: %s", f.Detail)
		}
	}
	rec := kinds(res.Findings, KindUnapprovedRecorder)
	if len(rec) != 1 || rec[0].IP != "10.20.8.40" || rec[0].Key != "unapproved_recorder/NOH/mac=38:af:29:c4:55:0b" {
		t.Fatalf("unapproved_recorder %+v, want one for 10.20.8.40", rec)
	}
	var nvr, axis Device
	for _, d := range res.Devices {
		switch d.IP.String() {
		case "10.20.8.40":
			nvr = d
		case "10.20.8.20":
			axis = d
		}
	}
	if len(nvr.Records) != 7 || nvr.Records[0].String() != "10.20.8.11" {
		t.Errorf("recorder's records %v, want the seven cameras", nvr.Records)
	}
	if len(axis.StreamClients) != 1 || axis.StreamClients[0].IP != vmsAddr || !axis.StreamClients[0].Approved || axis.StreamClients[0].How != evidence.VideoRTSPPlay {
		t.Errorf("Axis stream clients %+v, want only the approved VMS (the scanner's DESCRIBE is not a pull)", axis.StreamClients)
	}
	// The central VMS's recording server is not in the sweep: it joins
	// the report as a flow-only recorder, approved, with what it records.
	if len(res.Devices) != len(devs)+1 {
		t.Fatalf("%d devices, want %d", len(res.Devices), len(devs)+1)
	}
	if v := res.Devices[len(devs)]; !v.FlowOnly || v.IP != vmsAddr || len(v.Records) != 1 || v.Records[0] != axis.IP {
		t.Errorf("flow-only device %+v, want the VMS recording the Axis", v)
	}
}

func TestRecordingJudgedOnlyWithFlowSources(t *testing.T) {
	devs, flows := nohFlows()
	// Flows handed over, but no source configured: nothing judged.
	res := ReconcileObserved(devs, nil, &Policy{}, Scope{Site: "NOH"}, Observations{Flows: flows}, flowNow)
	for _, f := range res.Findings {
		if f.Kind == KindRecordedOutsideVMS || f.Kind == KindUnapprovedRecorder || f.Kind == KindCameraEgress {
			t.Errorf("finding %s without a flow source", f.Key)
		}
	}
}

func TestRecordingPolicyEdges(t *testing.T) {
	cam := camDev("10.20.8.11", "e0:50:8b:3d:72:19", "Dahua")
	pc := netip.MustParseAddr("10.20.30.99")
	viewer := netip.MustParseAddr("10.20.2.7")
	tests := []struct {
		name     string
		devs     []Device
		flows    []evidence.Flow
		pol      *Policy
		outside  int
		recorder []string // unapproved_recorder keys
		flowOnly int
	}{
		{"no approved recorders: every pull is outside, and says why", []Device{cam}, []evidence.Flow{stream(cam.IP, vmsAddr, 10<<20, "", evidence.SourceIPFIX)}, &Policy{}, 1, []string{"unapproved_recorder/NOH/ip=10.20.1.10"}, 1},
		{"a PC pulling video becomes a device", []Device{cam}, []evidence.Flow{stream(cam.IP, pc, 9<<20, evidence.VideoRTSPHTTP, evidence.SourceMirror)}, approving("10.20.1.0/24"), 1, []string{"unapproved_recorder/NOH/ip=10.20.30.99"}, 1},
		{"an approved viewer", []Device{cam}, []evidence.Flow{stream(cam.IP, viewer, 9<<20, evidence.VideoRTSPPlay, evidence.SourceMirror)},
			&Policy{Recording: RecordingPolicy{ApprovedRecorders: []netip.Prefix{netip.MustParsePrefix("10.20.1.10/32")}, ApprovedViewers: []netip.Prefix{netip.MustParsePrefix("10.20.2.0/24")}}}, 0, nil, 1},
		{"below the volume, no sign", []Device{cam}, []evidence.Flow{stream(cam.IP, pc, 3<<20, "", evidence.SourceNetFlow)}, approving("10.20.1.10/32"), 0, nil, 0},
		{"much syslog is not video", []Device{cam}, []evidence.Flow{{Server: pc, Client: cam.IP, Port: 514, Proto: 17, ClientBytes: 90 << 20, Sources: []string{"netflow_v9"}}}, approving("10.20.1.10/32"), 0, nil, 0},
		{"a camera pushing to a NAS as a client is video out", []Device{cam}, []evidence.Flow{{Server: pc, Client: cam.IP, Port: 445, Proto: 6, ClientBytes: 90 << 20, Sources: []string{"netflow_v9"}}}, approving("10.20.1.10/32"), 1, []string{"unapproved_recorder/NOH/ip=10.20.30.99"}, 1},
		{"a site's own approved recorder", []Device{cam}, []evidence.Flow{stream(cam.IP, pc, 9<<20, evidence.VideoRTSPPlay, evidence.SourceMirror)},
			&Policy{Sites: map[string]SitePolicy{"NOH": {Recording: RecordingPolicy{ApprovedRecorders: []netip.Prefix{netip.MustParsePrefix("10.20.30.99/32")}}}}}, 0, nil, 1},
		{"a recorder by fingerprint, no flows, recorders named", []Device{cam, {IP: nvrAddr, Class: evidence.Recorder}}, nil, approving("10.20.1.10/32"), 0, []string{"unapproved_recorder/NOH/ip=10.20.8.40"}, 0},
		{"a recorder by fingerprint, no recorders named: not judged", []Device{cam, {IP: nvrAddr, Class: evidence.Recorder}}, nil, &Policy{}, 0, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := Observations{Flows: tt.flows, FlowSources: []string{"mirror"}}
			if tt.flows == nil {
				obs.FlowSources = nil
			}
			res := ReconcileObserved(tt.devs, nil, tt.pol, Scope{Site: "NOH"}, obs, flowNow)
			if got := len(kinds(res.Findings, KindRecordedOutsideVMS)); got != tt.outside {
				t.Errorf("%d recorded_outside_vms, want %d", got, tt.outside)
			}
			var keys []string
			for _, f := range kinds(res.Findings, KindUnapprovedRecorder) {
				keys = append(keys, f.Key)
				if len(tt.pol.Recording.ApprovedRecorders) == 0 && len(tt.pol.site("NOH").Recording.ApprovedRecorders) == 0 && !strings.Contains(f.Detail, "names no approved") {
					t.Errorf("detail %q does not say that no recorder is approved", f.Detail)
				}
			}
			if !slices.Equal(keys, tt.recorder) {
				t.Errorf("unapproved_recorder keys %v, want %v", keys, tt.recorder)
			}
			n := 0
			for _, d := range res.Devices {
				if d.FlowOnly {
					n++
					if d.Class != evidence.Recorder || len(d.Records) != 1 || d.Records[0] != cam.IP {
						t.Errorf("flow-only device %+v", d)
					}
				}
			}
			if n != tt.flowOnly || len(res.MatchedBy) != len(res.Devices) {
				t.Errorf("%d flow-only devices (want %d), %d MatchedBy for %d devices", n, tt.flowOnly, len(res.MatchedBy), len(res.Devices))
			}
		})
	}
}

func TestCameraEgress(t *testing.T) {
	cloud := netip.MustParseAddr("198.51.100.10")
	inside := camDev("10.20.8.30", "ac:cc:8e:00:00:01", "Axis")
	talker := camDev("10.20.8.31", "ec:71:db:00:00:01", "Reolink")
	asker := camDev("10.20.8.32", "ec:71:db:00:00:02", "Reolink")
	printer := Device{IP: netip.MustParseAddr("10.20.20.10"), Class: evidence.Other}
	flows := []evidence.Flow{
		{Server: netip.MustParseAddr("10.20.0.123"), Client: inside.IP, Port: 123, Proto: 17, ServerBytes: 480, ClientBytes: 480, Sources: []string{"mirror"}},
		{Server: cloud, Client: talker.IP, Port: 9999, Proto: 17, ServerBytes: 2_000, ClientBytes: 70_000, First: flowNow.Add(-time.Minute), Last: flowNow, Sources: []string{"mirror", "netflow_v9"}},
		{Server: cloud, Client: printer.IP, Port: 443, Proto: 6, ServerBytes: 5_000, ClientBytes: 1_000, Sources: []string{"mirror"}},
		// Multicast is not egress.
		{Server: inside.IP, Client: netip.MustParseAddr("239.255.255.250"), Port: 1900, Proto: 17, ServerBytes: 900, Sources: []string{"mirror"}},
	}
	dns := []evidence.DNSLookup{{Client: asker.IP, Name: "p2p.reolink.com", Maker: "Reolink", Count: 3, First: flowNow.Add(-time.Hour), Last: flowNow}}
	obs := Observations{Flows: flows, DNS: dns, FlowSources: []string{"mirror"}}
	res := ReconcileObserved([]Device{inside, talker, asker, printer}, nil, &Policy{}, Scope{Site: "NOH"}, obs, flowNow)
	eg := kinds(res.Findings, KindCameraEgress)
	if len(eg) != 2 {
		t.Fatalf("camera_egress %+v, want the talker and the asker", eg)
	}
	byIP := map[string]Finding{}
	for _, f := range eg {
		byIP[f.IP] = f
		if f.Severity != SeverityCritical {
			t.Errorf("%s severity %s", f.Key, f.Severity)
		}
	}
	if f := byIP["10.20.8.31"]; !strings.Contains(f.Detail, "198.51.100.10 port 9999/udp") || f.Key != "camera_egress/NOH/mac=ec:71:db:00:00:01" {
		t.Errorf("talker's finding %+v", f)
	}
	if f := byIP["10.20.8.32"]; !strings.Contains(f.Detail, "p2p.reolink.com (Reolink cloud) 3 time(s)") {
		t.Errorf("asker's finding %+v", f)
	}
	for _, d := range res.Devices {
		if d.IP == talker.IP && (len(d.Egress) != 1 || d.Egress[0].Sent != 70_000 || d.Egress[0].Recv != 2_000) {
			t.Errorf("talker's egress %+v, want 70,000 bytes sent and 2,000 received", d.Egress)
		}
	}
	// The region's own prefixes replace the private default: the same
	// cloud address inside them is not egress.
	pol := &Policy{Recording: RecordingPolicy{InternalPrefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("10.0.0.0/8")}}}
	res = ReconcileObserved([]Device{inside, talker}, nil, pol, Scope{Site: "NOH"}, obs, flowNow)
	if eg := kinds(res.Findings, KindCameraEgress); len(eg) != 0 {
		t.Errorf("egress to an internal prefix: %+v", eg)
	}
}

func TestNotOnCentralVMSFromTheVMS(t *testing.T) {
	present := camDev("10.20.8.50", "ac:cc:8e:00:00:50", "Axis")
	absent := camDev("10.20.8.51", "ac:cc:8e:00:00:51", "Axis")
	disabled := camDev("10.20.8.52", "ac:cc:8e:00:00:52", "Axis")
	byIP := camDev("10.20.8.53", "", "Axis")
	dispensed := camDev("10.20.9.21", "44:19:b6:4f:21:7c", "Hikvision")
	reg := &Registry{Rows: []Row{
		// The registry says local for a camera the VMS records, and
		// milestone for one it does not: the VMS wins both ways.
		{ID: "CAM-50", Site: "NOH", MAC: present.MAC, Vendor: "Axis", Category: "facility", Owner: OwnerCEJ, VMS: VMSLocal},
		{ID: "CAM-51", Site: "NOH", MAC: absent.MAC, Vendor: "Axis", Category: "facility", Owner: OwnerCEJ, VMS: VMSMilestone},
		{ID: "CAM-21", Site: "NOH", MAC: dispensed.MAC, Vendor: "Hikvision", Category: "medico", Owner: OwnerCIMT, VMS: VMSClosedNet, DispensationID: "DISP-HIK-70"},
	}}
	pol := &Policy{BannedManufacturers: []string{"Hikvision"}, Dispensations: []Dispensation{{ID: "DISP-HIK-70", Manufacturer: "Hikvision", Owner: OwnerCIMT, Reason: "r", Expires: Date{2026, 8, 18}, MaxCameras: 70}}}
	vms := &VMSInventory{Source: "milestone", URL: "https://vms.example", Hardware: []VMSHardware{
		{ID: "hw-50", Name: "Indgang", MAC: present.MAC, Address: netip.MustParseAddr("10.20.99.99"), Enabled: true, Cameras: 1, CamerasRecording: 1},
		{ID: "hw-52", Name: "Gang", MAC: disabled.MAC, Enabled: false, Cameras: 1, CamerasRecording: 0},
		{ID: "hw-53", Name: "Port", Address: byIP.IP, Enabled: true, Cameras: -1, CamerasRecording: -1},
	}}
	devs := []Device{present, absent, disabled, byIP, dispensed}
	res := ReconcileObserved(devs, reg, pol, Scope{Site: "NOH"}, Observations{VMS: vms}, flowNow)
	got := map[string]string{}
	for _, f := range kinds(res.Findings, KindNotOnCentralVMS) {
		got[f.IP] = f.Detail
	}
	if len(got) != 2 || !strings.Contains(got["10.20.8.51"], "lists no hardware") || !strings.Contains(got["10.20.8.52"], "does not record it") {
		t.Errorf("not_on_central_vms %v, want 10.20.8.51 (absent) and 10.20.8.52 (disabled) only", got)
	}
	if d := res.Devices[0]; d.VMS == nil || d.VMS.HardwareID != "hw-50" || d.VMS.MatchedBy != MatchMAC {
		t.Errorf("present camera's VMS entry %+v", d.VMS)
	}
	if d := res.Devices[3]; d.VMS == nil || d.VMS.MatchedBy != MatchIP {
		t.Errorf("camera matched by address: %+v", d.VMS)
	}
	// Without the VMS, the registry's column decides again.
	res = Reconcile(devs, reg, pol, Scope{Site: "NOH"}, flowNow)
	got = map[string]string{}
	for _, f := range kinds(res.Findings, KindNotOnCentralVMS) {
		got[f.IP] = f.Detail
	}
	if len(got) != 1 || got["10.20.8.50"] == "" {
		t.Errorf("registry-judged not_on_central_vms %v, want only the row that says local", got)
	}
}
