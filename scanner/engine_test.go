package scanner

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/rs/zerolog"
)

// countingListener accepts on one loopback address and records how many
// connections it saw and the most it saw at once.
type countingListener struct {
	ln       net.Listener
	accepted atomic.Int64
	open     atomic.Int64
	maxOpen  atomic.Int64
	hold     time.Duration
	wg       sync.WaitGroup
}

// listenCountingPorts opens n counting listeners on host, each on its own
// port, and returns them with their ports as port specs.
func listenCountingPorts(t *testing.T, host string, n int) (lns []*countingListener, specs []string) {
	t.Helper()
	for range n {
		l := listenCounting(t, host+":0", 0)
		lns = append(lns, l)
		specs = append(specs, strconv.Itoa(l.ln.Addr().(*net.TCPAddr).Port))
	}
	return lns, specs
}

// acceptedAtLeast sums the connections lns accepted, waiting up to a second
// for the sum to reach want: Accept runs on the listeners' goroutines and
// may trail the dialer that already counted the connection.
func acceptedAtLeast(want int64, lns ...*countingListener) int64 {
	for deadline := time.Now().Add(time.Second); ; time.Sleep(5 * time.Millisecond) {
		var sum int64
		for _, l := range lns {
			sum += l.accepted.Load()
		}
		if sum >= want || time.Now().After(deadline) {
			return sum
		}
	}
}

func listenCounting(t *testing.T, addr string, hold time.Duration) *countingListener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	c := &countingListener{ln: ln, hold: hold}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.accepted.Add(1)
			n := c.open.Add(1)
			for {
				m := c.maxOpen.Load()
				if n <= m || c.maxOpen.CompareAndSwap(m, n) {
					break
				}
			}
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				time.Sleep(c.hold)
				c.open.Add(-1)
				conn.Close()
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); c.wg.Wait() })
	return c
}

// fakeProber dials every open port twice at once, to test that the engine's
// dialer serialises connections to one host, and emits what it reached.
type fakeProber struct {
	name    string
	calls   atomic.Int64
	block   bool
	open    atomic.Int64
	maxOpen atomic.Int64
}

func (p *fakeProber) Name() string { return p.name }

