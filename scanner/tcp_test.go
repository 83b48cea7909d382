package scanner

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestConnectScanRetriesSilentPorts: a port that gave no answer on a host
// that answered elsewhere is asked once more, with a longer timeout; a host
// silent everywhere is not, and an absent address costs only its ping ports.
func TestConnectScanRetriesSilentPorts(t *testing.T) {
	const timeout = time.Second
	tests := []struct {
		name string
		// answers per port: what each attempt in turn gets (the last one
		// repeats).
		answers   map[uint16][]portState
		known     bool
		wantOpen  []uint16
		wantAlive bool
		// attempts per port
		wantTries map[uint16]int
	}{
		{
			name:      "a lost SYN on a one-port camera",
			answers:   map[uint16][]portState{80: {portFiltered, portOpen}, 443: {portClosed}, 554: {portClosed}},
			wantOpen:  []uint16{80},
			wantAlive: true,
			wantTries: map[uint16]int{80: 2, 443: 1, 554: 1},
		},
		{
			name:      "a firewall dropping one port: one more SYN, still closed to us",
			answers:   map[uint16][]portState{80: {portOpen}, 443: {portFiltered}, 554: {portOpen}},
			wantOpen:  []uint16{80, 554},
			wantAlive: true,
			wantTries: map[uint16]int{80: 1, 443: 2, 554: 1},
		},
		{
			name:      "a host seen by ARP, silent to every port: no retry",
			answers:   map[uint16][]portState{80: {portFiltered, portOpen}, 443: {portFiltered}, 554: {portFiltered}},
			known:     true,
			wantTries: map[uint16]int{80: 1, 443: 1, 554: 1},
		},
		{
			name:      "an empty address: its ping ports only",
			answers:   map[uint16][]portState{80: {portFiltered, portOpen}, 443: {portFiltered}, 554: {portFiltered}},
			wantTries: map[uint16]int{80: 1, 443: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tries := map[uint16]int{}
			var timeouts []time.Duration
			probe := func(_ context.Context, port uint16, to time.Duration) portState {
				a := tt.answers[port]
				n := min(tries[port], len(a)-1)
				tries[port]++
				timeouts = append(timeouts, to)
				return a[n]
			}
			ports := []Port{{Number: 80}, {Number: 443}, {Number: 554}}
			open, alive := connectScan(context.Background(), probe, ports, timeout, 2, tt.known, nil)
			if got := portNumbers(open); !slices.Equal(got, tt.wantOpen) {
				t.Errorf("open %v, want %v", got, tt.wantOpen)
			}
			if alive != tt.wantAlive {
				t.Errorf("alive %v, want %v", alive, tt.wantAlive)
			}
			for p, want := range tt.wantTries {
				if tries[p] != want {
					t.Errorf("port %d tried %d times, want %d", p, tries[p], want)
				}
			}
			for i, to := range timeouts {
				if i >= len(ports) && to != 2*timeout {
					t.Errorf("retry %d with timeout %v, want %v", i, to, 2*timeout)
				}
			}
		})
	}
}
