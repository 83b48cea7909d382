package sense

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// DefaultProbeBudget is triggered probes per minute per site: a new device
// every few seconds is already far more than a hospital network sees, and
// each look costs the host a handful of packets.
const DefaultProbeBudget = 20

const (
	// dedupWindow: a host looked at is not looked at again for this long
	// (for the same MAC at the same address).
	dedupWindow = 10 * time.Minute
	maxDedup    = 4096
	// maxWait drops a look that waited this long for the budget; the
	// scheduled sweep will judge the host.
	maxWait = 5 * time.Minute
)

// ProbeStats counts triggered probes.
type ProbeStats struct {
	Run    uint64 // looks started
	OK     uint64 // of which done
	Failed uint64 // of which could not be done
	// Refused: not done because the budget was spent (the queue was full,
	// or the look waited longer than maxWait).
	Refused uint64
	// Deduplicated: asked for again within dedupWindow.
	Deduplicated uint64
	Queued       int // waiting now
}

type queued struct {
	t      Target
	at     time.Time
	camera bool
}

// trigger queues looks and runs them within the budget: at most budget in
// any minute, cameras first when the queue is full.
type trigger struct {
	budget     int
	window     time.Duration
	cameraLike func([]evidence.Evidence) bool
	now        func() time.Time

	mu     sync.Mutex
	queue  []queued
	recent map[string]time.Time
	starts []time.Time // starts of the looks of the last window
	wake   chan struct{}
	st     ProbeStats
}

func newTrigger(budget int, cameraLike func([]evidence.Evidence) bool, now func() time.Time) *trigger {
	if budget <= 0 {
		budget = DefaultProbeBudget
	}
	return &trigger{budget: budget, window: time.Minute, cameraLike: cameraLike, now: now,
		recent: map[string]time.Time{}, wake: make(chan struct{}, 1)}
}

func (t *trigger) stats() ProbeStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.st
	st.Queued = len(t.queue)
	return st
}

// enqueue asks for a look at target and reports whether it was taken. The
// queue holds a minute's budget: beyond that a look is refused, unless it
// is a camera and a non-camera waits, which is refused instead. A refused
// look may be asked again (again: it was refused before and is not
// counted twice).
func (t *trigger) enqueue(target Target, again bool) bool {
	now := t.now()
	camera := t.cameraLike != nil && t.cameraLike(target.Evidence)
	t.mu.Lock()
	defer t.mu.Unlock()
	k := target.MAC + "|" + target.Addr.String()
	if at, ok := t.recent[k]; ok && now.Sub(at) < dedupWindow {
		t.st.Deduplicated++
		return true
	}
	if len(t.recent) >= maxDedup {
		for rk, at := range t.recent {
			if now.Sub(at) >= dedupWindow {
				delete(t.recent, rk)
			}
		}
		if len(t.recent) >= maxDedup {
			clear(t.recent)
		}
	}
	q := queued{t: target, at: now, camera: camera}
	if len(t.queue) >= t.budget {
		last := -1
		for i := len(t.queue) - 1; i >= 0 && camera; i-- {
			if !t.queue[i].camera {
				last = i
				break
			}
		}
		if last < 0 {
			if !again {
				t.st.Refused++
			}
			return false
		}
		// The evicted look is refused for good: its host has been
		// looked at by nobody, and the sweep will judge it.
		t.st.Refused++
		t.queue = append(t.queue[:last], t.queue[last+1:]...)
	}
	t.recent[k] = now
	// Cameras go before the first non-camera; others to the back.
	at := len(t.queue)
	if camera {
		for i, w := range t.queue {
			if !w.camera {
				at = i
				break
			}
		}
	}
	t.queue = append(t.queue, queued{})
	copy(t.queue[at+1:], t.queue[at:])
	t.queue[at] = q
	select {
	case t.wake <- struct{}{}:
	default:
	}
	return true
}

// next waits for a look and for the budget to allow it.
func (t *trigger) next(ctx context.Context) (Target, bool) {
	for {
		t.mu.Lock()
		now := t.now()
		for len(t.starts) > 0 && now.Sub(t.starts[0]) >= t.window {
			t.starts = t.starts[1:]
		}
		var wait time.Duration
		switch {
		case len(t.queue) == 0:
			wait = -1
		case len(t.starts) >= t.budget:
			wait = t.starts[0].Add(t.window).Sub(now)
		default:
			q := t.queue[0]
			t.queue = t.queue[1:]
			if now.Sub(q.at) > maxWait {
				t.st.Refused++
				t.mu.Unlock()
				continue
			}
			t.starts = append(t.starts, now)
			t.st.Run++
			t.mu.Unlock()
			return q.t, true
		}
		t.mu.Unlock()
		var (
			tm    *time.Timer
			timer <-chan time.Time
		)
		if wait >= 0 {
			tm = time.NewTimer(wait)
			timer = tm.C
		}
		select {
		case <-ctx.Done():
		case <-t.wake:
		case <-timer:
		}
		if tm != nil {
			tm.Stop()
		}
		if ctx.Err() != nil {
			return Target{}, false
		}
	}
}

// run does the looks one at a time until ctx ends.
func (t *trigger) run(ctx context.Context, probe ProbeFunc, after func(), log zerolog.Logger) {
	for {
		target, ok := t.next(ctx)
		if !ok {
			return
		}
		err := probe(ctx, target)
		t.mu.Lock()
		if err == nil {
			t.st.OK++
		} else if ctx.Err() == nil {
			t.st.Failed++
		}
		t.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Str("host", target.Addr.String()).Str("mac", target.MAC).Msg("triggered probe failed")
		}
		if after != nil {
			after()
		}
	}
}
