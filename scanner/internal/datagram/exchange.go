package datagram

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/camsweep/camsweep/scanner"
	"github.com/camsweep/camsweep/scanner/internal/bounded"
	"github.com/camsweep/camsweep/scanner/internal/osnet"
)

// Bounds shared by the UDP discovery protocols (WS-Discovery, SADP, DHIP,
// SSDP). A datagram cannot exceed 64 KiB; real answers are a few KiB, so a
// larger one is cut rather than parsed.
const (
	maxDatagram     = 64 << 10
	maxReplyBytes   = 16 << 10 // bytes of one answer that are parsed
	maxRepliesRound = 4096     // answers read in one round, whatever the wait
	defaultUDPWait  = 2 * time.Second
	unicastGrace    = 300 * time.Millisecond
)

// Exchange sends msgs to addr on a UDP socket dialled through d (so the
// engine's rate limit, scope check and counters apply) and passes each answer
// to handle until wait has passed or ctx ends. The socket is connected, so
// the kernel drops datagrams from any other address: every answer comes from
// the target itself. handle returns true for an answer it could use; after the
// first one the round ends early, once a short grace for the device's answer
// to the second message has passed, so a live camera costs well under wait.
func Exchange(ctx context.Context, d scanner.Dialer, addr netip.AddrPort, msgs [][]byte, wait time.Duration, handle func([]byte) bool) error {
	if wait <= 0 {
		wait = defaultUDPWait
	}
	// Dial and send under the caller's deadline: each datagram waits for
	// the engine's rate limit, and on a busy sweep that wait must not eat
	// the answer window (the limiter fails at once when it cannot make a
	// deadline, so nothing would be sent at all).
	conn, err := d.DialContext(ctx, "udp", addr.String())
	if err != nil {
		return fmt.Errorf("scanner: dial udp %s: %w", addr, err)
	}
	defer conn.Close()
	sendStop := bounded.WatchConn(ctx, conn)
	for _, m := range msgs {
		if _, err := conn.Write(m); err != nil {
			sendStop()
			// ECONNREFUSED here is the ICMP answer to an earlier datagram:
			// the port is closed, which is an answer, not a failure.
			if ctx.Err() != nil || osnet.Refused(err) {
				return nil
			}
			return fmt.Errorf("scanner: send udp %s: %w", addr, err)
		}
	}
	sendStop()
	// The answer window starts once the messages are out.
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	stop := bounded.WatchConn(ctx, conn)
	defer stop()
	// Only maxReplyBytes of an answer are parsed, so only they are read (the
	// kernel drops the rest of a longer datagram): this buffer is allocated
	// per host and probe, and at 64 KiB it was a fifth of a sweep's
	// allocations.
	buf := make([]byte, maxReplyBytes)
	useful := false
	for range maxRepliesRound {
		n, err := conn.Read(buf)
		if err != nil {
			// Silence, a closed port (ICMP unreachable surfaces as
			// ECONNREFUSED on a connected socket) and the end of the wait
			// are all "no answer", not a failure of the probe.
			if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) || osnet.Refused(err) {
				return nil
			}
			return fmt.Errorf("scanner: read udp %s: %w", addr, err)
		}
		if handle(buf[:n]) && !useful {
			useful = true
			grace := time.Now().Add(unicastGrace)
			if dl, ok := ctx.Deadline(); !ok || grace.Before(dl) {
				_ = conn.SetReadDeadline(grace)
			}
		}
	}
	return nil
}
