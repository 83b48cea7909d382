package scantest

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// startNet starts hosts (without fixed addresses) in a base of their own,
// so this package's tests never collide with another package's, and closes
// them when the test ends.
func startNet(t *testing.T, hosts []HostSpec) *Network {
	t.Helper()
	var err error
	for range 5 {
		var n *Network
		n, err = Start(t.Context(), hosts, Options{Base: RandomBase(), Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)})
		if err == nil {
			t.Cleanup(func() { _ = n.Close() })
			return n
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	t.Fatalf("Start: %v", err)
	return nil
}

func mustPersona(t *testing.T, name string) Persona {
	t.Helper()
	p, err := PersonaByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rawExchange sends req to ap and reads one response head (and a bounded
// body when it says Content-Length), as a scanner would.
func rawExchange(t *testing.T, ap netip.AddrPort, req string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", ap.String())
	if err != nil {
		t.Fatalf("dial %s: %v", ap, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write: %v", err)
	}
	br := bufio.NewReader(c)
	// http.ReadResponse parses RTSP/1.0 heads too once the proto is patched.
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("read status from %s: %v", ap, err)
	}
	proto := strings.SplitN(line, " ", 2)[0]
	patched := strings.Replace(line, proto, "HTTP/1.1", 1)
	resp, err := http.ReadResponse(bufio.NewReader(io.MultiReader(strings.NewReader(patched), br)), nil)
	if err != nil {
		t.Fatalf("parse response from %s: %v", ap, err)
	}
	resp.Proto = proto
	var body []byte
	if resp.ContentLength > 0 {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	}
	return resp, string(body)
}

func addrPort(t *testing.T, h *Host, service string) netip.AddrPort {
	t.Helper()
	ap, ok := h.AddrPort(service)
	if !ok {
		t.Fatalf("%s: no %s service", h.Persona.Name, service)
	}
	return ap
}

// waitGoroutines waits for the goroutine count to come back to at most want.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := runtime.NumGoroutine()
		if got <= want {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines: %d, want <= %d\n%s", got, want, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
