package probe

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/evidence"
)

// bannerTarget builds a loopback scanner.Target from (service, "127.0.0.1:port")
// pairs, dialling with a plain net.Dialer as the probes' tests allow.
func bannerTarget(t testing.TB, pairs ...string) scanner.Target {
	t.Helper()
	tg := scanner.Target{Addr: netip.MustParseAddr("127.0.0.1"), Dialer: &bannerDialer{}}
	for i := 0; i+1 < len(pairs); i += 2 {
		ap := netip.MustParseAddrPort(pairs[i+1])
		tg.Ports = append(tg.Ports, scanner.Port{Number: ap.Port(), Service: pairs[i]})
	}
	return tg
}

// bannerDialer is a plain net.Dialer that remembers every address dialled,
// so tests can assert that a probe never leaves its target.
type bannerDialer struct {
	mu    sync.Mutex
	addrs []string
	d     net.Dialer
}

func (b *bannerDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	b.mu.Lock()
	b.addrs = append(b.addrs, addr)
	b.mu.Unlock()
	return b.d.DialContext(ctx, network, addr)
}

// checkDialsStayOnTarget fails when a probe dialled anything but the
// target's own open ports.
func checkDialsStayOnTarget(t *testing.T, tg scanner.Target) {
	t.Helper()
	d := tg.Dialer.(*bannerDialer)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range d.addrs {
		ap, err := netip.ParseAddrPort(a)
		ok := err == nil && ap.Addr() == tg.Addr
		if ok {
			ok = false
			for _, p := range tg.Ports {
				ok = ok || p.Number == ap.Port()
			}
		}
		if !ok {
			t.Errorf("probe dialled %s outside its target", a)
		}
	}
}

// bannerCollector gathers emitted evidence.
type bannerCollector struct {
	mu sync.Mutex
	ev []evidence.Evidence
}

func (c *bannerCollector) emit(e evidence.Evidence) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ev = append(c.ev, e)
}

func (c *bannerCollector) values(field string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.ev {
		if e.Field == field {
			out = append(out, e.Value)
		}
	}
	return out
}

func (c *bannerCollector) first(field string) string {
	if v := c.values(field); len(v) > 0 {
		return v[0]
	}
	return ""
}

// checkBounded fails when any evidence value is larger than the largest
// bound a field may carry.
func (c *bannerCollector) checkBounded(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ev) > 200 {
		t.Errorf("%d evidence items from one host", len(c.ev))
	}
	for _, e := range c.ev {
		if len(e.Value) > maxBodyExcerpt {
			t.Errorf("%s value of %d bytes", e.Field, len(e.Value))
		}
	}
}

// bannerServe runs handle on every connection to a fresh loopback listener
// until the test ends, and returns its address.
func bannerServe(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		ln.Close()
		wg.Wait()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				go func() { <-done; c.Close() }()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// Hostile device behaviours, shared by the HTTP and RTSP tests.
var bannerHostile = map[string]func(net.Conn){
	"silent": func(c net.Conn) { _, _ = io.Copy(io.Discard, c) },
	"reset": func(c net.Conn) {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
	},
	"endless-body": func(c net.Conn) {
		readHead(c)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><title>")
		chunk := bytes.Repeat([]byte("A "), 8192)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	},
	"giant-headers": func(c net.Conn) {
		readHead(c)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nRTSP/1.0 200 OK\r\n")
		line := "X-Junk: " + strings.Repeat("j", 1000) + "\r\n"
		for range 1000 { // about 1 MB
			if _, err := io.WriteString(c, line); err != nil {
				return
			}
		}
		_, _ = io.WriteString(c, "\r\n")
	},
	"garbage": func(c net.Conn) {
		readHead(c)
		b := make([]byte, 4096)
		for i := range b {
			b[i] = byte(i*7 + 3)
		}
		for range 512 { // 2 MB of noise without a blank line
			if _, err := c.Write(b); err != nil {
				return
			}
		}
	},
	"slow-drip": func(c net.Conn) {
		readHead(c)
		for i := 0; ; i++ {
			if _, err := io.WriteString(c, "X"); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	},
}

// readHead consumes a request head (bounded), so the hostile answer
// follows a real request as it would on the wire.
func readHead(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 0, 4096)
	tmp := make([]byte, 1024)
	for len(buf) < 64<<10 && !bytes.Contains(buf, []byte("\r\n\r\n")) {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			return
		}
	}
	_ = c.SetReadDeadline(time.Time{})
}

// probeWithin runs a prober against a target and fails when it overruns
// the deadline by more than a generous slack (no tight wall-time checks:
// the machine is shared).
func probeWithin(t *testing.T, p scanner.Prober, tg scanner.Target, budget time.Duration) *bannerCollector {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	var c bannerCollector
	start := time.Now()
	if err := p.Probe(ctx, tg, c.emit); err != nil {
		t.Errorf("%s: Probe: %v", p.Name(), err)
	}
	if el := time.Since(start); el > budget+3*time.Second {
		t.Errorf("%s: Probe took %v with a %v deadline", p.Name(), el, budget)
	}
	c.checkBounded(t)
	return &c
}
