package scantest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestHostile(t *testing.T) {
	var writeErr error
	tests := []struct {
		persona string
		service string
		request string
		check   func(t *testing.T, c net.Conn)
	}{
		{"hostile-silent", "http", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", func(t *testing.T, c net.Conn) {
			_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			n, err := c.Read(make([]byte, 1))
			if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("read %d bytes, %v; want silence until the deadline", n, err)
			}
		}},
		{"hostile-silent", "rtsp", "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n", func(t *testing.T, c net.Conn) {
			_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("read %d bytes, %v; want silence", n, err)
			}
		}},
		{"hostile-endless-body", "http", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", func(t *testing.T, c net.Conn) {
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("head: %v", err)
			}
			if resp.ContentLength != -1 {
				t.Errorf("Content-Length %d, want none", resp.ContentLength)
			}
			if n, err := io.CopyN(io.Discard, resp.Body, 4<<20); n != 4<<20 {
				t.Errorf("body ended after %d bytes: %v", n, err)
			}
		}},
		{"hostile-endless-body", "rtsp", "DESCRIBE rtsp://x/ RTSP/1.0\r\nCSeq: 1\r\n\r\n", func(t *testing.T, c net.Conn) {
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, err := io.CopyN(io.Discard, c, 2<<20); n != 2<<20 {
				t.Errorf("stream ended after %d bytes: %v", n, err)
			}
		}},
		{"hostile-giant-headers", "http", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", func(t *testing.T, c net.Conn) {
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			b := make([]byte, 1<<20)
			if _, err := io.ReadFull(c, b); err != nil {
				t.Fatalf("read: %v", err)
			}
			if !strings.HasPrefix(string(b), "HTTP/1.1 200 OK\r\n") || strings.Contains(string(b), "\r\n\r\n") {
				t.Errorf("want a head that never ends, got %q...", b[:64])
			}
		}},
		{"hostile-rtsp-garbage", "rtsp", "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n", func(t *testing.T, c net.Conn) {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			b := make([]byte, 64)
			n, err := io.ReadFull(c, b)
			if err != nil {
				t.Fatalf("read %d: %v", n, err)
			}
			patched := strings.Replace(string(b), "RTSP/1.0", "HTTP/1.1", 1)
			if _, err := http.ReadResponse(bufio.NewReader(strings.NewReader(patched)), nil); err == nil {
				t.Errorf("garbage %q parsed as a response", b)
			}
		}},
		{"hostile-reset", "http", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", func(t *testing.T, c net.Conn) {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, err := c.Read(make([]byte, 1))
			if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(writeErr, syscall.ECONNRESET) && !errors.Is(writeErr, syscall.EPIPE) {
				t.Errorf("write: %v, read: %v; want connection reset", writeErr, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.persona+"/"+tt.service, func(t *testing.T) {
			n := startNet(t, []HostSpec{{Persona: mustPersona(t, tt.persona)}})
			c, err := net.DialTimeout("tcp", addrPort(t, n.Hosts[0], tt.service).String(), 2*time.Second)
			if err != nil {
				if tt.persona == "hostile-reset" && errors.Is(err, syscall.ECONNRESET) {
					return // the RST can beat connect(2) on loopback
				}
				t.Fatal(err)
			}
			defer c.Close()
			time.Sleep(50 * time.Millisecond)           // let a reset arrive before we write
			_, writeErr = io.WriteString(c, tt.request) // the reset may surface here
			tt.check(t, c)
		})
	}
}

func TestHostileSlow(t *testing.T) {
	p := mustPersona(t, "hostile-slow")
	p.HostileDelay = 300 * time.Millisecond
	n := startNet(t, []HostSpec{{Persona: p}})
	for _, tt := range []struct{ service, req, want string }{
		{"http", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK"},
		{"rtsp", "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n", "RTSP/1.0 200 OK"},
	} {
		start := time.Now()
		resp, _ := rawExchange(t, addrPort(t, n.Hosts[0], tt.service), tt.req)
		if took := time.Since(start); took < 300*time.Millisecond {
			t.Errorf("%s answered after %v, want at least the delay", tt.service, took)
		}
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d, want the normal answer", tt.service, resp.StatusCode)
		}
	}
}
