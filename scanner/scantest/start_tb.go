package scantest

import (
	"context"
	"testing"
)

// StartTB starts the fake devices for a test or benchmark: it stops tb
// when they cannot start and closes them when tb ends, the way a test
// pairs httptest.NewServer with Close.
func StartTB(tb testing.TB, hosts []HostSpec, opts Options) *Network {
	tb.Helper()
	n, err := Start(context.Background(), hosts, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = n.Close() })
	return n
}
