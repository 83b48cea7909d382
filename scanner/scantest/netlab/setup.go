//go:build linux

package netlab

import (
	"testing"
	"time"
)

// setUp is what every lab layout does around its build: skip without
// root, clear what crashed runs left, build, and tear down with t whatever
// happens (a partial lab included). It returns the lab and how long the
// build took. build returns the partial lab with its error, or nil.
func setUp[L any, P interface {
	*L
	closer
}](t testing.TB, build func() (P, error)) (P, time.Duration) {
	t.Helper()
	if why := Skip(); why != "" {
		t.Skip(why)
	}
	if err := SweepStale(); err != nil {
		t.Logf("netlab: sweeping stale labs: %v", err)
	}
	start := time.Now()
	l, err := build()
	if l != nil {
		t.Cleanup(func() {
			if err := l.Close(); err != nil {
				t.Errorf("netlab: teardown: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("netlab: setup: %v", err)
	}
	return l, time.Since(start)
}
