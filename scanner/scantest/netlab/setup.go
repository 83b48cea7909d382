//go:build linux

package netlab

import (
	"testing"
	"time"
)

// setUp is what every lab layout does around its build: skip without
// root, clear what crashed runs left, build, and tear down with t whatever
// happens (a partial lab included). It returns how long the build took.
func setUp(t testing.TB, build func() (closer, error)) time.Duration {
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
	return time.Since(start)
}
