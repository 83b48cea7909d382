package scanner

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"
)

// TestActiveTimeoutSkipsRateWaits: a host's deadline is time the host had,
// so a wait for the rate limit moves it by the wait's length. synctest's
// fake clock makes the times exact.
func TestActiveTimeoutSkipsRateWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := &hostClock{}
		ctx, cancel := withActiveTimeout(context.Background(), time.Second, clock)
		defer cancel()
		start := time.Now()

		time.Sleep(400 * time.Millisecond) // the host works
		resume := clock.pause()
		time.Sleep(10 * time.Second) // queued for the rate limit
		if err := ctx.Err(); err != nil {
			t.Fatalf("expired while waiting for the rate limit: %v", err)
		}
		resume()
		if d, _ := ctx.Deadline(); !d.Equal(start.Add(11 * time.Second)) {
			t.Errorf("deadline %v after start, want 11s", d.Sub(start))
		}
		time.Sleep(599 * time.Millisecond)
		if ctx.Err() != nil {
			t.Fatal("expired before its second of own time")
		}
		<-ctx.Done()
		if got := time.Since(start); got != 11*time.Second || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Errorf("expired after %v with %v, want 11s and DeadlineExceeded", got, ctx.Err())
		}
	})
}

func TestActiveTimeoutFollowsParent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, stop := context.WithCancel(context.Background())
		ctx, cancel := withActiveTimeout(parent, time.Hour, &hostClock{})
		defer cancel()
		stop()
		<-ctx.Done()
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Errorf("err %v, want Canceled", ctx.Err())
		}
	})
}

// TestGateWaitOutlastsDeadline: the rate limiter refuses at once a wait
// that would end after the context's deadline; the gate must wait anyway
// (the deadline moves with the wait) and the probe must still be live.
func TestGateWaitOutlastsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := &sendGate{limiter: rate.NewLimiter(rate.Limit(0.1), 1), counters: &Counters{}} // one packet per 10 s
		if err := g.Wait(context.Background(), nil); err != nil {                           // spend the burst
			t.Fatal(err)
		}
		clock := &hostClock{}
		pctx, cancel := withActiveTimeout(context.Background(), 2*time.Second, clock)
		defer cancel()
		start := time.Now()
		if err := g.Wait(pctx, clock); err != nil {
			t.Fatalf("a wait longer than the probe's deadline failed: %v", err)
		}
		if waited := time.Since(start); waited != 10*time.Second {
			t.Errorf("waited %v, want 10s", waited)
		}
		if pctx.Err() != nil {
			t.Errorf("the probe's context ended during the wait: %v", pctx.Err())
		}
		if n := g.counters.Abandoned.Load(); n != 0 {
			t.Errorf("%d packets counted abandoned", n)
		}
		// Cancelled, the wait fails and is counted.
		cctx, ccancel := context.WithCancel(context.Background())
		ccancel()
		if err := g.Wait(cctx, clock); err == nil || g.counters.Abandoned.Load() != 1 {
			t.Errorf("cancelled wait: %v, abandoned %d", err, g.counters.Abandoned.Load())
		}
	})
}
