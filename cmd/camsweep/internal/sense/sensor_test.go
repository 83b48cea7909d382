package sense

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camsweep/camsweep/inventory/store"
	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/link"
)

var (
	scope  = netip.MustParsePrefix("10.20.8.0/22")
	camIP  = netip.MustParseAddr("10.20.8.40")
	camMAC = "38:af:29:00:00:01"
	t0     = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
)

func heard(addr netip.Addr, mac, proto string) link.Heard {
	h := link.Heard{Sighting: scanner.Sighting{Addr: addr, MAC: mac}, Proto: proto, At: t0}
	if mac != "" {
		h.Evidence = append(h.Evidence, evidence.Evidence{Probe: "passive", Field: "mac", Value: mac})
	} else {
		h.Routed = true
	}
	h.Evidence = append(h.Evidence, evidence.Evidence{Probe: "passive", Field: "passive.heard", Value: proto})
	return h
}

// fakeHistory is a History in memory.
type fakeHistory struct {
	mu      sync.Mutex
	macs    map[string]bool
	addrMAC map[netip.Addr]string
	rows    []store.HeardRow
	lookups int
}

func newFakeHistory() *fakeHistory {
	return &fakeHistory{macs: map[string]bool{}, addrMAC: map[netip.Addr]string{}}
}

func (f *fakeHistory) LookupKnown(_ context.Context, _ string, macs []string, addrs []netip.Addr) (store.Known, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	k := store.Known{MACs: map[string]bool{}, Addrs: map[netip.Addr]bool{}, AddrMAC: map[netip.Addr]string{}}
	for _, m := range macs {
		k.MACs[m] = f.macs[m]
	}
	for _, a := range addrs {
		if m, ok := f.addrMAC[a]; ok {
			k.Addrs[a], k.AddrMAC[a] = true, m
		}
	}
	return k, nil
}

func (f *fakeHistory) RecordHeard(_ context.Context, _ string, rows []store.HeardRow) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rows = append(f.rows, rows...)
	for _, r := range rows {
		if r.MAC != "" {
			f.macs[r.MAC] = true
		}
		if r.Addr.IsValid() {
			f.addrMAC[r.Addr] = r.MAC
		}
	}
	return nil
}

func (f *fakeHistory) TrimHeard(context.Context, string, int) (int64, error) { return 0, nil }

// recorder collects events and probes.
type recorder struct {
	mu     sync.Mutex
	events []Event
	probes []Target
	got    chan struct{}
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 1024)} }

func (r *recorder) onEvent(ev Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	r.got <- struct{}{}
}

func (r *recorder) probe(_ context.Context, t Target) error {
	r.mu.Lock()
	r.probes = append(r.probes, t)
	r.mu.Unlock()
	r.got <- struct{}{}
	return nil
}

// waitFor waits for n events or probes in all, or fails after a while.
func (r *recorder) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		have := len(r.events) + len(r.probes)
		r.mu.Unlock()
		if have >= n {
			return
		}
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("waited for %d events and probes, have %d", n, have)
		}
	}
}

func (r *recorder) snapshot() ([]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var evs, probes []string
	for _, e := range r.events {
		evs = append(evs, fmt.Sprintf("%s %s %s prev=%s", e.Kind, e.Addr, e.MAC, e.PrevMAC))
	}
	for _, p := range r.probes {
		probes = append(probes, fmt.Sprintf("%s %s %s", p.Reason, p.Addr, p.MAC))
	}
	return evs, probes
}

func start(t *testing.T, opts Options) (*Sensor, *recorder) {
	t.Helper()
	rec := newRecorder()
	opts.Site = "NOH"
	opts.InScope = scope.Contains
	opts.OnEvent = rec.onEvent
	if opts.Probe == nil {
		opts.Probe = rec.probe
	}
	s := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, rec
}

