package scanner

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// loopRound is a multicast round whose "group" is a unicast loopback
// listener: serve runs as on a real interface, and nothing leaves the host.
// It returns the round and a counter of the datagrams the listener got.
func loopRound(t *testing.T, msgs int) (*openRound, *atomic.Int64) {
	t.Helper()
	rx, err := net.ListenPacket("udp4", "127.66.10.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Close() })
	var got atomic.Int64
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := rx.ReadFrom(buf); err != nil {
				return
			}
			got.Add(1)
		}
	}()
	c, err := net.ListenPacket("udp4", "127.66.10.2:0")
	if err != nil {
		t.Fatal(err)
	}
	var m [][]byte
	for range msgs {
		m = append(m, []byte("query"))
	}
	r := mcastRound{Group: rx.LocalAddr().(*net.UDPAddr).AddrPort(), Msgs: m, Wait: 50 * time.Millisecond}
	return &openRound{r: r, c: c, p: ipv4.NewPacketConn(c)}, &got
}

// roundDiscoverer runs one loopback round, as the multicast discoverers do.
type roundDiscoverer struct {
	t    *testing.T
	msgs int
	got  *atomic.Int64
}

func (d *roundDiscoverer) Name() string { return "loopround" }

func (d *roundDiscoverer) Discover(ctx context.Context, _ func(Sighting)) error {
	o, got := loopRound(d.t, d.msgs)
	d.got = got
	return o.serve(ctx, func(netip.Addr, []byte) {})
}

// TestMulticastSendsPassTheGate: a multicast query reaches every device on
// the segment, so under a sweep each one waits for the global rate limit
// and is counted in the sweep's datagrams (the report's packets_sent); a
// round run on its own still sends.
func TestMulticastSendsPassTheGate(t *testing.T) {
	tests := []struct {
		name        string
		rate        float64 // 0: no gate (a discoverer run on its own)
		msgs        int
		wantCounted uint64
		minElapsed  time.Duration
	}{
		{"on its own: sent, not counted", 0, 3, 0, 0},
		{"under a sweep: counted", 1000, 14, 14, 0},
		{"under a sweep: paced at the rate", 10, 4, 4, 250 * time.Millisecond}, // burst 1: 3 waits of 100 ms
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Counters
			ctx := context.Background()
			if tt.rate > 0 {
				ctx = withSendGate(ctx, newSendGate(tt.rate, func(netip.Addr) bool { return false }, nil, &c))
			}
			o, got := loopRound(t, tt.msgs)
			start := time.Now()
			if err := o.serve(ctx, func(netip.Addr, []byte) {}); err != nil {
				t.Fatal(err)
			}
			elapsed := time.Since(start) - o.r.Wait
			if c.Datagrams.Load() != tt.wantCounted {
				t.Errorf("counted %d datagrams, want %d", c.Datagrams.Load(), tt.wantCounted)
			}
			if elapsed < tt.minElapsed {
				t.Errorf("%d sends took %v, the rate allows no less than %v", tt.msgs, elapsed, tt.minElapsed)
			}
			for deadline := time.Now().Add(time.Second); got.Load() < int64(tt.msgs) && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			if got.Load() != int64(tt.msgs) {
				t.Errorf("listener got %d of %d datagrams", got.Load(), tt.msgs)
			}
		})
	}
}

// TestSweepCountsDiscoverersDatagrams: the engine hands its discoverers the
// sweep's gate, so their queries are in SweepStats.Datagrams.
func TestSweepCountsDiscoverersDatagrams(t *testing.T) {
	tests := []struct {
		name string
		msgs int
	}{
		{"one query", 1},
		{"mDNS's nine", 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scope, _ := NewScope([]string{"127.66.10.9"}, nil, false)
			ports, _ := ParsePorts([]string{"1"})
			d := &roundDiscoverer{t: t, msgs: tt.msgs}
			_, stats, err := sweepAll(t, context.Background(), scope, Options{Ports: ports, Discoverers: []Discoverer{d},
				Linger: 200 * time.Millisecond, ConnectTimeout: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			// One connect to port 1 of the one address, plus the queries.
			if stats.Datagrams != uint64(tt.msgs) {
				t.Errorf("stats.Datagrams = %d, want the discoverer's %d queries", stats.Datagrams, tt.msgs)
			}
		})
	}
}
