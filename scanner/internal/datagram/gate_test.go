package datagram

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
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
	r := Round{Group: rx.LocalAddr().(*net.UDPAddr).AddrPort(), Msgs: m, Wait: 50 * time.Millisecond}
	return &openRound{r: r, c: c, p: ipv4.NewPacketConn(c)}, &got
}

// roundDiscoverer runs one loopback round, as the multicast discoverers do,
// and notes how long its sends took.
type roundDiscoverer struct {
	t       *testing.T
	msgs    int
	got     *atomic.Int64
	sending time.Duration
	gated   bool
}

func (d *roundDiscoverer) Name() string { return "loopround" }

func (d *roundDiscoverer) Discover(ctx context.Context, _ func(scanner.Sighting)) error {
	o, got := loopRound(d.t, d.msgs)
	d.got = got
	d.gated = scanner.SendGateFrom(ctx) != nil
	start := time.Now()
	err := o.serve(ctx, func(netip.Addr, []byte) {})
	d.sending = time.Since(start) - o.r.Wait
	return err
}

// TestMulticastSendsPassTheGate: a multicast query reaches every device on
// the segment, so under a sweep each one waits for the global rate limit
// and is counted in the sweep's datagrams (the report's packets_sent); a
// round run on its own still sends.
func TestMulticastSendsPassTheGate(t *testing.T) {
	tests := []struct {
		name        string
		rate        float64 // 0: no sweep (a discoverer run on its own)
		msgs        int
		wantCounted uint64
		minSending  time.Duration
	}{
		{"on its own: sent, not gated", 0, 3, 0, 0},
		{"under a sweep: one query counted", 1000, 1, 1, 0},
		{"under a sweep: mDNS's nine counted", 1000, 9, 9, 0},
		{"under a sweep: fourteen counted", 1000, 14, 14, 0},
		// Burst 1 at 10/s: the last of 4 sends waits at least 3 x 100 ms.
		{"under a sweep: paced at the rate", 10, 4, 4, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &roundDiscoverer{t: t, msgs: tt.msgs}
			if tt.rate == 0 {
				if err := d.Discover(context.Background(), nil); err != nil {
					t.Fatal(err)
				}
				if d.gated {
					t.Error("a round run on its own found a send gate")
				}
			} else {
				scope, err := scanner.NewScope([]string{"127.66.10.9"}, nil, false)
				if err != nil {
					t.Fatal(err)
				}
				ports, err := scanner.ParsePorts([]string{"1"})
				if err != nil {
					t.Fatal(err)
				}
				// The discoverers run until Linger has passed: long
				// enough for every paced send.
				stats, err := scanner.Sweep(context.Background(), scope, scanner.Options{
					Ports: ports, Rate: tt.rate, Discoverers: []scanner.Discoverer{d},
					Linger:         200*time.Millisecond + time.Duration(float64(tt.msgs+1)/tt.rate*float64(time.Second)),
					ConnectTimeout: 50 * time.Millisecond,
				}, func(scanner.HostResult) {})
				if err != nil {
					t.Fatal(err)
				}
				if !d.gated {
					t.Error("the sweep gave its discoverer no send gate")
				}
				if stats.Datagrams != tt.wantCounted {
					t.Errorf("stats.Datagrams = %d, want the discoverer's %d queries", stats.Datagrams, tt.wantCounted)
				}
			}
			if d.sending < tt.minSending {
				t.Errorf("%d sends took %v, the rate allows no less than %v", tt.msgs, d.sending, tt.minSending)
			}
			for deadline := time.Now().Add(time.Second); d.got.Load() < int64(tt.msgs) && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			if d.got.Load() != int64(tt.msgs) {
				t.Errorf("listener got %d of %d datagrams", d.got.Load(), tt.msgs)
			}
		})
	}
}
