package scanner

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// advertisedProber dials what a device advertised (an XAddr, a LOCATION)
// straight through the target's dialer, as a careless prober would.
type advertisedProber struct {
	network, port string
	err           error
}

func (p *advertisedProber) Name() string { return "advertised" }

func (p *advertisedProber) Probe(ctx context.Context, t Target, _ Emit) error {
	c, err := t.Dialer.DialContext(ctx, p.network, net.JoinHostPort(t.Addr.String(), p.port))
	if err == nil {
		c.Close()
	}
	p.err = err
	return nil
}

// TestDialerKeepsTCPToPortSet: the engine's dialer connects over TCP only
// to the sweep's port set, whatever a prober (or the device steering it)
// asks for; the discovery protocols' UDP ports stay reachable.
func TestDialerKeepsTCPToPortSet(t *testing.T) {
	allowed := listenCounting(t, "127.66.9.1:0", 0)
	other := listenCounting(t, "127.66.9.1:0", 0)
	aPort := strconv.Itoa(allowed.ln.Addr().(*net.TCPAddr).Port)
	oPort := strconv.Itoa(other.ln.Addr().(*net.TCPAddr).Port)
	tests := []struct {
		name      string
		network   string
		port      string
		wantErr   error
		wantOther int64 // connections the port outside the set accepted
	}{
		{"tcp to a port of the set", "tcp", aPort, nil, 0},
		{"tcp4 to a port of the set", "tcp4", aPort, nil, 0},
		{"tcp to an advertised port outside the set", "tcp", oPort, ErrPortNotAllowed, 0},
		{"tcp4 to an advertised port outside the set", "tcp4", oPort, ErrPortNotAllowed, 0},
		{"libupnp's description port", "tcp", "49152", ErrPortNotAllowed, 0},
		{"udp to a discovery port", "udp", "3702", nil, 0},
		{"another network", "unix", aPort, ErrPortNotAllowed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scope, _ := NewScope([]string{"127.66.9.1"}, nil, false)
			ports, _ := ParsePorts([]string{aPort})
			p := &advertisedProber{network: tt.network, port: tt.port}
			_, _, err := sweepAll(t, context.Background(), scope, Options{Ports: ports, Probers: []Prober{p}, ProbeTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantErr == nil && p.err != nil {
				t.Errorf("dial %s :%s: %v, want it allowed", tt.network, tt.port, p.err)
			}
			if tt.wantErr != nil && !errors.Is(p.err, tt.wantErr) {
				t.Errorf("dial %s :%s: %v, want %v", tt.network, tt.port, p.err, tt.wantErr)
			}
			if tt.wantErr != nil && !errors.Is(p.err, ErrOutOfScope) {
				t.Errorf("refusal %v is not an ErrOutOfScope", p.err)
			}
			if n := other.accepted.Load(); n != tt.wantOther {
				t.Errorf("port outside the set accepted %d connections", n)
			}
		})
	}
}

// TestHostDialerPortCheckNeedsNoRateToken: a refused port costs no rate
// token and no connection count.
func TestHostDialerPortCheckNeedsNoRateToken(t *testing.T) {
	var c Counters
	ports, _ := ParsePorts([]string{"80"})
	g := newSendGate(1, func(netip.Addr) bool { return true }, ports, &c)
	d := newHostDialer(g, netip.MustParseAddr("127.66.9.2"), 1, 0)
	for range 5 {
		if _, err := d.DialContext(context.Background(), "tcp", "127.66.9.2:8081"); !errors.Is(err, ErrPortNotAllowed) {
			t.Fatalf("err = %v", err)
		}
	}
	if c.Packets() != 0 || d.connectionsUsed() != 0 || d.used != 0 {
		t.Errorf("refused dials counted: packets %d, connections %d, budget used %d", c.Packets(), d.connectionsUsed(), d.used)
	}
}
