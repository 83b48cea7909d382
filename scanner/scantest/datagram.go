package scantest

import (
	"context"
	"net"
)

// serveDatagrams is the loop of the UDP discovery responders: each datagram
// on conn goes to answer, and what answer returns (nil for a query the
// device ignores) goes back unicast to the sender, as cameras answer. It
// returns when conn fails or ctx ends, which closes conn.
func serveDatagrams(ctx context.Context, conn net.PacketConn, answer func(query []byte) []byte) {
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	buf := make([]byte, 64<<10)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if a := answer(buf[:n]); a != nil {
			_, _ = conn.WriteTo(a, from)
		}
	}
}
