package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/camsweep/camsweep/cmd/camsweep/internal/sense"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

// TestWatchOutput: the same events as a table and as JSON lines.
func TestWatchOutput(t *testing.T) {
	fp, err := loadFingerprints(nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr("10.20.8.40")
	ev := sense.Event{Kind: sense.NewDevice, Addr: addr, MAC: "38:af:29:00:00:01", FirstHeard: time.Unix(1, 0), Heard: []string{"arp", "wsd"},
		Evidence: []evidence.Evidence{{Probe: "passive", Field: "mac", Value: "38:af:29:00:00:01"}}}
	dev := inventory.Device{IP: addr, MAC: "38:af:29:00:00:01", Class: evidence.Camera, Brand: "Dahua", Manufacturer: "Dahua", Model: "IPC-HDW2431T-AS-S2"}
	f := inventory.Finding{Key: "unregistered_camera/NOH/mac=38:af:29:00:00:01", Kind: inventory.KindUnregisteredCamera, Severity: inventory.SeverityCritical,
		IP: addr.String(), MAC: dev.MAC, Manufacturer: "Dahua", Detail: "Dahua IPC-HDW2431T-AS-S2 camera at 10.20.8.40 matches no registry row"}
	for _, table := range []bool{true, false} {
		var buf bytes.Buffer
		o := newWatchOutput(&buf, table, fp)
		o.event(ev)
		o.looked(sense.Target{Addr: addr, MAC: dev.MAC}, dev, []inventory.Finding{f})
		o.summary("eth1", sense.Stats{Frames: 12, DevicesFirstSeen: 1}, 0)
		out := buf.String()
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if table {
			if !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(out, "new_device") || !strings.Contains(out, "critical") ||
				!strings.Contains(out, "unregistered_camera: Dahua IPC-HDW2431T-AS-S2") || !strings.Contains(out, "1 devices (1 camera-like)") {
				t.Errorf("table:\n%s", out)
			}
			continue
		}
		var types []string
		for _, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("not JSON: %q", l)
			}
			types = append(types, m["type"].(string))
		}
		if strings.Join(types, ",") != "device,device,finding,summary" {
			t.Errorf("JSON line types %v", types)
		}
		if !strings.Contains(lines[3], `"cameras":1`) || !strings.Contains(lines[3], `"worst_severity":"critical"`) {
			t.Errorf("summary %s", lines[3])
		}
	}
}

// TestWatchOutputBounded: a flood of new MACs grows the summary's device
// table only to the bound, and the summary still counts every device and
// finding.
func TestWatchOutputBounded(t *testing.T) {
	fp, err := loadFingerprints(nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	o := newWatchOutput(&buf, false, fp)
	flood := watchMaxDevices + 500
	for i := range flood {
		mac := fmt.Sprintf("02:00:%02x:%02x:%02x:00", i>>16&0xff, i>>8&0xff, i&0xff)
		o.print(watchLine{Type: "device", Event: sense.NewDevice, MAC: mac})
		o.print(watchLine{Type: "finding", MAC: mac, Finding: &inventory.Finding{Kind: inventory.KindUnregisteredCamera, Severity: inventory.SeverityHigh}})
	}
	if len(o.devices) > watchMaxDevices {
		t.Errorf("device table holds %d, bound %d", len(o.devices), watchMaxDevices)
	}
	buf.Reset()
	o.summary("eth1", sense.Stats{}, 0)
	var sum map[string]any
	if err := json.Unmarshal(buf.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	if sum["devices"] != float64(flood) || sum["findings"] != float64(flood) || sum["worst_severity"] != "high" {
		t.Errorf("summary %v, want %d devices and findings, worst high", sum, flood)
	}
	if sev, ok := o.worstSeverity(); !ok || sev != inventory.SeverityHigh {
		t.Errorf("worst severity %v %v", sev, ok)
	}
}