func TestSensorEvents(t *testing.T) {
	other := "bc:32:5f:00:00:02"
	tests := []struct {
		name       string
		history    map[string]string // MAC -> address the history knows it at ("" for MAC only)
		heard      []link.Heard
		wantEvents []string
		wantProbes []string
	}{
		{
			name:       "a MAC never heard is a new device, looked at once however often it speaks",
			heard:      []link.Heard{heard(camIP, camMAC, "arp"), heard(camIP, camMAC, "wsd"), heard(camIP, camMAC, "arp")},
			wantEvents: []string{"new_device 10.20.8.40 38:af:29:00:00:01 prev="},
			wantProbes: []string{"new_device 10.20.8.40 38:af:29:00:00:01"},
		},
		{
			name:    "a MAC the history knows at its address is nothing new",
			history: map[string]string{camMAC: "10.20.8.40"},
			heard:   []link.Heard{heard(camIP, camMAC, "arp")},
		},
		{
			name:       "a new MAC at an address the history knows with another is new, with the old MAC",
			history:    map[string]string{other: "10.20.8.40"},
			heard:      []link.Heard{heard(camIP, camMAC, "arp")},
			wantEvents: []string{"new_device 10.20.8.40 38:af:29:00:00:01 prev=bc:32:5f:00:00:02"},
			wantProbes: []string{"new_device 10.20.8.40 38:af:29:00:00:01"},
		},
		{
			name:       "a known MAC at an address the history knows with another: the address changed MAC",
			history:    map[string]string{other: "10.20.8.40", camMAC: "10.20.9.7"},
			heard:      []link.Heard{heard(camIP, camMAC, "arp")},
			wantEvents: []string{"mac_changed 10.20.8.40 38:af:29:00:00:01 prev=bc:32:5f:00:00:02"},
			wantProbes: []string{"mac_changed 10.20.8.40 38:af:29:00:00:01"},
		},
		{
			name:  "out of the site's scope: ignored",
			heard: []link.Heard{heard(netip.MustParseAddr("10.99.0.1"), camMAC, "arp")},
		},
		{
			name: "a factory default on this link, out of scope, is kept",
			heard: []link.Heard{func() link.Heard {
				h := heard(netip.MustParseAddr("192.168.1.64"), camMAC, "arp")
				h.Foreign = true
				return h
			}()},
			wantEvents: []string{"new_device 192.168.1.64 38:af:29:00:00:01 prev="},
			wantProbes: []string{"new_device 192.168.1.64 38:af:29:00:00:01"},
		},
		{
			name:       "heard only through a router: new by its address",
			heard:      []link.Heard{heard(netip.MustParseAddr("10.20.10.5"), "", "tcp")},
			wantEvents: []string{"new_device 10.20.10.5  prev="},
			wantProbes: []string{"new_device 10.20.10.5 "},
		},
		{
			name:       "a DHCP client before its address: new at once, looked at once it has one",
			heard:      []link.Heard{heard(netip.Addr{}, camMAC, "dhcp"), heard(camIP, camMAC, "dhcp")},
			wantEvents: []string{"new_device invalid IP 38:af:29:00:00:01 prev="},
			wantProbes: []string{"new_device 10.20.8.40 38:af:29:00:00:01"},
		},
		{
			name:  "an excluded OUI: recorded, never an event",
			heard: []link.Heard{heard(camIP, "00:09:fb:00:00:01", "arp")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hist := newFakeHistory()
			for mac, a := range tt.history {
				hist.macs[mac] = true
				if a != "" {
					hist.addrMAC[netip.MustParseAddr(a)] = mac
				}
			}
			s, rec := start(t, Options{History: hist, ExcludedMAC: func(m string) bool { return strings.HasPrefix(m, "00:09:fb") }})
			for _, h := range tt.heard {
				s.Heard(h)
				time.Sleep(20 * time.Millisecond) // one at a time, as frames come
			}
			rec.waitFor(t, len(tt.wantEvents)+len(tt.wantProbes))
			// Give a wrong extra event or probe the chance to show.
			time.Sleep(100 * time.Millisecond)
			evs, probes := rec.snapshot()
			if !slices.Equal(evs, tt.wantEvents) {
				t.Errorf("events %q, want %q", evs, tt.wantEvents)
			}
			if !slices.Equal(probes, tt.wantProbes) {
				t.Errorf("probes %q, want %q", probes, tt.wantProbes)
			}
		})
	}
}

