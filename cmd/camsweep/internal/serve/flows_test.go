package serve

import (
	"fmt"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/scantest"
)

// freeUDP finds a loopback UDP port nobody uses now.
func freeUDP(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().String()
}

// TestServeFlowsAndVMS runs the daemon with a NetFlow collector and a
// Milestone VMS: a local recorder's pull of the Dahua, exported as IPFIX
// to the daemon's collector, gives recorded_outside_vms and
// unapproved_recorder; the VMS lists the Axis only, so the Dahua (absent)
// is not_on_central_vms and the Axis (present) is not.
func TestServeFlowsAndVMS(t *testing.T) {
	fake := &scantest.MilestoneVMS{
		ClientID: "camsweep", ClientSecret: "vms-client-secret-123",
		RecordingServers: []scantest.MilestoneRecordingServer{{ID: "rs-1", Name: "NOH-RS01"}},
		Hardware: []scantest.MilestoneHardware{{ID: "hw-20", Name: "Indgang", Address: "http://10.20.8.20/", MAC: "AC:CC:8E:00:00:20", Enabled: true, RecordingServer: "rs-1",
			Cameras: []scantest.MilestoneCamera{{ID: "c-20", Enabled: true, Recording: true}}}},
	}
	vmsSrv := httptest.NewServer(fake)
	defer vmsSrv.Close()
	collector := freeUDP(t)
	extra := fmt.Sprintf("flows:\n  window: 1h\n  netflow:\n    listen: [%q]\n    exporters: [127.0.0.1]\n", collector)

	sweep := newFakeSweep()
	sweep.devs["NOH"] = []inventory.Device{
		{IP: netip.MustParseAddr("10.20.8.11"), MAC: "e0:50:8b:3d:72:19", Class: evidence.Camera, Brand: "Dahua", Manufacturer: "Dahua", Serial: "6G0B2D7PAJ4E1C9"},
		{IP: netip.MustParseAddr("10.20.8.20"), MAC: "ac:cc:8e:00:00:20", Class: evidence.Camera, Brand: "Axis", Manufacturer: "Axis", Serial: "ACCC8E000020"},
	}
	h := startHarnessWith(t, extra, sweep, func(dir string, cfg string) string {
		creds := filepath.Join(dir, "vms.yaml")
		if err := os.WriteFile(creds, []byte("client_id: camsweep\nclient_secret: vms-client-secret-123\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return strings.Replace(cfg, "    registry: registry.csv\n    policy: policy.yaml\n  - name: RH",
			"    registry: registry.csv\n    policy: policy.yaml\n    vms:\n      type: milestone\n      url: "+vmsSrv.URL+"\n      credentials_file: vms.yaml\n  - name: RH", 1)
	})

	// The first scheduled scans run at start; wait them out. (h.idle
	// counts parked timers, and the flow sources keep timers of their own.)
	h.waitFor("the first scans", func() bool { return h.finishedScans("NOH") >= 1 && h.finishedScans("RH") >= 1 })
	out, err := net.Dial("udp", collector)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	now := time.Now()
	cam, rec := netip.MustParseAddrPort("10.20.8.11:554"), netip.MustParseAddrPort("10.20.30.40:50000")
	recs := []scantest.FlowRecord{
		{Src: rec, Dst: cam, Proto: 6, Bytes: 40_000, Packets: 600, Start: now.Add(-time.Minute), End: now},
		{Src: cam, Dst: rec, Proto: 6, Bytes: 50 << 20, Packets: 40_000, Start: now.Add(-time.Minute), End: now},
	}
	if _, err := out.Write(scantest.EncodeIPFIX(recs, scantest.ExportOptions{Now: now})); err != nil {
		t.Fatal(err)
	}

	// The datagram and the scan race on loopback; scan until the flows
	// are in (a real sensor sees them over the window anyway).
	var rep inventory.Report
	h.waitFor("a report judged on the exported flows", func() bool {
		id := h.startScan(t, "NOH")
		h.waitFor("scan finished", func() bool { return h.scan(id).Status != "running" })
		h.getJSON("/api/v1/sites/NOH/report", &rep)
		for _, f := range rep.Findings {
			if f.Kind == inventory.KindRecordedOutsideVMS {
				return true
			}
		}
		return false
	})
	want := map[string]string{
		"recorded_outside_vms/NOH/mac=e0:50:8b:3d:72:19/recorder=10.20.30.40": "10.20.8.11",
		"unapproved_recorder/NOH/ip=10.20.30.40":                              "10.20.30.40",
		"not_on_central_vms/NOH/mac=e0:50:8b:3d:72:19":                        "10.20.8.11",
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		if f.Kind == inventory.KindRecordedOutsideVMS || f.Kind == inventory.KindUnapprovedRecorder || f.Kind == inventory.KindNotOnCentralVMS {
			got[f.Key] = f.IP
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v (the Axis is in the VMS: no not_on_central_vms for it)", got, want)
	}
	o := rep.Observations
	if o == nil || o.VMSSource != "milestone" || o.VMSHardware != 1 || len(o.FlowSources) != 1 || o.FlowSources[0] != "netflow" {
		t.Errorf("observations %+v", o)
	}
	// The scan that judged the flows published the metrics after them.
	h.waitFor("flow metrics", func() bool {
		m := h.metrics()
		return strings.Contains(m, `camsweep_flow_records_total{format="ipfix"} 2`) &&
			strings.Contains(m, `camsweep_vms_hardware{site="NOH",source="milestone"} 1`) &&
			strings.Contains(m, `camsweep_flow_source{source="netflow"} 1`)
	})
	if n := fake.Requests("/API/IDP/connect/token"); n != 1 {
		t.Errorf("%d token requests for scans within the refresh, want 1 (the list is cached)", n)
	}
}
