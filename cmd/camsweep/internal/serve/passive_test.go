package serve

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/cmd/camsweep/internal/sense"
	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/store"
	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/link"
)

// fakeLink plays a site's link: what a test sends on it is heard. RH has
// no link (its scope is routed), so listening there is off by default.
type fakeLink struct {
	heard chan link.Heard
	mu    sync.Mutex
	looks []sense.Target
	// more are other devices a look identifies, by MAC.
	more map[string]inventory.Device
}

func newFakeLink() *fakeLink { return &fakeLink{heard: make(chan link.Heard, 64)} }

func (f *fakeLink) listen(ctx context.Context, site Site, _ zerolog.Logger, listening func(Listening), heard func(link.Heard)) error {
	if site.Name != "NOH" {
		return fmt.Errorf("fake: %w", ErrNoLink)
	}
	listening(Listening{Interface: "lab0"})
	for {
		select {
		case <-ctx.Done():
			return nil
		case h := <-f.heard:
			heard(h)
		}
	}
}

// look identifies the host from what was heard: the test's Dahua and LTS
// cameras by their MACs.
func (f *fakeLink) look(_ context.Context, _ Site, t sense.Target, _ zerolog.Logger) (inventory.Device, error) {
	f.mu.Lock()
	f.looks = append(f.looks, t)
	known := []inventory.Device{nohDahua, rhLTS}
	for _, d := range f.more {
		known = append(known, d)
	}
	f.mu.Unlock()
	for _, d := range known {
		if d.MAC == t.MAC {
			d.IP = t.Addr
			d.Evidence = append(d.Evidence, t.Evidence...)
			return d, nil
		}
	}
	return inventory.Device{IP: t.Addr, MAC: t.MAC, Class: evidence.Unknown, Evidence: t.Evidence}, nil
}

func (f *fakeLink) announce(addr netip.Addr, mac string) {
	f.heard <- link.Heard{Sighting: scanner.Sighting{Addr: addr, MAC: mac,
		Evidence: []evidence.Evidence{{Probe: "passive", Field: "mac", Value: mac}, {Probe: "passive", Field: "passive.heard", Value: "arp"}}},
		Proto: link.HeardARP, At: time.Now()}
}