func (p *fakeProber) Probe(ctx context.Context, t Target, emit Emit) error {
	p.calls.Add(1)
	if p.block {
		<-ctx.Done()
		return ctx.Err()
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, port := range t.Ports {
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := t.Dialer.DialContext(ctx, "tcp", net.JoinHostPort(t.Addr.String(), strconv.Itoa(int(port.Number))))
				if err != nil {
					return
				}
				n := p.open.Add(1)
				mu.Lock()
				p.maxOpen.Store(max(p.maxOpen.Load(), n))
				p.open.Add(-1)
				c.Close()
				emit(evidence.Evidence{Probe: p.name, Field: "fake.reached", Value: strconv.Itoa(int(port.Number))})
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	return nil
}

func sweepAll(t *testing.T, ctx context.Context, scope *Scope, opts Options) (map[netip.Addr]HostResult, SweepStats, error) {
	t.Helper()
	got := map[netip.Addr]HostResult{}
	opts.Log = zerolog.Nop()
	stats, err := Sweep(ctx, scope, opts, func(r HostResult) { got[r.Addr] = r })
	return got, stats, err
}

func TestSweepFindsOpenHostsAndHonoursExclusions(t *testing.T) {
	first := listenCounting(t, "127.66.0.2:0", 20*time.Millisecond)
	port := first.ln.Addr().(*net.TCPAddr).Port
	second := listenCounting(t, "127.66.0.3:"+strconv.Itoa(port), 20*time.Millisecond)
	excluded := listenCounting(t, "127.66.0.4:"+strconv.Itoa(port), 0)

	scope, err := NewScope([]string{"127.66.0.1-127.66.0.6"}, []string{"127.66.0.4"}, false)
	if err != nil {
		t.Fatal(err)
	}
	ports, _ := ParsePorts([]string{strconv.Itoa(port) + "/http"})
	prober := &fakeProber{name: "fake"}
	cameraOnly := &fakeProber{name: "camera-only"}
	got, stats, err := sweepAll(t, context.Background(), scope, Options{
		Ports: ports, Rate: 1000, Probers: []Prober{prober}, CameraProbers: []Prober{cameraOnly},
		Triage: func(ev []evidence.Evidence) bool { return false },
	})
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for a := range got {
		addrs = append(addrs, a.String())
	}
	slices.Sort(addrs)
	if want := []string{"127.66.0.2", "127.66.0.3"}; !slices.Equal(addrs, want) {
		t.Fatalf("live hosts = %v, want %v", addrs, want)
	}
	if n := excluded.accepted.Load(); n != 0 {
		t.Errorf("excluded host received %d connections", n)
	}
	if acceptedAtLeast(1, first) == 0 || acceptedAtLeast(1, second) == 0 {
		t.Errorf("live hosts were not connected to")
	}
	if m := prober.maxOpen.Load(); m != 1 {
		t.Errorf("prober held %d connections to one host at once, want 1", m)
	}
	r := got[netip.MustParseAddr("127.66.0.2")]
	if !slices.Contains(r.Evidence, evidence.Evidence{Probe: "fake", Field: "fake.reached", Value: strconv.Itoa(port)}) {
		t.Errorf("evidence %v lacks the prober's output", r.Evidence)
	}
	if !slices.Contains(r.Evidence, evidence.Evidence{Probe: "tcp", Field: "tcp.open", Value: strconv.Itoa(port)}) {
		t.Errorf("evidence %v lacks tcp.open", r.Evidence)
	}
	if cameraOnly.calls.Load() != 0 {
		t.Errorf("camera prober ran on hosts triage rejected")
	}
	if stats.Addresses != 5 || stats.Swept != 5 || stats.Live != 2 {
		t.Errorf("stats = %+v", stats)
	}
	// One connect per port per address (5), plus two prober dials on each live host.
	if stats.Connections != 5+2*2 {
		t.Errorf("connections = %d, want 9", stats.Connections)
	}
}

func TestSweepProbeTimeoutAndCancellation(t *testing.T) {
	l := listenCounting(t, "127.66.1.2:0", 0)
	port := l.ln.Addr().(*net.TCPAddr).Port
	scope, _ := NewScope([]string{"127.66.1.2"}, nil, false)
	ports, _ := ParsePorts([]string{strconv.Itoa(port)})

	// A prober that never returns on its own is cut off by the probe timeout,
	// and the host is still reported.
	stuck := &fakeProber{name: "stuck", block: true}
	got, stats, err := sweepAll(t, context.Background(), scope, Options{Ports: ports, Probers: []Prober{stuck}, ProbeTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || stats.ProbeErrors["stuck"] != 1 {
		t.Fatalf("got %d hosts, probe errors %v", len(got), stats.ProbeErrors)
	}

	// Cancelling the sweep marks it incomplete.
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, stats, err = sweepAll(t, ctx, scope, Options{Ports: ports, Probers: []Prober{stuck}, ProbeTimeout: time.Minute})
	if !errors.Is(err, context.Canceled) || !stats.Incomplete {
		t.Fatalf("err = %v, incomplete = %v", err, stats.Incomplete)
	}
}

type fakeDiscoverer struct{ sightings []Sighting }

func (d fakeDiscoverer) Name() string { return "fake-discoverer" }
func (d fakeDiscoverer) Discover(ctx context.Context, found func(Sighting)) error {
	for _, s := range d.sightings {
		found(s)
	}
	return nil
}

func TestSweepLocalDiscoveryCoversAddresses(t *testing.T) {
	l := listenCounting(t, "127.66.2.2:0", 0)
	port := l.ln.Addr().(*net.TCPAddr).Port
	silentButSeen := listenCounting(t, "127.66.2.3:"+strconv.Itoa(port), 0)
	silentButSeen.ln.Close() // the host answers ARP but has no open port
	scope, _ := NewScope([]string{"127.66.2.1-127.66.2.4"}, nil, false)
	ports, _ := ParsePorts([]string{strconv.Itoa(port)})

	foreign := netip.MustParseAddr("192.168.1.108")
	got, stats, err := sweepAll(t, context.Background(), scope, Options{
		Ports: ports,
		HostDiscovery: func(ctx context.Context, s *Scope, wait func(context.Context) error, found func(Sighting)) (func(netip.Addr) bool, error) {
			found(Sighting{Addr: netip.MustParseAddr("127.66.2.2"), MAC: "00:11:22:33:44:55"})
			found(Sighting{Addr: netip.MustParseAddr("127.66.2.3"), MAC: "00:11:22:33:44:66"})
			return s.Contains, nil
		},
		Discoverers: []Discoverer{fakeDiscoverer{sightings: []Sighting{{Addr: foreign, MAC: "e0:50:8b:00:00:01", Evidence: []evidence.Evidence{{Probe: "arp", Field: "arp.foreign_subnet", Value: "true"}}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %v, want the open host, the portless host and the foreign one", got)
	}
	if got[netip.MustParseAddr("127.66.2.3")].MAC != "00:11:22:33:44:66" {
		t.Errorf("portless host lost its MAC")
	}
	if _, ok := got[foreign]; !ok {
		t.Errorf("foreign-subnet sighting not reported")
	}
	// Only the two seen hosts get TCP: one connect each (the unseen .1 and
	// .4 are covered by local discovery and get nothing).
	if stats.Connections != 2 {
		t.Errorf("connections = %d, want 2", stats.Connections)
	}
}

func TestSweepReportsAddresslessSightingsOnce(t *testing.T) {
	scope, _ := NewScope([]string{"127.66.3.1"}, nil, false)
	ports, _ := ParsePorts([]string{"1"})
	dhcp := evidence.Evidence{Probe: "passive", Field: "dhcp.hostname", Value: "cam-lobby"}
	got := map[string]HostResult{}
	_, err := Sweep(context.Background(), scope, Options{
		Ports: ports, Log: zerolog.Nop(),
		Discoverers: []Discoverer{fakeDiscoverer{sightings: []Sighting{
			{MAC: "00:11:22:33:44:01", Evidence: []evidence.Evidence{dhcp}},
			// The same host later seen with its address: one device, not two.
			{MAC: "00:11:22:33:44:02", Evidence: []evidence.Evidence{dhcp}},
			{Addr: netip.MustParseAddr("192.168.1.64"), MAC: "00:11:22:33:44:02"},
		}}},
	}, func(r HostResult) { got[r.Addr.String()+"/"+r.MAC] = r })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"192.168.1.64/00:11:22:33:44:02", "invalid IP/00:11:22:33:44:01"}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Errorf("reported %v, want %v", keys, want)
	}
}

// TestConnectTimeoutStartsAfterRateWait sweeps more open hosts than the
// rate lets go within one connect timeout. A connect that waited for its
// token must still get its whole timeout on the wire; were the timeout to
// run from before the wait, the later hosts' open ports would be reported
// filtered and the hosts missed.
func TestConnectTimeoutStartsAfterRateWait(t *testing.T) {
	first := listenCounting(t, "127.66.4.1:0", 0)
	port := first.ln.Addr().(*net.TCPAddr).Port
	for i := 2; i <= 6; i++ {
		listenCounting(t, "127.66.4."+strconv.Itoa(i)+":"+strconv.Itoa(port), 0)
	}
	scope, _ := NewScope([]string{"127.66.4.1-6"}, nil, false)
	ports, _ := ParsePorts([]string{strconv.Itoa(port)})
	// 6 connects at 20/s take 250 ms of waiting for tokens (burst 1), far
	// beyond the 50 ms connect timeout, with all six hosts in flight.
	got, stats, err := sweepAll(t, context.Background(), scope, Options{
		Ports: ports, Rate: 20, Workers: 6, ConnectTimeout: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Errorf("found %d of 6 open hosts (connections %d)", len(got), stats.Connections)
	}
}

// TestNonCameraBudgetHoldsFromFirstConnect checks that a host the triage
// never judges camera-like gets at most NonCameraBudget connections, port
// scan and banner probes together.
func TestNonCameraBudgetHoldsFromFirstConnect(t *testing.T) {
	lns, specs := listenCountingPorts(t, "127.66.5.2", 4)
	scope, _ := NewScope([]string{"127.66.5.2"}, nil, false)
	ports, _ := ParsePorts(specs)
	chatty := &fakeProber{name: "chatty"} // two connections per open port
	got, _, err := sweepAll(t, context.Background(), scope, Options{
		Ports: ports, Probers: []Prober{chatty, chatty}, NonCameraBudget: 6,
		Triage: func([]evidence.Evidence) bool { return false },
	})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the host saw what the report says it was sent.
	accepted := acceptedAtLeast(int64(got[netip.MustParseAddr("127.66.5.2")].Connections), lns...)
	if accepted > 6 {
		t.Errorf("non-camera host accepted %d connections, budget 6", accepted)
	}
	if accepted < 4 {
		t.Errorf("host accepted %d connections; the port scan alone makes 4", accepted)
	}
	if r := got[netip.MustParseAddr("127.66.5.2")]; r.Connections != int(accepted) {
		t.Errorf("report says %d connections, the host saw %d", r.Connections, accepted)
	}
}

// TestExcludedMACStopsPortScan checks the ExcludeMAC promise where the MAC
// comes from MACOf (the neighbour table, without CAP_NET_RAW): a host whose
// MAC is excluded has had at most one connection attempt answered before it
// is left alone, not the whole port set.
func TestExcludedMACStopsPortScan(t *testing.T) {
	lns, specs := listenCountingPorts(t, "127.66.6.2", 5)
	ports, _ := ParsePorts(specs)
	for _, tc := range []struct {
		name         string
		mac          string
		wantAccepted int64
		wantReported bool
	}{
		{"excluded OUI", "00:09:02:00:00:01", 1, false},
		{"other OUI", "44:19:b6:00:00:01", 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := int64(0)
			for _, l := range lns {
				before += l.accepted.Load()
			}
			scope, _ := NewScope([]string{"127.66.6.2"}, nil, false)
			got, _, err := sweepAll(t, context.Background(), scope, Options{
				Ports:      ports,
				MACOf:      func(netip.Addr) (string, bool) { return tc.mac, true },
				ExcludeMAC: func(mac string) bool { return mac[:8] == "00:09:02" },
			})
			if err != nil {
				t.Fatal(err)
			}
			accepted := acceptedAtLeast(before+tc.wantAccepted, lns...)
			if n := accepted - before; n != tc.wantAccepted {
				t.Errorf("host accepted %d connections, want %d", n, tc.wantAccepted)
			}
			if _, ok := got[netip.MustParseAddr("127.66.6.2")]; ok != tc.wantReported {
				t.Errorf("reported = %v, want %v", ok, tc.wantReported)
			}
		})
	}
}

// TestSightingsBounded checks that what discoverers overhear cannot grow
// the sweep's memory without end: any station on the segment can announce
// itself under endless made-up addresses, MACs and TXT strings.
func TestSightingsBounded(t *testing.T) {
	mac := func(i int) string {
		return netip.AddrFrom4([4]byte{byte(i >> 16), byte(i >> 8), byte(i), 0}).String() // unique, not a MAC: the engine does not parse it
	}
	n := maxOutOfScopeSightings + 500
	for _, tc := range []struct {
		name      string
		sightings func(yield func(Sighting))
		check     func(t *testing.T, got []HostResult)
	}{
		{"addresses outside the scope", func(yield func(Sighting)) {
			for i := range n {
				yield(Sighting{Addr: netip.AddrFrom4([4]byte{192, 168, byte(i >> 8), byte(i)}), MAC: mac(i)})
			}
		}, func(t *testing.T, got []HostResult) {
			if len(got) > maxOutOfScopeSightings {
				t.Errorf("reported %d out-of-scope hosts, bound %d", len(got), maxOutOfScopeSightings)
			}
		}},
		{"hosts without an address", func(yield func(Sighting)) {
			for i := range n {
				yield(Sighting{MAC: mac(i), Evidence: []evidence.Evidence{{Probe: "passive", Field: "dhcp.hostname", Value: "x"}}})
			}
		}, func(t *testing.T, got []HostResult) {
			if len(got) > maxOutOfScopeSightings {
				t.Errorf("reported %d MAC-only hosts, bound %d", len(got), maxOutOfScopeSightings)
			}
		}},
		{"evidence of one host", func(yield func(Sighting)) {
			for i := range n {
				yield(Sighting{Addr: netip.MustParseAddr("192.168.1.64"), Evidence: []evidence.Evidence{{Probe: "passive", Field: "mdns.txt", Value: strconv.Itoa(i)}}})
			}
		}, func(t *testing.T, got []HostResult) {
			if len(got) != 1 || len(got[0].Evidence) > MaxSightingEvidence {
				t.Errorf("got %d hosts, evidence %d; want 1 host, at most %d", len(got), len(got[0].Evidence), MaxSightingEvidence)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ss []Sighting
			tc.sightings(func(s Sighting) { ss = append(ss, s) })
			scope, _ := NewScope([]string{"127.66.7.1"}, nil, false)
			ports, _ := ParsePorts([]string{"1"})
			var got []HostResult
			_, err := Sweep(context.Background(), scope, Options{
				Ports: ports, Log: zerolog.Nop(), LinkOnly: true,
				Discoverers: []Discoverer{fakeDiscoverer{sightings: ss}},
			}, func(r HostResult) { got = append(got, r) })
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}
