package main

import (
	"os"
	"testing"
)

// TestMain lets a benchmark re-execute the test binary as a child process
// with its own peak RSS (see identify_bench_test.go); otherwise it runs the
// tests.
func TestMain(m *testing.M) {
	if spec := os.Getenv(identifyChildEnv); spec != "" {
		os.Exit(identifyChild(spec))
	}
	os.Exit(m.Run())
}
