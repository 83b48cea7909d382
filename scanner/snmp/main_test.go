//go:build linux

package snmp_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/camsweep/camsweep/scanner/scantest/netlab"
)

// TestMain fails the run if a lab of this process outlived its test.
func TestMain(m *testing.M) {
	code := m.Run()
	if netlab.Skip() == "" {
		if left, err := netlab.Leftovers(); err != nil || len(left) > 0 {
			fmt.Fprintf(os.Stderr, "netlab: left behind after the tests: %v (err %v)\n", left, err)
			code = 1
		}
	}
	os.Exit(code)
}