// TestPassiveDetection: a camera heard while the daemon runs is looked at
// at once and its finding published (metrics and history) without a
// sweep; a complete sweep that began after the look judges it; a camera
// heard while a sweep runs is looked at once the sweep ends, and that
// sweep does not resolve it.
func TestPassiveDetection(t *testing.T) {
	fl := newFakeLink()
	sweep := newFakeSweep()
	h := startHarnessOpts(t, "", sweep, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel),
		WithPassive(Passive{Listen: fl.listen, Look: fl.look}))
	h.waitFor("NOH listening", func() bool { return strings.Contains(h.metrics(), `camsweep_passive_listening{site="NOH"} 1`) })
	h.idle() // the first scheduled sweeps are done
	if m := h.metrics(); strings.Contains(m, `camsweep_passive_listening{site="RH"}`) {
		t.Errorf("RH has no link and listens by default only where it has one, yet exports a listener")
	}
	dahuaInfo := `camsweep_unregistered_camera_info{brand="Dahua",ip="10.20.8.11",mac="e0:50:8b:3d:72:19"`
	dahuaKey := "unregistered_camera/NOH/mac=e0:50:8b:3d:72:19"

	fl.announce(nohDahua.IP, nohDahua.MAC)
	h.waitFor("the Dahua's alert series", func() bool { return strings.Contains(h.metrics(), dahuaInfo) })
	for _, want := range []string{
		`camsweep_devices_first_seen_total{site="NOH"} 1`,
		`camsweep_triggered_probes_total{outcome="ok",site="NOH"} 1`,
		`camsweep_detection_seconds_count{site="NOH"} 1`,
		`camsweep_finding_first_seen_timestamp_seconds{key="` + dahuaKey + `",kind="unregistered_camera",severity="critical",site="NOH"}`,
	} {
		h.waitFor(want, func() bool { return strings.Contains(h.metrics(), want) })
	}
	var sites struct {
		Sites []siteJSON `json:"sites"`
	}
	h.getJSON("/api/v1/sites", &sites)
	for _, s := range sites.Sites {
		switch {
		case s.Name == "NOH" && (s.Passive == nil || !s.Passive.Listening || s.Passive.Interface != "lab0" || s.Passive.DevicesFirstSeen != 1):
			t.Errorf("NOH's listener in /api/v1/sites: %+v", s.Passive)
		case s.Name == "RH" && s.Passive != nil:
			t.Errorf("RH has no listener, yet /api/v1/sites shows %+v", s.Passive)
		}
	}
	if res, body := h.do("GET", "/", ""); res == nil || !strings.Contains(string(body), "on lab0") {
		t.Errorf("the status page does not say NOH listens on lab0")
	}
	var open struct {
		Findings []store.FindingRecord `json:"findings"`
	}
	h.getJSON("/api/v1/findings?site=NOH", &open)
	if len(open.Findings) == 0 || open.Findings[0].Key != dahuaKey {
		t.Fatalf("open findings %+v, want the Dahua's", open.Findings)
	}
	// Heard again: not looked at again.
	fl.announce(nohDahua.IP, nohDahua.MAC)
	// The site's report stays the latest complete sweep's: a look is not
	// a sweep.
	if res, body := h.do("GET", "/api/v1/sites/NOH/report", testToken); res != nil && res.StatusCode == 200 && strings.Contains(string(body), nohDahua.MAC) {
		t.Errorf("the latest sweep's report holds the Dahua only a look saw")
	}
	var heard struct {
		Heard []store.HeardRow `json:"heard"`
	}
	h.waitFor("heard rows", func() bool {
		h.getJSON("/api/v1/sites/NOH/heard", &heard)
		return len(heard.Heard) == 1
	})
	if r := heard.Heard[0]; r.MAC != nohDahua.MAC || r.Addr != nohDahua.IP || r.FirstSeen.IsZero() {
		t.Errorf("heard row %+v", r)
	}

	// A complete sweep begun after the look, without the Dahua: it judges.
	h.idle()
	h.clock.Advance(time.Minute)
	id := h.startScan(t, "NOH")
	h.waitFor("sweep recorded", func() bool { return h.scan(id).Status == store.StatusOK })
	h.waitFor("the Dahua judged gone by the sweep", func() bool { return !strings.Contains(h.metrics(), dahuaInfo) })

	// A camera heard during a sweep waits for it, and outlives it.
	h.idle()
	gate := sweep.gate("NOH")
	started := make(chan string, 4)
	sweep.mu.Lock()
	sweep.started = started
	sweep.mu.Unlock()
	id = h.startScan(t, "NOH")
	if site := <-started; site != "NOH" {
		t.Fatalf("sweep of %s started", site)
	}
	h.clock.Advance(time.Minute)
	lts := netip.MustParseAddr("10.20.8.40")
	fl.announce(lts, rhLTS.MAC)
	ltsInfo := `camsweep_unregistered_camera_info{brand="LTS",ip="10.20.8.40"`
	time.Sleep(300 * time.Millisecond)
	fl.mu.Lock()
	looked := len(fl.looks)
	fl.mu.Unlock()
	if looked != 1 {
		t.Errorf("%d looks while a sweep ran, want the first one only: a look waits for the sweep", looked)
	}
	sweep.ungate("NOH")
	_ = gate
	h.waitFor("sweep recorded", func() bool { return h.scan(id).Status == store.StatusOK })
	h.waitFor("the LTS looked at after the sweep", func() bool { return strings.Contains(h.metrics(), ltsInfo) })
	h.getJSON("/api/v1/findings?site=NOH", &open)
	var keys []string
	for _, f := range open.Findings {
		keys = append(keys, f.Key)
	}
	if !slices.Contains(keys, "unregistered_camera/NOH/mac=44:19:b6:00:00:40") || slices.Contains(keys, dahuaKey) {
		t.Errorf("open findings %q: want the LTS's open (the sweep ran before its look) and the Dahua's resolved", keys)
	}
}

// TestSweptSince: a look waiting while a sweep ran is skipped when that
// sweep began after the host was first heard and reported it.
func TestSweptSince(t *testing.T) {
	heard := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	rep := &inventory.Report{Started: heard.Add(time.Second), Devices: []inventory.Device{nohDahua}}
	tests := []struct {
		name   string
		report *inventory.Report
		target sense.Target
		want   bool
	}{
		{"reported by a later sweep", rep, sense.Target{MAC: nohDahua.MAC, Addr: nohDahua.IP, FirstHeard: heard}, true},
		{"heard after the sweep began", rep, sense.Target{MAC: nohDahua.MAC, Addr: nohDahua.IP, FirstHeard: heard.Add(time.Minute)}, false},
		{"not in the sweep's report", rep, sense.Target{MAC: rhLTS.MAC, Addr: rhLTS.IP, FirstHeard: heard}, false},
		{"no complete sweep yet", nil, sense.Target{MAC: nohDahua.MAC, FirstHeard: heard}, false},
	}
	for _, tt := range tests {
		ss := &siteState{report: tt.report}
		if got := ss.sweptSinceLocked(tt.target); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
