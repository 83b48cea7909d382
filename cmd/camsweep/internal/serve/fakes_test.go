package serve

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/scanner/evidence"
)

// fakeClock is a Clock that moves only when told to.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       chan time.Time
	at      time.Time
	stopped bool
	clock   *fakeClock
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: make(chan time.Time, 1), at: c.now.Add(d), clock: c}
	if d <= 0 {
		t.c <- c.now
		t.stopped = true
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock and fires every timer that came due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.c <- c.now
			t.stopped = true
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

// pending counts armed timers: a parked scheduler loop has one.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// fakeSweep returns canned reports per site. A site with a gate blocks
// until the gate is closed or the scan is cancelled; cancelled sweeps
// return a partial report, as the real one does.
type fakeSweep struct {
	mu    sync.Mutex
	calls map[string]int
	gates map[string]chan struct{}
	// started receives the site name when a sweep begins (if set).
	started chan string
	devs    map[string][]inventory.Device
	errs    map[string]error
	// delay makes every sweep take a while, so that scans overlap with
	// whatever else a test does.
	delay time.Duration
	// stubborn sweeps ignore cancellation while gated, like a probe stuck
	// past its deadline.
	stubborn bool
}

func newFakeSweep() *fakeSweep {
	return &fakeSweep{calls: map[string]int{}, gates: map[string]chan struct{}{}, devs: map[string][]inventory.Device{}, errs: map[string]error{}}
}

func (f *fakeSweep) gate(site string) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := make(chan struct{})
	f.gates[site] = g
	return g
}

func (f *fakeSweep) ungate(site string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g := f.gates[site]; g != nil {
		close(g)
		delete(f.gates, site)
	}
}

func (f *fakeSweep) sweep(ctx context.Context, site Site, _ zerolog.Logger) (*inventory.Report, error) {
	f.mu.Lock()
	f.calls[site.Name]++
	g, started, err, delay, stubborn := f.gates[site.Name], f.started, f.errs[site.Name], f.delay, f.stubborn
	devs := append([]inventory.Device(nil), f.devs[site.Name]...)
	f.mu.Unlock()
	if started != nil {
		started <- site.Name
	}
	rep := &inventory.Report{
		Schema: inventory.ReportSchema, Site: site.Name, Started: time.Now().UTC(),
		Scope: inventory.ScopeSummary{Targets: site.Scope.Targets, Profile: site.Profile},
		Stats: inventory.Stats{Live: len(devs), ProbeErrors: map[string]int{"onvif": 1}},
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			rep.Incomplete = true
			return rep, ctx.Err()
		}
	}
	if g != nil && stubborn {
		<-g
	}
	if g != nil {
		select {
		case <-g:
		case <-ctx.Done():
			rep.Devices = devs[:len(devs)/2]
			rep.Incomplete = true
			return rep, ctx.Err()
		}
	}
	rep.Devices = devs
	rep.Finished = time.Now().UTC()
	return rep, err
}

// Test devices: an unregistered Dahua at NOH (the seven-cameras case), a
// registered Axis at NOH, an unregistered white-label Hikvision at RH.
var (
	nohDahua = inventory.Device{IP: netip.MustParseAddr("10.20.8.11"), MAC: "e0:50:8b:3d:72:19", Class: evidence.Camera,
		Brand: "Dahua", Manufacturer: "Dahua", Model: "IPC-HDW2431T-AS-S2", Serial: "6G0B2D7PAJ4E1C9", Confidence: 0.95,
		Evidence: []evidence.Evidence{
			{Probe: "http", Field: "http.server", Value: "Webs"},
			{Probe: "dhip", Field: "dhip.model", Value: "IPC-HDW2431T-AS-S2"},
		}}
	nohAxis = inventory.Device{IP: netip.MustParseAddr("10.20.8.20"), MAC: "ac:cc:8e:00:00:20", Class: evidence.Camera,
		Brand: "Axis", Manufacturer: "Axis", Model: "P3245-V", Serial: "ACCC8E000020", Confidence: 0.9}
	// Behind a router: its MAC and its switch port came from the network.
	rhLTS = inventory.Device{IP: netip.MustParseAddr("10.30.8.40"), MAC: "44:19:b6:00:00:40", Class: evidence.Camera,
		Brand: "LTS", Manufacturer: "Hikvision", Model: "CMIP3042", Confidence: 0.9, MACSource: "snmp router rh-core1",
		Location: &evidence.Location{Switch: "rh-a2-asw01", Port: "Gi1/0/7", PortDescription: "Opgang B, 2. sal", VLAN: 130, Source: "snmp dot1qTpFdbTable"}}
)

const testRegistry = `id,site,building,location,ip,mac,serial,vendor,model,category,owner,vms,dispensation_id
NOH-CAM-0020,NOH,Bygning 1,Indgang,10.20.8.20,ac:cc:8e:00:00:20,ACCC8E000020,Axis,P3245-V,facility,CEJ,milestone,
`

// registryWithDahua registers the NOH Dahua too (the fix for the finding).
const registryWithDahua = testRegistry + `NOH-CAM-0011,NOH,Bygning 5,Gang,10.20.8.11,e0:50:8b:3d:72:19,6G0B2D7PAJ4E1C9,Dahua,IPC-HDW2431T-AS-S2,facility,CEJ,milestone,
`

const testPolicy = `banned_manufacturers: [Hikvision, Dahua]
expiry_warning_days: 30
dispensations:
  - id: DISP-HIK-70
    manufacturer: Hikvision
    owner: CIMT
    reason: clinical cameras
    expires: 2026-08-18
    max_cameras: 70
sites:
  NOH:
    camera_segments: [10.20.8.0/22]
`

func testConfig(extra string) string {
	return `listen: 127.0.0.1:0
api_tokens_file: tokens
history:
  path: history.db
  retention: 720h
shutdown_timeout: 10s
` + extra + `sites:
  - name: NOH
    scope:
      targets: [10.20.8.0/22]
      exclude: [10.20.9.0/24]
    schedule:
      interval: 1h
    registry: registry.csv
    policy: policy.yaml
  - name: RH
    scope:
      targets: [10.30.8.0/23]
    schedule:
      interval: 2h
    registry: registry.csv
    policy: policy.yaml
`
}
