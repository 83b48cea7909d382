package link

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// DefaultTapQueue bounds what one consumer of a Tap may fall behind by;
// beyond it frames are dropped for that consumer and counted, never
// buffered without limit.
const DefaultTapQueue = 4096

// ErrListenOnly is what writing to a listen-only FrameConn returns.
var ErrListenOnly = errors.New("scanner: this frame source is listen-only: nothing may be sent through it")

// Tap shares one frame source among several consumers, each reading a copy
// of every frame at its own pace: a sweep's ARP reader and passive
// listener, or the daemon's continuous listener and a mirror-port flow
// tracker (anything that reads a FrameConn, or has a
// Run(ctx, FrameReader)). One socket means one kernel filter and, with a
// Tee, one audit file holding everything in order.
type Tap struct {
	conn    FrameConn
	mu      sync.Mutex
	subs    []*TapReader
	started bool
	done    chan struct{}
}

// NewTap shares conn. Subscribe every consumer, then Run.
func NewTap(conn FrameConn) *Tap {
	return &Tap{conn: conn, done: make(chan struct{})}
}

// Subscribe returns a consumer's FrameConn: it reads a copy of every frame
// from the moment Run starts, and writes through the shared source (which
// refuses if it is listen-only). queue <= 0 takes DefaultTapQueue.
// Subscribing after Run has started panics: a late consumer would miss
// frames without knowing it.
func (t *Tap) Subscribe(queue int) *TapReader {
	if queue <= 0 {
		queue = DefaultTapQueue
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started {
		panic("link: Tap.Subscribe after Run")
	}
	r := &TapReader{t: t, ch: make(chan []byte, queue)}
	t.subs = append(t.subs, r)
	return r
}

// Run reads until ctx ends or the source fails or runs dry, then ends every
// consumer (their reads drain what is queued, then return io.EOF). It
// returns nil when ctx ended or the source ran dry.
func (t *Tap) Run(ctx context.Context) error {
	t.mu.Lock()
	t.started = true
	subs := t.subs
	t.mu.Unlock()
	defer close(t.done)
	for {
		frame, err := t.conn.ReadFrame(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		for i, s := range subs {
			f := frame
			if i < len(subs)-1 {
				f = append([]byte(nil), frame...) // each consumer owns its copy
			}
			select {
			case s.ch <- f:
			default:
				s.dropped.Add(1)
			}
		}
	}
}

// Done is closed when Run has returned.
func (t *Tap) Done() <-chan struct{} { return t.done }

// TapReader is one consumer's side of a Tap.
type TapReader struct {
	t       *Tap
	ch      chan []byte
	dropped atomic.Uint64
}

// ReadFrame returns the next frame, ctx's error when ctx ends, or io.EOF
// once the Tap has stopped and the queue is drained.
func (r *TapReader) ReadFrame(ctx context.Context) ([]byte, error) {
	select {
	case frame := <-r.ch:
		return frame, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-r.t.done:
		select {
		case frame := <-r.ch:
			return frame, nil
		default:
			return nil, io.EOF
		}
	}
}

// WriteFrame sends through the shared source.
func (r *TapReader) WriteFrame(frame []byte) error { return r.t.conn.WriteFrame(frame) }

// Close is a no-op: the shared source is closed by its owner.
func (r *TapReader) Close() error { return nil }

// Dropped counts frames this consumer missed because it fell behind.
func (r *TapReader) Dropped() uint64 { return r.dropped.Load() }

// ListenOnly wraps conn so that nothing can be sent through it: the
// daemon's continuous listener, and everything that shares it, holds a
// socket that refuses every write.
func ListenOnly(conn FrameConn) FrameConn { return listenOnly{conn} }

type listenOnly struct{ FrameConn }

func (listenOnly) WriteFrame([]byte) error { return ErrListenOnly }
