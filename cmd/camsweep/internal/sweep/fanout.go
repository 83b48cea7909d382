package sweep

import (
	"context"
	"io"
	"sync"
	"sync/atomic"

	"github.com/camsweep/camsweep/scanner/link"
)

// fanout shares one raw socket between the ARP sweep and the passive
// listener: both must see every frame (an ARP reply is also a passive
// sighting), and one socket means one pcap audit file with everything the
// sweep sent and received, in order.
type fanout struct {
	conn    link.FrameConn
	mu      sync.Mutex
	subs    []chan []byte
	dropped atomic.Uint64
	done    chan struct{}
}

// subscriberQueue bounds what a slow consumer may fall behind by; beyond
// it frames are dropped for that consumer and counted, never buffered
// without limit.
const subscriberQueue = 4096

func newFanout(conn link.FrameConn) *fanout {
	return &fanout{conn: conn, done: make(chan struct{})}
}

// subscribe returns a FrameConn that reads a copy of every frame and
// writes through the shared socket. Subscribe before run.
func (f *fanout) subscribe() link.FrameConn {
	ch := make(chan []byte, subscriberQueue)
	f.mu.Lock()
	f.subs = append(f.subs, ch)
	f.mu.Unlock()
	return &subscriber{f: f, ch: ch}
}

// run reads until ctx ends or the socket fails, then ends every subscriber.
func (f *fanout) run(ctx context.Context) {
	defer close(f.done)
	for {
		frame, err := f.conn.ReadFrame(ctx)
		if err != nil {
			return
		}
		f.mu.Lock()
		for _, ch := range f.subs {
			select {
			case ch <- append([]byte(nil), frame...):
			default:
				f.dropped.Add(1)
			}
		}
		f.mu.Unlock()
	}
}

type subscriber struct {
	f  *fanout
	ch chan []byte
}

func (s *subscriber) ReadFrame(ctx context.Context) ([]byte, error) {
	select {
	case frame := <-s.ch:
		return frame, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.f.done:
		// Drain what arrived before the socket ended.
		select {
		case frame := <-s.ch:
			return frame, nil
		default:
			return nil, io.EOF
		}
	}
}

func (s *subscriber) WriteFrame(frame []byte) error { return s.f.conn.WriteFrame(frame) }

// Close is a no-op: the shared socket is closed by its owner.
func (s *subscriber) Close() error { return nil }
