package scanner

import (
	"bytes"
	"context"
	"iter"
	"net"
	"net/netip"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/rs/zerolog"
)

var (
	testMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	testIfc = Interface{
		Name: "lab0", Index: 2, MAC: testMAC, MTU: 1500, Requested: true,
		Addr:     netip.MustParseAddr("10.9.0.1"),
		Prefixes: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/24")},
	}
)

// fakeHost is a device on the fake wire.
type fakeHost struct {
	mac  string
	drop int // requests ignored before the first answer
	dup  bool
}

// wire is a FrameConn whose hosts answer ARP requests like a segment
// would, and which records every frame written.
type wire struct {
	mu      sync.Mutex
	hosts   map[netip.Addr]*fakeHost
	in      chan []byte
	written [][]byte
}

func newWire(hosts map[string]fakeHost) *wire {
	w := &wire{hosts: map[netip.Addr]*fakeHost{}, in: make(chan []byte, 4096)}
	for a, h := range hosts {
		h := h
		w.hosts[netip.MustParseAddr(a)] = &h
	}
	return w
}

func (w *wire) ReadFrame(ctx context.Context) ([]byte, error) {
	select {
	case f := <-w.in:
		return f, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (w *wire) WriteFrame(f []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.written = append(w.written, append([]byte(nil), f...))
	p, ok := decodeARP(f)
	if !ok || p.Op != layers.ARPRequest {
		return nil
	}
	h := w.hosts[p.TargetIP]
	if h == nil {
		return nil
	}
	if h.drop > 0 {
		h.drop--
		return nil
	}
	hw, _ := net.ParseMAC(h.mac)
	reply := arpFrame(hw, p.SenderMAC, layers.ARPReply, p.TargetIP, netip.AddrFrom4([4]byte(f[28:32])))
	w.in <- reply
	if h.dup {
		w.in <- reply
	}
	return nil
}

func (w *wire) Close() error { return nil }

// asked lists the target addresses of the ARP requests written.
func (w *wire) asked() []netip.Addr {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []netip.Addr
	for _, f := range w.written {
		if p, ok := decodeARP(f); ok && p.Op == layers.ARPRequest {
			out = append(out, p.TargetIP)
		}
	}
	return out
}

func arpFrame(src, dst net.HardwareAddr, op uint16, sip, tip netip.Addr) []byte {
	s4, t4 := sip.As4(), tip.As4()
	tha := dst
	if op == layers.ARPRequest {
		tha = make(net.HardwareAddr, 6)
	}
	buf := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{},
		&layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: op, SourceHwAddress: src, SourceProtAddress: s4[:], DstHwAddress: tha, DstProtAddress: t4[:]})
	if err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func addrs(ss ...string) iter.Seq[netip.Addr] {
	return func(yield func(netip.Addr) bool) {
		for _, s := range ss {
			if !yield(netip.MustParseAddr(s)) {
				return
			}
		}
	}
}

func prefixAddrs(p string) iter.Seq[netip.Addr] {
	return func(yield func(netip.Addr) bool) {
		pf := netip.MustParsePrefix(p)
		for a := pf.Addr(); pf.Contains(a); a = a.Next() {
			if !yield(a) {
				return
			}
		}
	}
}

func noWait(context.Context) error { return nil }

func fastOpts(o ARPOptions) ARPOptions {
	o.RetryAfter = 20 * time.Millisecond
	o.Window = 80 * time.Millisecond
	return o
}

type seen struct {
	addr    string
	mac     string
	foreign bool
}

func collect(t *testing.T, conn FrameConn, targets iter.Seq[netip.Addr], opts ARPOptions) ([]seen, ARPStats) {
	t.Helper()
	var got []seen
	a := NewARPSweep(conn, testIfc, fastOpts(opts), zerolog.Nop())
	stats, err := a.Sweep(context.Background(), targets, noWait, func(s Sighting) {
		f := slices.Contains(s.Evidence, Evidence{Probe: "arp", Field: "arp.foreign_subnet", Value: "true"})
		if !slices.Contains(s.Evidence, Evidence{Probe: "arp", Field: "mac", Value: s.MAC}) {
			t.Errorf("sighting %v lacks its mac evidence: %v", s.Addr, s.Evidence)
		}
		got = append(got, seen{s.Addr.String(), s.MAC, f})
	})
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].addr < got[j].addr })
	return got, stats
}