// TestSensorMACTakesKnownAddress: two hosts both known, one takes the
// other's address: seen in memory, without the history.
func TestSensorMACTakesKnownAddress(t *testing.T) {
	s, rec := start(t, Options{})
	other := "bc:32:5f:00:00:02"
	s.Heard(heard(camIP, camMAC, "arp"))
	s.Heard(heard(netip.MustParseAddr("10.20.8.41"), other, "arp"))
	rec.waitFor(t, 4) // two new devices, two probes
	s.Heard(heard(camIP, other, "arp"))
	rec.waitFor(t, 6)
	evs, probes := rec.snapshot()
	if evs[len(evs)-1] != "mac_changed 10.20.8.40 bc:32:5f:00:00:02 prev=38:af:29:00:00:01" || probes[len(probes)-1] != "mac_changed 10.20.8.40 bc:32:5f:00:00:02" {
		t.Errorf("events %q probes %q", evs, probes)
	}
}

func TestSensorFlushesFirstAndLastSeen(t *testing.T) {
	hist := newFakeHistory()
	s, rec := start(t, Options{History: hist, FlushEvery: 20 * time.Millisecond})
	second := netip.MustParseAddr("10.20.8.41")
	h1 := heard(camIP, camMAC, "arp")
	h2 := heard(camIP, camMAC, "wsd")
	h2.At = t0.Add(time.Minute)
	h3 := heard(second, camMAC, "arp")
	h3.At = t0.Add(2 * time.Minute)
	for _, h := range []link.Heard{h1, h2, h3} {
		s.Heard(h)
	}
	rec.waitFor(t, 2)
	deadline := time.Now().Add(5 * time.Second)
	for {
		hist.mu.Lock()
		last := map[netip.Addr]store.HeardRow{}
		for _, r := range hist.rows {
			last[r.Addr] = r
		}
		hist.mu.Unlock()
		a, b := last[camIP], last[second]
		if a.LastSeen.Equal(t0.Add(time.Minute)) && b.LastSeen.Equal(t0.Add(2*time.Minute)) {
			if !a.FirstSeen.Equal(t0) || !b.FirstSeen.Equal(t0.Add(2*time.Minute)) || !slices.Equal(a.Heard, []string{"arp", "wsd"}) {
				t.Errorf("rows %+v %+v", a, b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rows flushed: %+v", last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSensorBudget: a flood of new devices gets at most the budget of
// looks in any window, the rest are refused and counted, and a camera
// that arrives while the queue is full of other hosts is looked at.
func TestSensorBudget(t *testing.T) {
	const budget = 5
	var (
		mu     sync.Mutex
		starts []time.Time
		addrs  []netip.Addr
	)
	probe := func(ctx context.Context, t Target) error {
		mu.Lock()
		starts = append(starts, time.Now())
		addrs = append(addrs, t.Addr)
		mu.Unlock()
		return nil
	}
	cameraLike := func(ev []evidence.Evidence) bool {
		return slices.ContainsFunc(ev, func(e evidence.Evidence) bool { return e.Field == "wsd.types" })
	}
	s := New(Options{Site: "NOH", InScope: scope.Contains, ProbeBudget: budget, Probe: probe, CameraLike: cameraLike})
	const window = 400 * time.Millisecond
	s.trig.window = window
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	const flood = 300
	for i := range flood {
		a := netip.AddrFrom4([4]byte{10, 20, 9, byte(i)})
		if i >= 256 {
			a = netip.AddrFrom4([4]byte{10, 20, 10, byte(i)})
		}
		s.Heard(heard(a, fmt.Sprintf("02:00:00:00:%02x:%02x", i>>8, i&0xff), "arp"))
	}
	// The camera is heard first by ARP alone, which says nothing of a
	// camera: refused with the flood. Its Hello then ranks it first.
	time.Sleep(50 * time.Millisecond)
	s.Heard(heard(camIP, camMAC, "arp"))
	time.Sleep(50 * time.Millisecond)
	cam := heard(camIP, camMAC, "wsd")
	cam.Evidence = append(cam.Evidence, evidence.Evidence{Probe: "passive", Field: "wsd.types", Value: "dn:NetworkVideoTransmitter"})
	s.Heard(cam)
	time.Sleep(3 * window)

	mu.Lock()
	defer mu.Unlock()
	for i := range starts {
		n := 0
		for j := i; j < len(starts) && starts[j].Sub(starts[i]) < window; j++ {
			n++
		}
		if n > budget {
			t.Fatalf("%d looks within one window from look %d, budget %d", n, i, budget)
		}
	}
	if !slices.Contains(addrs, camIP) {
		t.Errorf("the camera was not looked at; looks: %v", addrs)
	}
	st := s.Stats()
	if st.Probes.Refused == 0 || st.Probes.Run != uint64(len(starts)) || st.DevicesFirstSeen != flood+1 {
		t.Errorf("stats %+v, %d looks", st, len(starts))
	}
	t.Logf("%d new devices: %d looked at in %v (budget %d per %v), %d refused", flood+1, len(starts), 3*window, budget, window, st.Probes.Refused)
}

// TestSensorBoundedMemory: a flood of MACs holds at most MaxHosts.
func TestSensorBoundedMemory(t *testing.T) {
	s := New(Options{Site: "NOH", InScope: scope.Contains, MaxHosts: 100})
	for i := range 10000 {
		s.Heard(heard(netip.AddrFrom4([4]byte{10, 20, 8 + byte(i>>8&3), byte(i)}), fmt.Sprintf("02:00:00:00:%02x:%02x", i>>8, i&0xff), "arp"))
		if st := s.Stats(); st.Hosts > 100 {
			t.Fatalf("%d hosts held after %d", st.Hosts, i)
		}
	}
	if st := s.Stats(); st.Evicted != 9900 || len(s.addrIdx) > 100*maxHostAddrs {
		t.Errorf("stats %+v, address index %d", st, len(s.addrIdx))
	}
}

// TestSensorBoundedAddressesPerMAC: one MAC claiming a new address in
// every frame (a gratuitous ARP for each address of another subnet, which
// the listener keeps as a factory-default host) holds the addresses it
// keeps, not every one it ever claimed.
func TestSensorBoundedAddressesPerMAC(t *testing.T) {
	s := New(Options{Site: "NOH", InScope: scope.Contains, MaxHosts: 100})
	for i := range 10000 {
		h := heard(netip.AddrFrom4([4]byte{192, 168, byte(i >> 8), byte(i)}), camMAC, "arp")
		h.Foreign = true
		s.Heard(h)
	}
	if st := s.Stats(); st.Hosts != 1 || len(s.addrIdx) > maxHostAddrs {
		t.Errorf("%d hosts, address index %d: want 1 host indexed at its last %d addresses", st.Hosts, len(s.addrIdx), maxHostAddrs)
	}
}

// TestSensorCheckQueueFlood: when a flood of new MACs fills the queue for
// the history, a camera-like host still gets in ahead of it.
func TestSensorCheckQueueFlood(t *testing.T) {
	cameraLike := func(ev []evidence.Evidence) bool {
		return slices.ContainsFunc(ev, func(e evidence.Evidence) bool { return e.Field == "wsd.types" })
	}
	s := New(Options{Site: "NOH", InScope: scope.Contains, CameraLike: cameraLike})
	// Not running: nothing drains the queue.
	for i := range checkQueue + 10 {
		s.Heard(heard(netip.AddrFrom4([4]byte{10, 20, 8 + byte(i>>8&3), byte(i)}), fmt.Sprintf("02:00:00:00:%02x:%02x", i>>8, i&0xff), "arp"))
	}
	cam := heard(camIP, camMAC, "wsd")
	cam.Evidence = append(cam.Evidence, evidence.Evidence{Probe: "passive", Field: "wsd.types", Value: "dn:NetworkVideoTransmitter"})
	s.Heard(cam)
	if st := s.Stats(); st.CheckDropped != 10 || len(s.urgent) != 1 || <-s.urgent != camMAC {
		t.Errorf("dropped %d, urgent %d: want the 10 beyond the queue dropped and the camera queued first", st.CheckDropped, len(s.urgent))
	}
}
