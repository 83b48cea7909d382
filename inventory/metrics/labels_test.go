package metrics

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

func TestLabelValue(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "DS-2CD2143G2-I", "DS-2CD2143G2-I"},
		{"terminal escapes and an OSC 8 link", "\x1b[2J\x1b]8;;http://evil.example/\x1b\\DS-2CD\x1b]8;;\x1b\\", "[2J ]8;;http://evil.example/ \\DS-2CD ]8;; \\"},
		{"bidi override and zero-width space", "IPC\u202e\u200bHFW", "IPC HFW"},
		{"line breaks and tabs folded", "  Axis\r\n\tP3245  ", "Axis P3245"},
		{"invalid UTF-8 replaced", "Dahua\xff\xfe", "Dahua\uFFFD"},
		{"long, cut", strings.Repeat("A", 300), strings.Repeat("A", 128)},
		{"cut on a character boundary", strings.Repeat("ø", 100), strings.Repeat("ø", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := labelValue(tt.in); got != tt.want {
				t.Errorf("labelValue(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := labelValue(tt.in); len(got) > maxLabelBytes {
				t.Errorf("%d bytes, more than %d", len(got), maxLabelBytes)
			}
		})
	}
}

// TestHostileDeviceLabels: what a device says reaches the exposition
// bounded and clean, and two keys that clean to one value do not fail the
// scrape with a duplicate series.
func TestHostileDeviceLabels(t *testing.T) {
	model := "\x1b[2J" + strings.Repeat("X", 5000) + "\xff"
	rep := &inventory.Report{Site: "NOH",
		Devices: []inventory.Device{{IP: netip.MustParseAddr("10.20.8.9"), Class: evidence.Camera, Manufacturer: "Evil\x07Corp", Model: model}},
		Findings: []inventory.Finding{
			{Key: "unregistered_camera/NOH/serial=" + strings.Repeat("S", 200) + "1", Kind: inventory.KindUnregisteredCamera, Severity: inventory.SeverityCritical, Site: "NOH", IP: "10.20.8.9"},
			{Key: "unregistered_camera/NOH/serial=" + strings.Repeat("S", 200) + "2", Kind: inventory.KindUnregisteredCamera, Severity: inventory.SeverityCritical, Site: "NOH", IP: "10.20.8.9"},
		}}
	snap := Snapshot{Sites: []Site{{Name: "NOH", Report: rep}}}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(func() Snapshot { return snap }, "v"))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("the scrape failed: %v", err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if len(l.GetValue()) > maxLabelBytes || strings.ContainsAny(l.GetValue(), "\x1b\x07") {
					t.Errorf("%s{%s=%q}: not bounded or not clean", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
	want := `
# HELP camsweep_devices Devices in the latest complete scan.
# TYPE camsweep_devices gauge
camsweep_devices{class="camera",manufacturer="Evil Corp",site="NOH"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "camsweep_devices"); err != nil {
		t.Error(err)
	}
	if n, _ := testutil.GatherAndCount(reg, "camsweep_finding_info"); n != 1 {
		t.Errorf("%d finding_info series, want 1: the two keys clean to one value", n)
	}
}