func TestARPSweep(t *testing.T) {
	hik := "44:47:cc:00:00:64"
	dahua := "08:ed:ed:00:01:08"
	excludedOUI := "00:09:18:aa:bb:cc"
	tests := []struct {
		name      string
		hosts     map[string]fakeHost
		targets   iter.Seq[netip.Addr]
		opts      ARPOptions
		want      []seen
		wantAsked map[string]int // address -> requests sent; absent: not checked
		check     func(t *testing.T, s ARPStats)
	}{
		{
			name:      "hosts found, silent addresses retried once",
			hosts:     map[string]fakeHost{"10.9.0.10": {mac: hik}, "10.9.0.20": {mac: dahua}},
			targets:   addrs("10.9.0.10", "10.9.0.20", "10.9.0.30"),
			opts:      ARPOptions{NoFactoryDefaults: true},
			want:      []seen{{"10.9.0.10", hik, false}, {"10.9.0.20", dahua, false}},
			wantAsked: map[string]int{"10.9.0.10": 1, "10.9.0.20": 1, "10.9.0.30": 2},
		},
		{
			name:      "a lossy host is found by the retry",
			hosts:     map[string]fakeHost{"10.9.0.11": {mac: hik, drop: 1}},
			targets:   addrs("10.9.0.11"),
			opts:      ARPOptions{NoFactoryDefaults: true},
			want:      []seen{{"10.9.0.11", hik, false}},
			wantAsked: map[string]int{"10.9.0.11": 2},
		},
		{
			name:      "no retry when retries are off",
			hosts:     map[string]fakeHost{"10.9.0.11": {mac: hik, drop: 1}},
			targets:   addrs("10.9.0.11"),
			opts:      ARPOptions{NoFactoryDefaults: true, Retries: -1},
			want:      nil,
			wantAsked: map[string]int{"10.9.0.11": 1},
		},
		{
			name:      "foreign-subnet camera on its factory default answers",
			hosts:     map[string]fakeHost{"192.168.1.64": {mac: hik}, "10.9.0.10": {mac: dahua}},
			targets:   addrs("10.9.0.10"),
			want:      []seen{{"10.9.0.10", dahua, false}, {"192.168.1.64", hik, true}},
			wantAsked: map[string]int{"192.168.1.64": 1, "192.168.1.108": 2, "10.9.0.10": 1},
		},
		{
			name:    "excluded address is never asked",
			hosts:   map[string]fakeHost{"10.9.0.10": {mac: hik}, "10.9.0.20": {mac: dahua}},
			targets: addrs("10.9.0.10", "10.9.0.20"),
			opts: ARPOptions{NoFactoryDefaults: true, Exclude: func(a netip.Addr, mac string) bool {
				return a == netip.MustParseAddr("10.9.0.20")
			}},
			want:      []seen{{"10.9.0.10", hik, false}},
			wantAsked: map[string]int{"10.9.0.20": 0, "10.9.0.10": 1},
			check: func(t *testing.T, s ARPStats) {
				if s.Excluded != 1 {
					t.Errorf("Excluded = %d, want 1", s.Excluded)
				}
			},
		},
		{
			name:    "excluded OUI answers once and is neither reported nor asked again",
			hosts:   map[string]fakeHost{"10.9.0.10": {mac: hik}, "10.9.0.40": {mac: excludedOUI, dup: true}},
			targets: addrs("10.9.0.10", "10.9.0.40"),
			opts: ARPOptions{NoFactoryDefaults: true, Retries: 3, Exclude: func(a netip.Addr, mac string) bool {
				return len(mac) >= 8 && mac[:8] == "00:09:18"
			}},
			want:      []seen{{"10.9.0.10", hik, false}},
			wantAsked: map[string]int{"10.9.0.40": 1},
			check: func(t *testing.T, s ARPStats) {
				if s.ExcludedMAC != 1 {
					t.Errorf("ExcludedMAC = %d, want 1", s.ExcludedMAC)
				}
			},
		},
		{
			name:      "duplicate replies give one sighting",
			hosts:     map[string]fakeHost{"10.9.0.10": {mac: hik, dup: true}},
			targets:   addrs("10.9.0.10"),
			opts:      ARPOptions{NoFactoryDefaults: true},
			want:      []seen{{"10.9.0.10", hik, false}},
			wantAsked: map[string]int{"10.9.0.10": 1},
		},
		{
			name:    "off-link, own, network and broadcast addresses are not asked",
			hosts:   map[string]fakeHost{"10.9.1.10": {mac: hik}},
			targets: addrs("10.9.1.10", "10.9.0.1", "10.9.0.0", "10.9.0.255", "2001:db8::1"),
			opts:    ARPOptions{NoFactoryDefaults: true},
			want:    nil,
			check: func(t *testing.T, s ARPStats) {
				if s.Requests != 0 || s.OffLink != 2 {
					t.Errorf("Requests = %d, OffLink = %d; want 0, 2", s.Requests, s.OffLink)
				}
			},
		},
		{
			name:    "a whole /24 with scattered hosts",
			hosts:   map[string]fakeHost{"10.9.0.2": {mac: hik}, "10.9.0.128": {mac: dahua}, "10.9.0.254": {mac: "b8:a4:4f:00:00:01"}},
			targets: prefixAddrs("10.9.0.0/24"),
			opts:    ARPOptions{NoFactoryDefaults: true},
			want:    []seen{{"10.9.0.128", dahua, false}, {"10.9.0.2", hik, false}, {"10.9.0.254", "b8:a4:4f:00:00:01", false}},
			check: func(t *testing.T, s ARPStats) {
				// 253 asked (not .0, .1 ourselves, .255), 250 silent retried.
				if s.Asked != 253 || s.Retries != 250 || s.Requests != 503 {
					t.Errorf("Asked %d Retries %d Requests %d, want 253 250 503", s.Asked, s.Retries, s.Requests)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWire(tt.hosts)
			got, stats := collect(t, w, tt.targets, tt.opts)
			if !slices.Equal(got, tt.want) {
				t.Errorf("sightings = %v, want %v", got, tt.want)
			}
			counts := map[string]int{}
			for _, a := range w.asked() {
				counts[a.String()]++
			}
			for a, n := range tt.wantAsked {
				if counts[a] != n {
					t.Errorf("requests for %s = %d, want %d", a, counts[a], n)
				}
			}
			for _, f := range w.written {
				if !bytes.Equal(f[6:12], testMAC) || !bytes.Equal(f[28:32], []byte{10, 9, 0, 1}) {
					t.Errorf("request not sourced from the interface: % x", f[:42])
				}
			}
			if tt.check != nil {
				tt.check(t, stats)
			}
		})
	}
}

func TestARPSweepUnsolicited(t *testing.T) {
	mac, _ := net.ParseMAC("44:47:cc:00:00:77")
	other, _ := net.ParseMAC("44:47:cc:00:00:88")
	grat := arpFrame(mac, layers.EthernetBroadcast, layers.ARPRequest, netip.MustParseAddr("10.9.0.77"), netip.MustParseAddr("10.9.0.77"))
	notForUs := arpFrame(other, net.HardwareAddr{2, 0, 0, 0, 0, 9}, layers.ARPReply, netip.MustParseAddr("10.9.0.88"), netip.MustParseAddr("10.9.0.9"))
	foreignGrat := arpFrame(other, layers.EthernetBroadcast, layers.ARPRequest, netip.MustParseAddr("172.16.0.5"), netip.MustParseAddr("172.16.0.5"))
	tests := []struct {
		name    string
		inScope func(netip.Addr) bool
		want    []seen
	}{
		{"gratuitous from an on-link host is kept", nil, []seen{{"10.9.0.77", "44:47:cc:00:00:77", false}}},
		{"gratuitous outside the scope is dropped", func(netip.Addr) bool { return false }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWire(nil)
			w.in <- grat
			w.in <- notForUs
			w.in <- foreignGrat
			got, _ := collect(t, w, addrs(), ARPOptions{NoFactoryDefaults: true, InScope: tt.inScope})
			if !slices.Equal(got, tt.want) {
				t.Errorf("sightings = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestARPSweepReplay runs the sweep against a pcap capture: the replies are
// in the file, the requests land in Written.
func TestARPSweepReplay(t *testing.T) {
	var buf bytes.Buffer
	pw := pcapgo.NewWriter(&buf)
	if err := pw.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	hik, _ := net.ParseMAC("c0:56:e3:11:22:33")
	frames := [][]byte{
		arpFrame(hik, testMAC, layers.ARPReply, netip.MustParseAddr("10.9.0.64"), testIfc.Addr),
		{0xff, 0xff}, // runt: ignored
		arpFrame(hik, testMAC, layers.ARPReply, netip.MustParseAddr("192.168.1.64"), testIfc.Addr),
	}
	for _, f := range frames {
		if err := pw.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: len(f), Length: len(f)}, f); err != nil {
			t.Fatal(err)
		}
	}
	rp, err := NewReplay(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, stats := collect(t, rp, addrs("10.9.0.64", "10.9.0.65"), ARPOptions{FactoryDefaults: []netip.Addr{netip.MustParseAddr("192.168.1.64")}})
	want := []seen{{"10.9.0.64", "c0:56:e3:11:22:33", false}, {"192.168.1.64", "c0:56:e3:11:22:33", true}}
	if !slices.Equal(got, want) {
		t.Errorf("sightings = %v, want %v", got, want)
	}
	// 10.9.0.64, 10.9.0.65, 192.168.1.64, and the retry of 10.9.0.65.
	if n := len(rp.Written()); n != 4 || stats.Requests != 4 {
		t.Errorf("written %d, Requests %d, want 4", n, stats.Requests)
	}
}

func TestARPSweepCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	wait := func(context.Context) error {
		if n++; n == 5 {
			cancel()
		}
		return ctx.Err()
	}
	a := NewARPSweep(newWire(nil), testIfc, fastOpts(ARPOptions{}), zerolog.Nop())
	stats, err := a.Sweep(ctx, prefixAddrs("10.9.0.0/24"), wait, func(Sighting) {})
	if err == nil {
		t.Fatal("Sweep after cancel: no error")
	}
	if stats.Requests != 4 {
		t.Errorf("Requests = %d, want 4 (the rate limiter's refusal stops the sweep)", stats.Requests)
	}
}

func FuzzDecodeARP(f *testing.F) {
	mac, _ := net.ParseMAC("44:47:cc:00:00:64")
	f.Add(arpFrame(mac, testMAC, layers.ARPReply, netip.MustParseAddr("10.9.0.64"), testIfc.Addr))
	f.Add(arpFrame(mac, layers.EthernetBroadcast, layers.ARPRequest, netip.MustParseAddr("10.9.0.64"), netip.MustParseAddr("10.9.0.64")))
	f.Add([]byte{})
	f.Add(make([]byte, 42))
	f.Fuzz(func(t *testing.T, frame []byte) {
		p, ok := decodeARP(frame)
		if !ok {
			return
		}
		if len(p.SenderMAC) != 6 || !p.SenderIP.Is4() || !p.TargetIP.Is4() {
			t.Fatalf("decoded a malformed packet: %+v", p)
		}
		st := newARPState(testIfc, ARPOptions{}, func(Sighting) {})
		st.reply(p, testMAC)
	})
}
