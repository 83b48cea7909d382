// Package bounded holds the reads and sets whose size and duration do not
// grow with what a device sends. A device on a hospital network may be
// broken or hostile; the probers and the datagram rounds read through
// these.
package bounded

import (
	"context"
	"io"
	"net"
	"time"
)

// ReadAll reads r to EOF but keeps at most limit bytes. truncated is set
// when r had more; the rest is never read, so an endless body costs only the
// bound (and the deadline that the caller set).
func ReadAll(r io.Reader, limit int64) (data []byte, truncated bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(data)) > limit {
		return data[:limit], true, err
	}
	return data, false, err
}

// WatchConn ties a connection to ctx: the deadline of ctx becomes the
// connection's deadline, and cancelling ctx unblocks any read or write at
// once. The returned stop must be called when the connection is done.
func WatchConn(ctx context.Context, conn net.Conn) (stop func() bool) {
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	return context.AfterFunc(ctx, func() {
		// A past deadline fails pending I/O without closing the conn under
		// its owner, which still closes it itself.
		_ = conn.SetDeadline(time.Unix(1, 0))
	})
}

// FirstSeen keeps the first max distinct strings it is given, in the order
// they came; later ones are counted, not kept. What a device repeats, or
// floods, then costs the sweep nothing beyond the bound.
type FirstSeen struct {
	max     int
	order   []string
	has     map[string]bool
	dropped int
}

// NewFirstSeen returns an empty set that keeps at most max strings.
func NewFirstSeen(max int) *FirstSeen {
	return &FirstSeen{max: max, has: map[string]bool{}}
}

// Add keeps s unless it is kept already or the set is full; it reports
// whether s was kept now.
func (f *FirstSeen) Add(s string) bool {
	if f.has[s] {
		return false
	}
	if len(f.order) >= f.max {
		f.dropped++
		return false
	}
	f.has[s] = true
	f.order = append(f.order, s)
	return true
}

// Len is how many strings are kept.
func (f *FirstSeen) Len() int { return len(f.order) }

// List returns the kept strings in the order they came.
func (f *FirstSeen) List() []string { return append([]string(nil), f.order...) }

// Set returns the kept strings as a set.
func (f *FirstSeen) Set() map[string]bool {
	out := make(map[string]bool, len(f.order))
	for _, s := range f.order {
		out[s] = true
	}
	return out
}
