package scantest

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Hostile behaviours (Persona.Hostile). Each one attacks a bound the
// scanner must have: a read deadline, a body cap, a header cap, a parser
// that survives junk, a dial that survives a reset, a per-host timeout.
const (
	HostileSilent       = "silent"        // accepts, never answers
	HostileEndlessBody  = "endless-body"  // a valid head, then a body that never ends
	HostileGiantHeaders = "giant-headers" // header lines without end
	HostileRTSPGarbage  = "rtsp-garbage"  // binary junk where a status line belongs
	HostileReset        = "reset"         // RST on connect
	HostileSlow         = "slow"          // the right answer, after a delay
)

var hostileModes = map[string]bool{
	HostileSilent: true, HostileEndlessBody: true, HostileGiantHeaders: true,
	HostileRTSPGarbage: true, HostileReset: true, HostileSlow: true,
}

// defaultHostileDelay is how long "slow" waits before each answer.
const defaultHostileDelay = 3 * time.Second

// hostileStreamCap bounds what the endless personas send, so a scanner
// without a cap fills its memory in a test rather than the test machine's.
const hostileStreamCap = 256 << 20

// hostileHandler wraps a service's normal handler in the persona's
// misbehaviour.
func hostileHandler(p Persona, service string, normal connHandler) connHandler {
	switch p.Hostile {
	case HostileSilent:
		return serveMute
	case HostileReset:
		return func(_ context.Context, c net.Conn) {
			// SO_LINGER 0 makes close send RST instead of FIN.
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
		}
	case HostileEndlessBody:
		return func(ctx context.Context, c net.Conn) {
			head := "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body>"
			if service == "rtsp" {
				head = "RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: 2147483647\r\n\r\nv=0\r\n"
			}
			afterRequest(ctx, c, service, func() {
				stream(ctx, c, head, func(i int) string { return "<p>" + strings.Repeat("x", 1000) + "</p>\n" })
			})
		}
	case HostileGiantHeaders:
		return func(ctx context.Context, c net.Conn) {
			head := "HTTP/1.1 200 OK\r\nServer: "
			if service == "rtsp" {
				head = "RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: "
			}
			// One enormous Server header, then header lines for ever.
			head += strings.Repeat("A", 64<<10) + "\r\n"
			afterRequest(ctx, c, service, func() {
				stream(ctx, c, head, func(i int) string {
					return "X-Filler-" + strconv.Itoa(i) + ": " + strings.Repeat("b", 1000) + "\r\n"
				})
			})
		}
	case HostileRTSPGarbage:
		return func(ctx context.Context, c net.Conn) {
			afterRequest(ctx, c, service, func() {
				// A status line that almost parses, a header with no colon,
				// NULs and high bytes, and no blank line to end it.
				junk := "RTSP/1.0 2OO 0K\r\nCSeq 1\r\n\x00\x01\xff\xfe" + strings.Repeat("\x90\x00\x1b[", 512) + "Server: \x00\r\r\n"
				_ = c.SetWriteDeadline(time.Now().Add(idleTimeout))
				_, _ = io.WriteString(c, junk)
				serveMute(ctx, c)
			})
		}
	case HostileSlow:
		delay := p.HostileDelay
		if delay <= 0 {
			delay = defaultHostileDelay
		}
		return func(ctx context.Context, c net.Conn) {
			normal(ctx, &slowConn{Conn: c, ctx: ctx, delay: delay})
		}
	}
	return normal
}

// afterRequest waits for the client's first bytes (a request) before
// misbehaving, as a broken device does; mute ports misbehave at once.
func afterRequest(ctx context.Context, c net.Conn, service string, then func()) {
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	if service == "http" || service == "https" || service == "rtsp" {
		_ = c.SetReadDeadline(time.Now().Add(idleTimeout))
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
	then()
}

// stream writes head, then chunks for ever (up to hostileStreamCap) until
// the client goes away or ctx ends.
func stream(ctx context.Context, c net.Conn, head string, chunk func(int) string) {
	sent := 0
	write := func(s string) bool {
		_ = c.SetWriteDeadline(time.Now().Add(idleTimeout))
		n, err := io.WriteString(c, s)
		sent += n
		return err == nil && ctx.Err() == nil && sent < hostileStreamCap
	}
	if !write(head) {
		return
	}
	for i := 0; write(chunk(i)); i++ {
	}
}

// slowConn delays every write, so the answer is right but late.
type slowConn struct {
	net.Conn
	ctx   context.Context
	delay time.Duration
}

func (s *slowConn) Write(b []byte) (int, error) {
	t := time.NewTimer(s.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.ctx.Done():
		return 0, s.ctx.Err()
	}
	return s.Conn.Write(b)
}
