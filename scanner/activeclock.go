package scanner

import (
	"context"
	"sync"
	"time"
)

// hostClock measures how long one host's work has waited for the sweep's
// rate limit. Host and probe deadlines are stretched by that time: a
// deadline is how long a device may take to answer, and time spent queued
// behind other hosts for the rate budget is not time the device had. Were
// the waits counted, a low rate (what a careful operator sets on a clinical
// network) would run a probe's deadline out in the queue, and the probe
// would report the camera as silent.
type hostClock struct {
	mu      sync.Mutex
	total   time.Duration // finished waits
	waiting int           // waits in progress
	since   time.Time     // when the first of them began
}

// pause marks the start of a wait; the returned function marks its end.
// Overlapping waits count once. A nil clock measures nothing.
func (c *hostClock) pause() (resume func()) {
	if c == nil {
		return func() {}
	}
	c.mu.Lock()
	if c.waiting == 0 {
		c.since = time.Now()
	}
	c.waiting++
	c.mu.Unlock()
	return sync.OnceFunc(func() {
		c.mu.Lock()
		c.waiting--
		if c.waiting == 0 {
			c.total += time.Since(c.since)
		}
		c.mu.Unlock()
	})
}

// waited is the time spent waiting so far, the wait in progress included.
func (c *hostClock) waited() time.Duration {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiting > 0 {
		return c.total + time.Since(c.since)
	}
	return c.total
}

// activeCtx is a context whose deadline is timeout of the host's active
// time: it moves later by every wait the clock records after it began.
type activeCtx struct {
	context.Context // the parent, for values
	clock           *hostClock
	start           time.Time
	base            time.Duration // clock.waited() at start
	timeout         time.Duration
	done            chan struct{}

	mu         sync.Mutex
	err        error
	timer      *time.Timer
	stopParent func() bool
}

// withActiveTimeout returns a context that ends when parent does, or after
// timeout of active time: wall time minus the time clock spent waiting for
// the rate limit since now.
func withActiveTimeout(parent context.Context, timeout time.Duration, clock *hostClock) (context.Context, context.CancelFunc) {
	c := &activeCtx{Context: parent, clock: clock, start: time.Now(), base: clock.waited(), timeout: timeout, done: make(chan struct{})}
	// Both callbacks take c.mu, so neither runs before both are set.
	c.mu.Lock()
	c.stopParent = context.AfterFunc(parent, func() { c.cancel(parent.Err()) })
	c.timer = time.AfterFunc(timeout, c.check)
	c.mu.Unlock()
	return c, func() { c.cancel(context.Canceled) }
}

// own is the deadline this context sets by itself.
func (c *activeCtx) own() time.Time {
	return c.start.Add(c.timeout + c.clock.waited() - c.base)
}

// check runs when the deadline as last computed arrives: it ends the
// context, or waits on when waits have moved the deadline.
func (c *activeCtx) check() {
	if left := time.Until(c.own()); left > 0 {
		c.mu.Lock()
		if c.err == nil {
			c.timer.Reset(left)
		}
		c.mu.Unlock()
		return
	}
	c.cancel(context.DeadlineExceeded)
}

func (c *activeCtx) cancel(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err = err
	close(c.done)
	c.timer.Stop()
	c.stopParent()
}

// Deadline is the deadline as of now: later if the host waits more.
func (c *activeCtx) Deadline() (time.Time, bool) {
	d := c.own()
	if pd, ok := c.Context.Deadline(); ok && pd.Before(d) {
		d = pd
	}
	return d, true
}

func (c *activeCtx) Done() <-chan struct{} { return c.done }

func (c *activeCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// withoutDeadline hides ctx's deadline from the rate limiter, which
// otherwise refuses at once a wait that would end after it: with the clock
// paused the deadline moves with the wait, so the limiter's arithmetic
// would be wrong. Cancellation still ends the wait.
type withoutDeadline struct{ context.Context }

func (withoutDeadline) Deadline() (time.Time, bool) { return time.Time{}, false }
