package scanner

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
	"github.com/camsweep/camsweep/scanner/internal/osnet"
)

// portState is what one connect attempt learnt.
type portState int

const (
	portFiltered portState = iota // no answer before the timeout
	portClosed                    // RST: the host is alive, nothing listens
	portOpen
)

// connectScan connects to ports of one host, one at a time (the per-host
// limit holds even here). When known is false the first pingPorts ports act
// as host discovery: if none of them answers at all (no SYN-ACK and no RST),
// the host is taken as absent and the rest are not tried, which keeps the
// cost of an empty address at pingPorts connection attempts.
//
// A host that answered on some port but not at all on others is asked once
// more on those, with twice the timeout: its silence there is a firewall's
// drop or a SYN or answer lost on a busy link, and the kernel's own
// retransmission comes only after the connect timeout has given up. A
// camera with one web port is otherwise missed whole by one lost packet
// (seen in the 500-host lab under load). The retry costs a dropping
// firewall one more SYN per port it drops; a host silent to every port is
// not retried.
//
// stop, when not nil, is asked once, right after the host first answers;
// true ends the scan there. It lets the engine look the MAC up as soon as
// the kernel has one, so a host of an excluded OUI gets one connection
// rather than the whole port set.
func connectScan(ctx context.Context, probe portProber, ports []Port, timeout time.Duration, pingPorts int, known bool, stop func() bool) (open []Port, alive bool) {
	states := make([]portState, 0, len(ports))
	inOrder := func() []Port {
		var open []Port
		for i, st := range states {
			if st == portOpen {
				open = append(open, ports[i])
			}
		}
		return open
	}
	for i, p := range ports {
		if ctx.Err() != nil {
			return inOrder(), alive
		}
		if !known && !alive && i == pingPorts {
			return nil, false
		}
		st := probe(ctx, p.Number, timeout)
		states = append(states, st)
		if st != portFiltered && !alive {
			alive = true
			if stop != nil && stop() {
				return inOrder(), alive
			}
		}
	}
	for i, st := range states {
		if !alive || ctx.Err() != nil {
			break
		}
		if st == portFiltered {
			states[i] = probe(ctx, ports[i].Number, 2*timeout)
		}
	}
	return inOrder(), alive
}

// portProber makes one connection attempt to a port of the host.
type portProber func(ctx context.Context, port uint16, timeout time.Duration) portState

// dialPort is the engine's portProber: a connection through the host's
// dialer, under its budget and the sweep's rate.
func dialPort(d *hostDialer) portProber {
	return func(ctx context.Context, port uint16, timeout time.Duration) portState {
		return probePort(ctx, d, port, timeout)
	}
}

func probePort(ctx context.Context, d *hostDialer, port uint16, timeout time.Duration) portState {
	conn, err := d.dial(ctx, "tcp", net.JoinHostPort(d.addr.String(), strconv.Itoa(int(port))), timeout)
	if err == nil {
		conn.Close()
		return portOpen
	}
	if osnet.Refused(err) {
		return portClosed
	}
	return portFiltered
}

// tcpEvidence records open ports as evidence, so rules can use port habits
// (37777 is Dahua's SDK port, 8000 Hikvision's).
func tcpEvidence(open []Port) []evidence.Evidence {
	out := make([]evidence.Evidence, 0, len(open))
	for _, p := range open {
		out = append(out, evidence.Evidence{Probe: "tcp", Field: "tcp.open", Value: strconv.Itoa(int(p.Number))})
	}
	return out
}

func portNumbers(ps []Port) []uint16 {
	out := make([]uint16, len(ps))
	for i, p := range ps {
		out[i] = p.Number
	}
	return out
}
