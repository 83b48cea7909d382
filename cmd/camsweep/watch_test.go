package main

import (
	"bytes"
	"encoding/json"
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
		o := &watchOutput{w: &buf, table: table, fp: fp, started: time.Now(), devices: map[string]string{}}
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
