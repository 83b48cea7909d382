package scanner

import (
	"context"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/rs/zerolog"
)

// pairProber holds one connection to its host open and asks for a second:
// with one connection per host allowed, the second dial must wait for the
// first to close. synctest.Wait returns once every other goroutine of the
// sweep is blocked, so the check needs no sleep and no timeout: the second
// dial has either connected by then, or is blocked waiting for the slot.
type pairProber struct {
	concurrent atomic.Bool // a second connection was open beside the first
	ran        atomic.Bool
	closed     atomic.Bool // the first connection is being closed
}

func (p *pairProber) Name() string { return "pair" }

func (p *pairProber) Probe(ctx context.Context, t Target, _ Emit) error {
	addr := net.JoinHostPort(t.Addr.String(), strconv.Itoa(int(t.Ports[0].Number)))
	first, err := t.Dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	p.ran.Store(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		second, err := t.Dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			return
		}
		if !p.closed.Load() {
			p.concurrent.Store(true)
		}
		second.Close()
	}()
	synctest.Wait()
	p.closed.Store(true)
	first.Close()
	<-done
	return nil
}

// TestOneConnectionPerHost: the engine holds every host to one connection
// in flight (DESIGN.md, "Safety"), whatever a prober asks for.
func TestOneConnectionPerHost(t *testing.T) {
	l := listenCounting(t, "127.66.9.2:0", 0) // outside the bubble: its Accept is real I/O
	port := l.ln.Addr().(*net.TCPAddr).Port
	synctest.Test(t, func(t *testing.T) {
		scope, _ := NewScope([]string{"127.66.9.2"}, nil, false)
		ports, _ := ParsePorts([]string{strconv.Itoa(port)})
		p := &pairProber{}
		if _, err := Sweep(context.Background(), scope, Options{Ports: ports, Rate: 1000, Probers: []Prober{p}, Log: zerolog.Nop()}, func(HostResult) {}); err != nil {
			t.Fatal(err)
		}
		if !p.ran.Load() {
			t.Fatal("the prober never ran")
		}
		if p.concurrent.Load() {
			t.Error("a second connection to the host opened while the first was open")
		}
	})
}
