package link

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

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/rs/zerolog"
)

var (
	l2TestMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	l2TestIfc = Interface{
		Name: "lab0", Index: 2, MAC: l2TestMAC, MTU: 1500, Requested: true,
		Addr:     netip.MustParseAddr("10.9.0.1"),
		Prefixes: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/24")},
	}
)

// l2FakeHost is a device on the fake l2Wire.
type l2FakeHost struct {
	mac  string
	drop int // requests ignored before the first answer
	dup  bool
}

// l2Wire is a FrameConn whose hosts answer ARP requests like a segment
// would, and which records every frame written.
type l2Wire struct {
	mu      sync.Mutex
	hosts   map[netip.Addr]*l2FakeHost
	in      chan []byte
	written [][]byte
}

func l2NewWire(hosts map[string]l2FakeHost) *l2Wire {
	w := &l2Wire{hosts: map[netip.Addr]*l2FakeHost{}, in: make(chan []byte, 4096)}
	for a, h := range hosts {
		h := h
		w.hosts[netip.MustParseAddr(a)] = &h
	}
	return w
}

func (w *l2Wire) ReadFrame(ctx context.Context) ([]byte, error) {
	select {
	case f := <-w.in:
		return f, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (w *l2Wire) WriteFrame(f []byte) error {
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
	reply := l2ArpFrame(hw, p.SenderMAC, layers.ARPReply, p.TargetIP, netip.AddrFrom4([4]byte(f[28:32])))
	w.in <- reply
	if h.dup {
		w.in <- reply
	}
	return nil
}

func (w *l2Wire) Close() error { return nil }

// asked lists the target addresses of the ARP requests written.
func (w *l2Wire) asked() []netip.Addr {
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

func l2ArpFrame(src, dst net.HardwareAddr, op uint16, sip, tip netip.Addr) []byte {
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

func l2Addrs(ss ...string) iter.Seq[netip.Addr] {
	return func(yield func(netip.Addr) bool) {
		for _, s := range ss {
			if !yield(netip.MustParseAddr(s)) {
				return
			}
		}
	}
}

func l2PrefixAddrs(p string) iter.Seq[netip.Addr] {
	return func(yield func(netip.Addr) bool) {
		pf := netip.MustParsePrefix(p)
		for a := pf.Addr(); pf.Contains(a); a = a.Next() {
			if !yield(a) {
				return
			}
		}
	}
}

func l2NoWait(context.Context) error { return nil }

func l2FastOpts(o ARPOptions) ARPOptions {
	o.RetryAfter = 20 * time.Millisecond
	o.Window = 80 * time.Millisecond
	return o
}

type l2Seen struct {
	addr    string
	mac     string
	foreign bool
}

func l2Collect(t *testing.T, conn FrameConn, targets iter.Seq[netip.Addr], opts ARPOptions) ([]l2Seen, ARPStats) {
	t.Helper()
	var got []l2Seen
	a := NewARPSweep(conn, l2TestIfc, l2FastOpts(opts), zerolog.Nop())
	stats, err := a.Sweep(context.Background(), targets, l2NoWait, func(s scanner.Sighting) {
		f := slices.Contains(s.Evidence, evidence.Evidence{Probe: "arp", Field: "arp.foreign_subnet", Value: "true"})
		if !slices.Contains(s.Evidence, evidence.Evidence{Probe: "arp", Field: "mac", Value: s.MAC}) {
			t.Errorf("sighting %v lacks its mac evidence: %v", s.Addr, s.Evidence)
		}
		got = append(got, l2Seen{s.Addr.String(), s.MAC, f})
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
		hosts     map[string]l2FakeHost
		targets   iter.Seq[netip.Addr]
		opts      ARPOptions
		want      []l2Seen
		wantAsked map[string]int // address -> requests sent; absent: not checked
		check     func(t *testing.T, s ARPStats)
	}{
		{
			name:      "hosts found, silent addresses retried once",
			hosts:     map[string]l2FakeHost{"10.9.0.10": {mac: hik}, "10.9.0.20": {mac: dahua}},
			targets:   l2Addrs("10.9.0.10", "10.9.0.20", "10.9.0.30"),
			opts:      ARPOptions{NoFactoryDefaults: true},
			want:      []l2Seen{{"10.9.0.10", hik, false}, {"10.9.0.20", dahua, false}},
			wantAsked: map[string]int{"10.9.0.10": 1, "10.9.0.20": 1, "10.9.0.30": 2},
		},
		{
			name:      "a lossy host is found by the retry",
			hosts:     map[string]l2FakeHost{"10.9.0.11": {mac: hik, drop: 1}},
			targets:   l2Addrs("10.9.0.11"),
			opts:      ARPOptions{NoFactoryDefaults: true},
			want:      []l2Seen{{"10.9.0.11", hik, false}},
			wantAsked: map[string]int{"10.9.0.11": 2},
		},
		{
			name:      "no retry when retries are off",
			hosts:     map[string]l2FakeHost{"10.9.0.11": {mac: hik, drop: 1}},
			targets:   l2Addrs("10.9.0.11"),
			opts:      ARPOptions{NoFactoryDefaults: true, Retries: -1},
			want:      nil,
			wantAsked: map[string]int{"10.9.0.11": 1},
		},
		{
			name:      "foreign-subnet camera on its factory default answers",
			hosts:     map[string]l2FakeHost{"192.168.1.64": {mac: hik}, "10.9.0.10": {mac: dahua}},
			targets:   l2Addrs("10.9.0.10"),
			want:      []l2Seen{{"10.9.0.10", dahua, false}, {"192.168.1.64", hik, true}},
			wantAsked: map[string]int{"192.168.1.64": 1, "192.168.1.108": 2, "10.9.0.10": 1},
		},
		{
			name:    "excluded address is never asked",
			hosts:   map[string]l2FakeHost{"10.9.0.10": {mac: hik}, "10.9.0.20": {mac: dahua}},
			targets: l2Addrs("10.9.0.10", "10.9.0.20"),
			opts: ARPOptions{NoFactoryDefaults: true, Exclude: func(a netip.Addr, mac string) bool {
				return a == netip.MustParseAddr("10.9.0.20")
			}},
			want:      []l2Seen{{"10.9.0.10", hik, false}},
			wantAsked: map[string]int{"10.9.0.20": 0, "10.9.0.10": 1},
			check: func(t *testing.T, s ARPStats) {
				if s.Excluded != 1 {
					t.Errorf("Excluded = %d, want 1", s.Excluded)
				}
			},
		},
		{
			name:    "excluded OUI answers once and is neither reported nor asked again",
			hosts:   map[string]l2FakeHost{"10.9.0.10": {mac: hik}, "10.9.0.40": {mac: excludedOUI, dup: true}},
			targets: l2Addrs("10.9.0.10", "10.9.0.40"),
			opts: ARPOptions{NoFactoryDefaults: true, Retries: 3, Exclude: func(a netip.Addr, mac string) bool {
				return len(mac) >= 8 && mac[:8] == "00:09:18"
			}},
			want:      []l2Seen{{"10.9.0.10", hik, false}},
			wantAsked: map[string]int{"10.9.0.40": 1},
			check: func(t *testing.T, s ARPStats) {
				if s.ExcludedMAC != 1 {
					t.Errorf("ExcludedMAC = %d, want 1", s.ExcludedMAC)
				}
			},
		},
		{
			name:      "duplicate replies give one sighting",
			hosts:     map[string]l2FakeHost{"10.9.0.10": {mac: hik, dup: true}},
			targets:   l2Addrs("10.9.0.10"),
			opts:      ARPOptions{NoFactoryDefaults: true},
			want:      []l2Seen{{"10.9.0.10", hik, false}},
			wantAsked: map[string]int{"10.9.0.10": 1},
		},
		{
			name:    "off-link, own, network and broadcast addresses are not asked",
			hosts:   map[string]l2FakeHost{"10.9.1.10": {mac: hik}},
			targets: l2Addrs("10.9.1.10", "10.9.0.1", "10.9.0.0", "10.9.0.255", "2001:db8::1"),
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
			hosts:   map[string]l2FakeHost{"10.9.0.2": {mac: hik}, "10.9.0.128": {mac: dahua}, "10.9.0.254": {mac: "b8:a4:4f:00:00:01"}},
			targets: l2PrefixAddrs("10.9.0.0/24"),
			opts:    ARPOptions{NoFactoryDefaults: true},
			want:    []l2Seen{{"10.9.0.128", dahua, false}, {"10.9.0.2", hik, false}, {"10.9.0.254", "b8:a4:4f:00:00:01", false}},
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
			w := l2NewWire(tt.hosts)
			got, stats := l2Collect(t, w, tt.targets, tt.opts)
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
				if !bytes.Equal(f[6:12], l2TestMAC) || !bytes.Equal(f[28:32], []byte{10, 9, 0, 1}) {
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
	grat := l2ArpFrame(mac, layers.EthernetBroadcast, layers.ARPRequest, netip.MustParseAddr("10.9.0.77"), netip.MustParseAddr("10.9.0.77"))
	notForUs := l2ArpFrame(other, net.HardwareAddr{2, 0, 0, 0, 0, 9}, layers.ARPReply, netip.MustParseAddr("10.9.0.88"), netip.MustParseAddr("10.9.0.9"))
	foreignGrat := l2ArpFrame(other, layers.EthernetBroadcast, layers.ARPRequest, netip.MustParseAddr("172.16.0.5"), netip.MustParseAddr("172.16.0.5"))
	tests := []struct {
		name    string
		inScope func(netip.Addr) bool
		want    []l2Seen
	}{
		{"gratuitous from an on-link host is kept", nil, []l2Seen{{"10.9.0.77", "44:47:cc:00:00:77", false}}},
		{"gratuitous outside the scope is dropped", func(netip.Addr) bool { return false }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := l2NewWire(nil)
			w.in <- grat
			w.in <- notForUs
			w.in <- foreignGrat
			got, _ := l2Collect(t, w, l2Addrs(), ARPOptions{NoFactoryDefaults: true, InScope: tt.inScope})
			if !slices.Equal(got, tt.want) {
				t.Errorf("sightings = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestARPSweepReplay runs the sweep against a pcap capture: the replies are
// in the file, the requests land in Written.
func TestARPSweepReplay(t *testing.T) {
	hik, _ := net.ParseMAC("c0:56:e3:11:22:33")
	frames := [][]byte{
		l2ArpFrame(hik, l2TestMAC, layers.ARPReply, netip.MustParseAddr("10.9.0.64"), l2TestIfc.Addr),
		{0xff, 0xff}, // runt: ignored
		l2ArpFrame(hik, l2TestMAC, layers.ARPReply, netip.MustParseAddr("192.168.1.64"), l2TestIfc.Addr),
	}
	rp := l2Replay(t, frames...)
	// Hold the capture back until the first pass is out: on a real wire
	// no reply precedes its request.
	gated := &gatedConn{Replay: rp, after: 3}
	got, stats := l2Collect(t, gated, l2Addrs("10.9.0.64", "10.9.0.65"), ARPOptions{FactoryDefaults: []netip.Addr{netip.MustParseAddr("192.168.1.64")}})
	want := []l2Seen{{"10.9.0.64", "c0:56:e3:11:22:33", false}, {"192.168.1.64", "c0:56:e3:11:22:33", true}}
	if !slices.Equal(got, want) {
		t.Errorf("sightings = %v, want %v", got, want)
	}
	// 10.9.0.64, 10.9.0.65, 192.168.1.64, and the retry of 10.9.0.65.
	if n := len(rp.Written()); n != 4 || stats.Requests != 4 {
		t.Errorf("written %d, Requests %d, want 4", n, stats.Requests)
	}
}

// gatedConn holds reads until after frames have been written.
type gatedConn struct {
	*Replay
	after int
}

func (g *gatedConn) ReadFrame(ctx context.Context) ([]byte, error) {
	for len(g.Written()) < g.after {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return g.Replay.ReadFrame(ctx)
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
	a := NewARPSweep(l2NewWire(nil), l2TestIfc, l2FastOpts(ARPOptions{}), zerolog.Nop())
	stats, err := a.Sweep(ctx, l2PrefixAddrs("10.9.0.0/24"), wait, func(scanner.Sighting) {})
	if err == nil {
		t.Fatal("Sweep after cancel: no error")
	}
	if stats.Requests != 4 {
		t.Errorf("Requests = %d, want 4 (the rate limiter's refusal stops the sweep)", stats.Requests)
	}
}

func FuzzDecodeARP(f *testing.F) {
	mac, _ := net.ParseMAC("44:47:cc:00:00:64")
	f.Add(l2ArpFrame(mac, l2TestMAC, layers.ARPReply, netip.MustParseAddr("10.9.0.64"), l2TestIfc.Addr))
	f.Add(l2ArpFrame(mac, layers.EthernetBroadcast, layers.ARPRequest, netip.MustParseAddr("10.9.0.64"), netip.MustParseAddr("10.9.0.64")))
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
		st := newARPState(l2TestIfc, ARPOptions{}, func(scanner.Sighting) {})
		st.reply(p, l2TestMAC)
	})
}
